// `mbrl local --config=FILE --out=DIR`: the whole topology of the experiment on this machine
// (services/local/local_run.h).
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "actors/envs/registry.h"
#include "cli/service_flags.h"
#include "cli/shared_flags.h"
#include "cli/subcommands.h"
#include "common/config.h"
#include "services/local/local_run.h"

ABSL_DECLARE_FLAG(int, metrics_port);
ABSL_FLAG(int, model_learner_nice, 10,
          "Niceness added to the model learner child: its fits yield the cores to the policy "
          "learner and imagination actors where they overlap (ASYNC); 0 = none, at most 19.");

namespace mbrl::cli {
namespace {

std::string SelfBinary() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, n) : std::string();
}

int RunLocalCommand(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl local: takes no arguments (use --config=FILE)\n";
    return kExitUsage;
  }
  BlockShutdownSignals();
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) {
    std::cerr << "mbrl local: --config=FILE is required\n";
    return kExitUsage;
  }
  absl::StatusOr<ParsedConfig> parsed = LoadExperimentConfig(path);
  if (!parsed.ok()) {
    std::cerr << parsed.status().message() << "\n";
    return kExitUsage;
  }
  local::LocalOptions options;
  options.config = parsed->config();
  if (absl::Status status = ApplyRunOverrides(&options.config); !status.ok()) {
    std::cerr << "mbrl local: " << status.message() << "\n";
    return kExitUsage;
  }
  if (absl::Status env = envs::MakeEnv(options.config.env()).status(); !env.ok()) {
    std::cerr << parsed->ErrorAt({"env", "name"}, env.message()).message() << "\n";
    return kExitUsage;
  }
  FillDefaults(&options.config);
  options.out_dir = absl::GetFlag(FLAGS_out);
  if (options.out_dir.empty()) options.out_dir = OutputDirectory(options.config);
  options.binary = SelfBinary();
  options.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  options.model_learner_nice = absl::GetFlag(FLAGS_model_learner_nice);
  if (options.model_learner_nice < 0 || options.model_learner_nice > 19) {
    std::cerr << "mbrl local: --model_learner_nice must be in [0, 19]\n";
    return kExitUsage;
  }
  options.terminal = &std::cout;
  absl::StatusOr<local::LocalSummary> summary = local::RunLocal(options);
  if (!summary.ok()) {
    std::cerr << "mbrl local: " << summary.status() << "\n";
    return kExitFailure;
  }
  std::cout << absl::StrFormat(
      "mbrl local: done after %d iterations (stopped by %s): %d real steps, %d imagined steps, "
      "%.1f s; progress in %s/progress.csv\n",
      summary->iterations, summary->stopped_by, summary->real_steps, summary->imagined_steps,
      summary->wall_seconds, options.out_dir);
  return kExitOk;
}

}  // namespace

Subcommand LocalSubcommand() {
  return {
      /*name=*/"local",
      /*arguments=*/"",
      /*summary=*/"Run the whole topology (shards, learners, actors) on this machine.",
      /*details=*/
      "Starts topology.replay_shards replay shards, the model and policy learners,\n"
      "topology.env_actors env actors and topology.imagination_actors imagination actors of\n"
      "--config as child processes on loopback (the same roles as on Kubernetes), restarts any\n"
      "that dies, prints the progress lines and writes OUT/progress.csv (the columns of `mbrl\n"
      "train`), OUT/logs/<role>.log and OUT/roles.txt. Ends when the experiment is done or on\n"
      "SIGTERM/SIGINT (every role stops gracefully); rerunning on the same OUT resumes.\n"
      "--metrics_port serves every role's metrics merged.",
      /*flags=*/
      {"config", "out", "metrics_port", "seed", "max_real_steps", "max_wall_seconds",
       "model_learner_nice"},
      /*run=*/RunLocalCommand,
  };
}

}  // namespace mbrl::cli
