#include "common/config.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "mbrl/v1/options.pb.h"

namespace mbrl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::TextFormat;

std::string Location(absl::string_view source, int line0, int column0) {
  return absl::StrCat(source, ":", line0 + 1, ":", column0 + 1);
}

// Keeps the first error the text parser reports (with its location).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(absl::string_view source) : source_(source) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_error_.empty())
      first_error_ = absl::StrCat(Location(source_, line, column), ": ", message);
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {}
  const std::string& first_error() const { return first_error_; }

 private:
  std::string source_;
  std::string first_error_;
};

std::string RangeText(const v1::FieldRange& range) {
  std::vector<std::string> parts;
  if (range.has_min())
    parts.push_back(absl::StrCat(range.exclusive_min() ? "> " : ">= ", range.min()));
  if (range.has_max())
    parts.push_back(absl::StrCat(range.exclusive_max() ? "< " : "<= ", range.max()));
  return absl::StrJoin(parts, " and ");
}

bool InRange(double value, const v1::FieldRange& range) {
  if (std::isnan(value)) return false;
  if (range.has_min() && (range.exclusive_min() ? value <= range.min() : value < range.min())) {
    return false;
  }
  if (range.has_max() && (range.exclusive_max() ? value >= range.max() : value > range.max())) {
    return false;
  }
  return true;
}

