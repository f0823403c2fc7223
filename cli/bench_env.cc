// `mbrl bench env`: environment stepping throughput and MuJoCo overhead (bench/env_bench.h).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "bench/env_bench.h"
#include "cli/bench_report.h"
#include "cli/subcommands.h"

ABSL_FLAG(double, seconds, 1.0, "Wall time of each throughput measurement.");
ABSL_FLAG(int, pendulum_envs, 4096, "Pendulum envs per thread in the batched measurement.");
ABSL_FLAG(int, halfcheetah_envs, 8, "HalfCheetah envs per thread in the throughput measurement.");
ABSL_FLAG(int, overhead_episodes, 4,
          "HalfCheetah episodes per repeat of the overhead-vs-raw-MuJoCo measurement.");
ABSL_FLAG(int, overhead_repeats, 25, "Repeats of the overhead measurement (the best is kept).");

namespace mbrl::cli {
namespace {

int RunBenchEnv(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl bench env: takes no arguments\n";
    return kExitUsage;
  }
  bench::EnvBenchOptions options;
  options.seconds = absl::GetFlag(FLAGS_seconds);
  options.pendulum_envs = absl::GetFlag(FLAGS_pendulum_envs);
  options.halfcheetah_envs = absl::GetFlag(FLAGS_halfcheetah_envs);
  options.overhead_episodes = absl::GetFlag(FLAGS_overhead_episodes);
  options.overhead_repeats = absl::GetFlag(FLAGS_overhead_repeats);
  return ReportBenchResults("mbrl bench env", bench::RunEnvBench(options, std::cout), std::cout,
                            std::cerr);
}

}  // namespace

Subcommand BenchEnvSubcommand() {
  return {
      /*name=*/"bench env",
      /*arguments=*/"",
      /*summary=*/
      "Environment steps/s per core (Pendulum batched, HalfCheetah) and MuJoCo "
      "overhead.",
      /*details=*/
      "Measures Pendulum (native batched) and HalfCheetah (MuJoCo) steps per second per core\n"
      "with 1 and 2 threads, and HalfCheetah's step time over the raw mj_step x frame_skip\n"
      "loop on identical trajectories in the same run. The last line is name=value pairs.",
      /*flags=*/
      {"seconds", "pendulum_envs", "halfcheetah_envs", "overhead_episodes", "overhead_repeats"},
      /*run=*/RunBenchEnv,
  };
}

}  // namespace mbrl::cli
