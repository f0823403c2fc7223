#include "actors/envs/reference_trajectory.h"

#include <cmath>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl::envs {

void ExpectReferenceTrajectory(Env& env, uint64_t seed,
                               const std::vector<std::vector<float>>& actions,
                               const std::vector<ReferenceStep>& expected, double tolerance) {
  ASSERT_EQ(expected.size(), actions.size() + 1);
  const int obs_dim = env.spec().observation.dim;
  std::vector<float> obs(obs_dim);
  ASSERT_THAT(env.Reset(seed, absl::MakeSpan(obs)), ::mbrl::testing::IsOk());
  for (size_t t = 0; t < expected.size(); ++t) {
    if (t > 0) {
      MBRL_ASSERT_OK_AND_ASSIGN(StepResult result, env.Step(actions[t - 1], absl::MakeSpan(obs)));
      const double reward = expected[t].reward;
      EXPECT_NEAR(result.reward, reward, 1e-6 * std::abs(reward) + 1e-9) << "step " << t - 1;
      EXPECT_EQ(result.terminated, expected[t].terminated) << "step " << t - 1;
    }
    ASSERT_EQ(expected[t].observation.size(), obs_dim);
    for (int i = 0; i < obs_dim; ++i) {
      EXPECT_NEAR(obs[i], expected[t].observation[i], tolerance) << "row " << t << " entry " << i;
    }
  }
}

}  // namespace mbrl::envs
