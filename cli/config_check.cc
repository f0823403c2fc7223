// `mbrl config check FILE...`: parse and validate ExperimentConfig textproto files.
#include <iostream>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "actors/envs/registry.h"
#include "cli/subcommands.h"
#include "common/config.h"
#include "google/protobuf/text_format.h"

ABSL_FLAG(bool, print, false,
          "Also print each config with every default filled in (the effective config).");

namespace mbrl::cli {
namespace {

std::string Summary(const v1::ExperimentConfig& config) {
  const std::string algorithm = config.has_mbmpo() ? "MB-MPO" : "ME-TRPO";
  return absl::StrCat(algorithm, " on ", config.env().name(), " (horizon ", config.env().horizon(),
                      "), ", config.model().ensemble_size(), " models, ",
                      v1::ExperimentConfig::Schedule_Name(config.schedule()), ", seed ",
                      config.seed(), ", output ", OutputDirectory(config));
}

// A native env must be registered; a remote one may have any name (its server decides).
absl::Status CheckEnvName(const ParsedConfig& parsed) {
  const v1::EnvConfig& env = parsed.config().env();
  const std::vector<std::string> names = envs::RegisteredEnvNames();
  if (env.has_remote_address() || absl::c_linear_search(names, env.name())) {
    return absl::OkStatus();
  }
  return parsed.ErrorAt({"env", "name"},
                        absl::StrCat("unknown environment \"", env.name(),
                                     "\"; registered: ", absl::StrJoin(names, ", ")));
}

int RunConfigCheck(const std::vector<std::string>& files) {
  if (files.empty()) {
    std::cerr << "mbrl config check: give at least one FILE\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  for (const std::string& file : files) {
    absl::StatusOr<ParsedConfig> parsed = LoadExperimentConfig(file);
    absl::Status status = parsed.ok() ? CheckEnvName(*parsed) : parsed.status();
    if (!status.ok()) {
      std::cerr << status.message() << "\n";
      exit_code = kExitUsage;
      continue;
    }
    std::cout << file << ": OK: " << Summary(parsed->config()) << "\n";
    if (absl::GetFlag(FLAGS_print)) {
      v1::ExperimentConfig effective = parsed->config();
      FillDefaults(&effective);
      std::string text;
      google::protobuf::TextFormat::PrintToString(effective, &text);
      std::cout << text;
    }
  }
  return exit_code;
}

}  // namespace

Subcommand ConfigCheckSubcommand() {
  return {
      /*name=*/"config check",
      /*arguments=*/"FILE...",
      /*summary=*/"Check ExperimentConfig textproto files; errors name FILE:LINE:COLUMN.",
      .details =
          "Checks syntax, unknown fields, value types, each field's valid range and the\n"
          "cross-field rules (proto/mbrl/v1/config.proto documents every field and default).\n"
          "Exit code 0 if every file is valid, 2 otherwise.",
      /*flags=*/{"print"},
      /*run=*/RunConfigCheck,
  };
}

}  // namespace mbrl::cli
