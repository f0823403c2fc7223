// `mbrl bench env`: environment stepping throughput, and MuJoCo's overhead over the raw
// simulator loop measured in the same run.
//
// Measurements (all on CPU, steps of the env's own Step, reset costs included):
//   1. Pendulum, batched: PendulumVectorEnv stepping `pendulum_envs` envs per thread, with 1
//      and 2 threads -> steps per second per core (total rate / threads).
//   2. HalfCheetah through VectorEnv (InstanceVectorEnv, `halfcheetah_envs` envs per thread)
//      with 1 and 2 threads -> steps per second per core.
//   3. HalfCheetah overhead: one env's episodes (Reset + `horizon` Steps) against the raw loop
//      (set ctrl, mj_step x frame_skip) over the very same trajectories (same initial states,
//      same actions), on one thread -> time ratio ours / raw. Runs alternate and each side
//      keeps its fastest repeat, so load from other processes does not bias the ratio.
#ifndef MBRL_BENCH_ENV_BENCH_H_
#define MBRL_BENCH_ENV_BENCH_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace mbrl::bench {

struct EnvBenchOptions {
  // Wall time of each throughput measurement.
  double seconds = 1.0;
  // Envs per thread in the throughput measurements.
  int pendulum_envs = 4096;
  int halfcheetah_envs = 8;
  // Episodes of each side per overhead repeat, and repeats.
  int overhead_episodes = 4;
  int overhead_repeats = 25;
  int horizon = 200;
};

// Ordered name=value results: the names of the goals
// (pendulum_steps_per_s_per_core, halfcheetah_steps_per_s_per_core,
// halfcheetah_overhead_vs_raw) and the supporting figures.
using EnvBenchResults = std::vector<std::pair<std::string, double>>;

// Runs every measurement, writing one progress line per measurement to `log`. Errors come from
// creating the envs (e.g. INTERNAL if a MuJoCo model fails to load) or INVALID_ARGUMENT for
// bad options.
absl::StatusOr<EnvBenchResults> RunEnvBench(const EnvBenchOptions& options, std::ostream& log);

}  // namespace mbrl::bench

#endif  // MBRL_BENCH_ENV_BENCH_H_