// The value of a numeric field as a double (exact for every configured magnitude), or nullopt.
std::optional<double> NumericValue(const Message& message, const FieldDescriptor* field,
                                   int index) {
  const Reflection* reflection = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return repeated ? reflection->GetRepeatedInt32(message, field, index)
                      : reflection->GetInt32(message, field);
    case FieldDescriptor::CPPTYPE_INT64:
      return static_cast<double>(repeated ? reflection->GetRepeatedInt64(message, field, index)
                                          : reflection->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return repeated ? reflection->GetRepeatedUInt32(message, field, index)
                      : reflection->GetUInt32(message, field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return static_cast<double>(repeated ? reflection->GetRepeatedUInt64(message, field, index)
                                          : reflection->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return repeated ? reflection->GetRepeatedFloat(message, field, index)
                      : reflection->GetFloat(message, field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return repeated ? reflection->GetRepeatedDouble(message, field, index)
                      : reflection->GetDouble(message, field);
    default:
      return std::nullopt;
  }
}

std::string FormatValue(double value) { return absl::StrFormat("%.10g", value); }

absl::Status ValidateRangesIn(const Message& message, const TextFormat::ParseInfoTree* locations,
                              absl::string_view source, const std::string& path_prefix) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // set fields only, in field-number order
  for (const FieldDescriptor* field : fields) {
    const std::string path =
        path_prefix.empty() ? field->name() : absl::StrCat(path_prefix, ".", field->name());
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const int location_index = field->is_repeated() ? i : -1;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const Message& child = field->is_repeated()
                                   ? reflection->GetRepeatedMessage(message, field, i)
                                   : reflection->GetMessage(message, field);
        const TextFormat::ParseInfoTree* child_locations =
            locations == nullptr ? nullptr : locations->GetTreeForNested(field, location_index);
        absl::Status status =
            ValidateRangesIn(child, child_locations, source,
                             field->is_repeated() ? absl::StrCat(path, "[", i, "]") : path);
        if (!status.ok()) return status;
        continue;
      }
      if (!field->options().HasExtension(v1::range)) continue;
      const v1::FieldRange& range = field->options().GetExtension(v1::range);
      const std::optional<double> value = NumericValue(message, field, i);
      if (!value.has_value() || InRange(*value, range)) continue;
      std::string where(source);
      if (locations != nullptr) {
        const TextFormat::ParseLocation location = locations->GetLocation(field, location_index);
        if (location.line >= 0) where = Location(source, location.line, location.column);
      }
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", path, ": ", FormatValue(*value),
                                                     " is out of range; must be ",
                                                     RangeText(range)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParsedConfig::ErrorAt(const std::vector<std::string>& field_path,
                                   absl::string_view message) const {
  std::string where = source_name_;
  const Message* current = &config_;
  const TextFormat::ParseInfoTree* tree = locations_.get();
  for (const std::string& name : field_path) {
    if (current == nullptr || tree == nullptr) break;
    const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(name);
    if (field == nullptr || field->is_repeated()) break;
    const TextFormat::ParseLocation location = tree->GetLocation(field, -1);
    if (location.line < 0) break;  // not written in the file: keep the parent's location
    where = Location(source_name_, location.line, location.column);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      tree = tree->GetTreeForNested(field, -1);
      current = &current->GetReflection()->GetMessage(*current, field);
    } else {
      current = nullptr;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": ", absl::StrJoin(field_path, "."), ": ", message));
}

absl::Status ValidateFieldRanges(const Message& message, const TextFormat::ParseInfoTree* locations,
                                 absl::string_view source_name) {
  return ValidateRangesIn(message, locations, source_name, "");
}

absl::Status ValidateExperimentConfig(const ParsedConfig& parsed) {
  const v1::ExperimentConfig& config = parsed.config();
  if (config.algorithm_case() == v1::ExperimentConfig::ALGORITHM_NOT_SET) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.source_name(),
                     ": no algorithm: add an `mbmpo { ... }` or a `metrpo { ... }` block"));
  }
  const uint32_t ensemble_size = config.model().ensemble_size();
  if (config.has_mbmpo() && config.mbmpo().meta_batch_size() % ensemble_size != 0) {
    return parsed.ErrorAt(
        {"mbmpo", "meta_batch_size"},
        absl::StrCat(config.mbmpo().meta_batch_size(), " tasks cannot be shared equally by ",
                     ensemble_size, " ensemble members; use a multiple of model.ensemble_size"));
  }
  if (config.model().num_elites() > ensemble_size) {
    return parsed.ErrorAt({"model", "num_elites"},
                          absl::StrCat(config.model().num_elites(), " elites exceed the ",
                                       ensemble_size, " ensemble members"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedConfig> ParseExperimentConfig(absl::string_view text,
                                                   absl::string_view source_name) {
  ParsedConfig parsed;
  parsed.source_name_ = std::string(source_name);
  parsed.locations_ = std::make_shared<TextFormat::ParseInfoTree>();
  FirstErrorCollector errors(source_name);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(parsed.locations_.get());
  if (!parser.ParseFromString(std::string(text), &parsed.config_)) {
    return absl::InvalidArgumentError(errors.first_error().empty()
                                          ? absl::StrCat(source_name, ": cannot parse config")
                                          : errors.first_error());
  }
  if (absl::Status status =
          ValidateFieldRanges(parsed.config_, parsed.locations_.get(), source_name);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateExperimentConfig(parsed); !status.ok()) return status;
  return parsed;
}

absl::StatusOr<ParsedConfig> LoadExperimentConfig(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        absl::StrCat("cannot read config ", path, ": ", std::strerror(error)));
  }
  std::ostringstream text;
  text << file.rdbuf();
  return ParseExperimentConfig(text.str(), path);
}

void FillDefaults(Message* message) {
  const google::protobuf::Descriptor* descriptor = message->GetDescriptor();
  const Reflection* reflection = message->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_repeated()) continue;
    const google::protobuf::OneofDescriptor* oneof = field->containing_oneof();
    if (oneof != nullptr && reflection->GetOneofFieldDescriptor(*message, oneof) != field) continue;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      FillDefaults(reflection->MutableMessage(message, field));
      continue;
    }
    if (reflection->HasField(*message, field)) continue;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        reflection->SetInt32(message, field, field->default_value_int32());
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        reflection->SetInt64(message, field, field->default_value_int64());
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        reflection->SetUInt32(message, field, field->default_value_uint32());
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        reflection->SetUInt64(message, field, field->default_value_uint64());
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        reflection->SetDouble(message, field, field->default_value_double());
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        reflection->SetFloat(message, field, field->default_value_float());
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        reflection->SetBool(message, field, field->default_value_bool());
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        reflection->SetEnum(message, field, field->default_value_enum());
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        reflection->SetString(message, field, field->default_value_string());
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
  }
}

std::string OutputDirectory(const v1::ExperimentConfig& config) {
  return config.output_dir().empty() ? absl::StrCat("runs/", config.name()) : config.output_dir();
}

}  // namespace mbrl
