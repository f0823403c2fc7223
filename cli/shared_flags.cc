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
ABSL_FLAG(std::string, config, "",
          "ExperimentConfig textproto file (e.g. configs/pendulum_mbmpo.textproto).");
ABSL_FLAG(std::string, out, "",
          "Output: train and local write the run directory (progress.csv, config.textproto, "
          "checkpoints; default: the config's output_dir, else runs/<name>); plot writes this "
          "PNG file.");
