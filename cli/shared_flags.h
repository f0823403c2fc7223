// Flags that several subcommands accept. absl flags are process-global, so a flag name is
// defined once (cli/shared_flags.cc) and every subcommand that uses it includes this header;
// each subcommand lists the ones it accepts in its Subcommand entry.
#ifndef MBRL_CLI_SHARED_FLAGS_H_
#define MBRL_CLI_SHARED_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "mbrl/v1/config.pb.h"

// A registered environment (`mbrl env list`): env-server serves it; bench imagine scores its
// rollouts with its batched reward (empty: HalfCheetah).
ABSL_DECLARE_FLAG(std::string, env);
// Episode length in steps: env-server truncates episodes there; bench imagine rolls out this
// many steps.
ABSL_DECLARE_FLAG(int, horizon);
// Threads of a role or benchmark; 0 = its default.
ABSL_DECLARE_FLAG(int, threads);
// An ExperimentConfig textproto file: train, local and every role read their experiment from it.
ABSL_DECLARE_FLAG(std::string, config);
// Where a subcommand writes its output: train and local the run directory, plot the PNG file.
ABSL_DECLARE_FLAG(std::string, out);
// train and local: the budget.max_real_steps / budget.max_wall_seconds overrides (unset: the
// config's).
ABSL_DECLARE_FLAG(std::optional<uint64_t>, max_real_steps);
ABSL_DECLARE_FLAG(std::optional<double>, max_wall_seconds);
// Seed of the random sources; unset: the subcommand's default (env-server: 0; train: the
// config's seed).
ABSL_DECLARE_FLAG(std::optional<uint64_t>, seed);

namespace mbrl::cli {

// Applies --seed, --max_real_steps and --max_wall_seconds, where given, to `config` (train and
// local). INVALID_ARGUMENT for a negative or NaN --max_wall_seconds.
absl::Status ApplyRunOverrides(v1::ExperimentConfig* config);

}  // namespace mbrl::cli

#endif  // MBRL_CLI_SHARED_FLAGS_H_
