#include "cli/shared_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, env, "",
          "The registered environment (`mbrl env list`): env-server serves it; bench imagine "
          "scores rollouts with its reward (empty: HalfCheetah).");
ABSL_FLAG(int, horizon, 200,
          "Episode length in steps (env-server truncates episodes there; bench imagine rolls "
          "out this many steps).");
ABSL_FLAG(std::optional<uint64_t>, seed, std::nullopt,
          "Seed of the random sources; unset: env-server 0, train the config's seed.");
ABSL_FLAG(int, threads, 0,
          "Threads: a role's LibTorch (or env-stepping) threads, 0 = the config's topology "
          "(learner_threads, imagination_threads, env_threads); bench imagine's LibTorch "
          "threads, 0 = 2.");
ABSL_FLAG(std::string, config, "",
          "ExperimentConfig textproto file (e.g. configs/pendulum_mbmpo.textproto).");
ABSL_FLAG(std::string, out, "",
          "Output: train and local write the run directory (progress.csv, config.textproto, "
          "checkpoints; default: the config's output_dir, else runs/<name>); plot writes this "
          "PNG file.");
ABSL_FLAG(std::optional<uint64_t>, max_real_steps, std::nullopt,
          "Stop before an iteration could exceed this many real steps (evaluation steps are "
          "not counted); 0: no limit. Unset: the config's budget.max_real_steps.");
ABSL_FLAG(std::optional<double>, max_wall_seconds, std::nullopt,
          "Stop policy steps at this wall time and end after that iteration; 0: no limit. "
          "Unset: the config's budget.max_wall_seconds.");

namespace mbrl::cli {

absl::Status ApplyRunOverrides(v1::ExperimentConfig* config) {
  if (absl::GetFlag(FLAGS_seed).has_value()) config->set_seed(*absl::GetFlag(FLAGS_seed));
  if (absl::GetFlag(FLAGS_max_real_steps).has_value()) {
    config->mutable_budget()->set_max_real_steps(*absl::GetFlag(FLAGS_max_real_steps));
  }
  if (const std::optional<double> seconds = absl::GetFlag(FLAGS_max_wall_seconds);
      seconds.has_value()) {
    if (!(*seconds >= 0)) {
      return absl::InvalidArgumentError("--max_wall_seconds must be >= 0");
    }
    config->mutable_budget()->set_max_wall_seconds(*seconds);
  }
  return absl::OkStatus();
}

}  // namespace mbrl::cli
