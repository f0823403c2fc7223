// The benchmark runs end to end on a tiny budget and reports every figure it promises (no
// timing assertions: goals are checked by running `mbrl bench env`, see bench/RESULTS.md).
#include "bench/env_bench.h"

#include <sstream>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::bench {
namespace {

TEST(EnvBenchTest, ReportsEveryFigure) {
  EnvBenchOptions options;
  options.seconds = 0.01;
  options.pendulum_envs = 64;
  options.halfcheetah_envs = 2;
  options.overhead_episodes = 2;
  options.overhead_repeats = 1;
  options.horizon = 20;
  std::ostringstream log;
  MBRL_ASSERT_OK_AND_ASSIGN(EnvBenchResults results, RunEnvBench(options, log));
  std::vector<std::string> names;
  for (const auto& [name, value] : results) {
    names.push_back(name);
    EXPECT_GT(value, 0) << name;
  }
  EXPECT_THAT(names,
              ::testing::ElementsAre(
                  "pendulum_steps_per_s_per_core", "pendulum_2threads_steps_per_s_per_core",
                  "halfcheetah_steps_per_s_per_core", "halfcheetah_2threads_steps_per_s_per_core",
                  "halfcheetah_raw_steps_per_s", "halfcheetah_overhead_vs_raw"));
  EXPECT_THAT(log.str(), ::testing::HasSubstr("raw mj_step"));
}

TEST(EnvBenchTest, RejectsNonPositiveOptions) {
  EnvBenchOptions options;
  options.pendulum_envs = 0;
  std::ostringstream log;
  EXPECT_THAT(RunEnvBench(options, log),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl::bench
