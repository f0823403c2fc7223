#include "common/progress.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace mbrl {
namespace {

absl::Status ErrnoStatus(int error, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(what, ": ", std::strerror(error)));
}

std::string FormatCsvValue(double value) {
  if (std::isnan(value)) return "";
  return absl::StrFormat("%.10g", value);
}

}  // namespace

std::string FormatProgressValue(double value) {
  if (std::isnan(value)) return "-";
  if (std::isfinite(value) && std::fabs(value) < 1e15 && value == std::floor(value)) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.4g", value);
}

absl::StatusOr<std::unique_ptr<ProgressLog>> ProgressLog::Create(std::vector<std::string> columns,
                                                                 const std::string& csv_path,
                                                                 std::ostream* terminal,
                                                                 Mode mode) {
  if (columns.empty()) return absl::InvalidArgumentError("progress log needs at least one column");
  std::set<std::string> seen;
  for (const std::string& column : columns) {
    if (column.empty() || column.find_first_of(",\n\r\"") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad progress column name '", column, "'"));
    }
    if (!seen.insert(column).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate progress column '", column, "'"));
    }
  }
  const std::string header = absl::StrJoin(columns, ",");
  std::FILE* csv = nullptr;
  if (!csv_path.empty()) {
    bool write_header = true;
    if (mode == Mode::kAppend) {
      std::ifstream existing(csv_path);
      std::string existing_header;
      if (existing && std::getline(existing, existing_header)) {
        if (existing_header != header) {
          return absl::FailedPreconditionError(
              absl::StrCat(csv_path, ": cannot append, its header '", existing_header,
                           "' differs from '", header, "'"));
        }
        write_header = false;
      }
    }
    csv = std::fopen(csv_path.c_str(), mode == Mode::kAppend ? "a" : "w");
    if (csv == nullptr) return ErrnoStatus(errno, absl::StrCat("cannot open ", csv_path));
    if (write_header && (std::fprintf(csv, "%s\n", header.c_str()) < 0 || std::fflush(csv) != 0)) {
      const int error = errno;
      std::fclose(csv);
      return ErrnoStatus(error, absl::StrCat("cannot write ", csv_path));
    }
  }
  return std::unique_ptr<ProgressLog>(new ProgressLog(std::move(columns), csv, terminal));
}

ProgressLog::ProgressLog(std::vector<std::string> columns, std::FILE* csv, std::ostream* terminal)
    : columns_(std::move(columns)), csv_(csv), terminal_(terminal) {}

ProgressLog::~ProgressLog() {
  if (csv_ != nullptr) std::fclose(csv_);
}

std::string ProgressLog::FormatLine(absl::Span<const double> values) const {
  std::string line;
  for (size_t i = 0; i < columns_.size() && i < values.size(); ++i) {
    absl::StrAppend(&line, i == 0 ? "" : " ", columns_[i], "=", FormatProgressValue(values[i]));
  }
  return line;
}

absl::Status ProgressLog::Write(absl::Span<const double> values) {
  if (values.size() != columns_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("progress row has ", values.size(),
                                                   " values for ", columns_.size(), " columns"));
  }
  if (terminal_ != nullptr) *terminal_ << FormatLine(values) << std::endl;
  if (csv_ != nullptr) {
    const std::string row = absl::StrJoin(
        values, ",", [](std::string* out, double value) { out->append(FormatCsvValue(value)); });
    if (std::fprintf(csv_, "%s\n", row.c_str()) < 0 || std::fflush(csv_) != 0) {
      return ErrnoStatus(errno, "cannot write progress row");
    }
  }
  return absl::OkStatus();
}

}  // namespace mbrl
