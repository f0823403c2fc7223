// `mbrl train --config=FILE --out=DIR`: one experiment in one process (learner/experiment.h).
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "actors/envs/registry.h"
#include "cli/shared_flags.h"
#include "cli/subcommands.h"
#include "common/config.h"
#include "learner/experiment.h"

namespace mbrl::cli {
namespace {

int RunTrain(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl train: takes no arguments (use --config=FILE)\n";
    return kExitUsage;
  }
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) {
    std::cerr << "mbrl train: --config=FILE is required\n";
    return kExitUsage;
  }
  absl::StatusOr<ParsedConfig> parsed = LoadExperimentConfig(path);
  if (!parsed.ok()) {
    std::cerr << parsed.status().message() << "\n";
    return kExitUsage;
  }
  v1::ExperimentConfig config = parsed->config();
  if (absl::Status status = ApplyRunOverrides(&config); !status.ok()) {
    std::cerr << "mbrl train: " << status.message() << "\n";
    return kExitUsage;
  }

  const v1::EnvConfig env_config = config.env();
  absl::StatusOr<std::unique_ptr<envs::BatchedEnvFunctions>> functions =
      envs::MakeBatchedEnvFunctions(env_config.name());
  if (!functions.ok()) {
    std::cerr << parsed->ErrorAt({"env", "name"}, functions.status().message()).message() << "\n";
    return kExitUsage;
  }
  learner::AlgorithmEnvironment environment;
  environment.make_env = [env_config] { return envs::MakeEnv(env_config); };
  environment.functions = std::move(functions).value();

  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) out = OutputDirectory(config);
  std::cout << "mbrl train: " << (config.has_mbmpo() ? "MB-MPO" : "ME-TRPO") << " on "
            << env_config.name() << " (horizon " << env_config.horizon() << "), seed "
            << config.seed() << ", output " << out << "\n";
  absl::StatusOr<learner::ExperimentSummary> summary =
      learner::RunExperiment(config, std::move(environment), out, &std::cout);
  if (!summary.ok()) {
    std::cerr << "mbrl train: " << summary.status() << "\n";
    return kExitFailure;
  }
  std::cout << absl::StrFormat(
      "mbrl train: done after %d iterations (stopped by %s): %d real steps, %.1f s, last "
      "eval_return %.4g; checkpoint in %s/checkpoint\n",
      summary->iterations, summary->stopped_by, summary->real_steps, summary->wall_seconds,
      summary->last_eval_return, out);
  return kExitOk;
}

}  // namespace

Subcommand TrainSubcommand() {
  return {
      /*name=*/"train",
      /*arguments=*/"",
      /*summary=*/
      "Train ME-TRPO or MB-MPO in one process: progress lines, progress.csv, checkpoint.",
      /*details=*/
      "Runs the experiment of --config (an ExperimentConfig textproto, e.g.\n"
      "configs/pendulum_mbmpo.textproto) in this process: real episodes, model fitting and\n"
      "policy steps in turn. Prints one progress line per iteration and writes\n"
      "OUT/progress.csv (iteration, real_steps, imagined_steps, wall_seconds, eval_return,\n"
      "model_val_loss, ...), OUT/config.textproto and OUT/checkpoint/{model,policy}.binpb.\n"
      "Exit codes: 0 done, 1 training failed, 2 bad flags or config.",
      /*flags=*/{"config", "out", "max_real_steps", "max_wall_seconds", "seed"},
      /*run=*/RunTrain,
  };
}

}  // namespace mbrl::cli
