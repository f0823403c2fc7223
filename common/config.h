// Loading and checking ExperimentConfig textproto files.
//
// Every error is INVALID_ARGUMENT with one message `FILE:LINE:COLUMN: what is wrong` (1-based
// line and column), e.g.
//   configs/x.textproto:7:3: Message type "mbrl.v1.EnvConfig" has no field named "horizn".
//   configs/x.textproto:12:18: model.ensemble_size: 0 is out of range; must be >= 1
// Checks: textproto syntax, unknown fields, value types, every field's declared (range)
// (proto/mbrl/v1/options.proto), and the cross-field rules listed in ValidateExperimentConfig.
#ifndef MBRL_COMMON_CONFIG_H_
#define MBRL_COMMON_CONFIG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/text_format.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl {

// A parsed, validated config and where each of its fields was written.
class ParsedConfig {
 public:
  const v1::ExperimentConfig& config() const { return config_; }
  const std::string& source_name() const { return source_name_; }

  // An INVALID_ARGUMENT error about the field at `field_path` (e.g. {"model", "ensemble_size"}),
  // located at that field if it was written in the file, else at its nearest written parent,
  // else at the file alone: "FILE:LINE:COL: model.ensemble_size: MESSAGE". Later checks (e.g.
  // the env registry's) use this to report errors the same way.
  absl::Status ErrorAt(const std::vector<std::string>& field_path, absl::string_view message) const;

 private:
  friend absl::StatusOr<ParsedConfig> ParseExperimentConfig(absl::string_view, absl::string_view);
  ParsedConfig() = default;

  v1::ExperimentConfig config_;
  std::string source_name_;
  std::shared_ptr<google::protobuf::TextFormat::ParseInfoTree> locations_;
};

// Parses and validates `text`; `source_name` names it in errors (usually the file path).
absl::StatusOr<ParsedConfig> ParseExperimentConfig(absl::string_view text,
                                                   absl::string_view source_name);

// Reads `path` and parses it. NOT_FOUND / PERMISSION_DENIED etc. if the file cannot be read.
absl::StatusOr<ParsedConfig> LoadExperimentConfig(const std::string& path);

// Checks every numeric field set in `message` (recursively) against its declared (range)
// option. `locations` (may be null) supplies line numbers. Used by ParseExperimentConfig;
// exposed for other config messages.
absl::Status ValidateFieldRanges(const google::protobuf::Message& message,
                                 const google::protobuf::TextFormat::ParseInfoTree* locations,
                                 absl::string_view source_name);

// The cross-field rules ParseExperimentConfig enforces after the ranges:
//  - exactly one algorithm block (`mbmpo` or `metrpo`) is set;
//  - mbmpo.meta_batch_size is a multiple of model.ensemble_size;
//  - model.num_elites <= model.ensemble_size.
absl::Status ValidateExperimentConfig(const ParsedConfig& parsed);

// Sets every unset singular field of `message` to its declared default, recursively, so that
// printing shows the effective values. A oneof is filled only inside its chosen member.
void FillDefaults(google::protobuf::Message* message);

// The effective output directory: config.output_dir, or runs/<name> if it is empty.
std::string OutputDirectory(const v1::ExperimentConfig& config);

}  // namespace mbrl

#endif  // MBRL_COMMON_CONFIG_H_
