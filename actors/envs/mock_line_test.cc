#include "actors/envs/mock_line.h"

#include "actors/envs/reference_trajectory.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

// mbrl-lib's MockLineEnv by hand: x0 = 1, v0 = 0; v += a; x += v; r = -0.001 x^2.
TEST(MockLineTest, FollowsTheReference) {
  MockLine env(/*max_episode_steps=*/30);
  ExpectReferenceTrajectory(env, /*seed=*/0, {{-1}, {0.5}, {1}},
                            {
                                {{1.0, 0.0}, 0, false},
                                {{0.0, -1.0}, -0.0, false},
                                {{-0.5, -0.5}, -0.00025, false},
                                {{0.0, 0.5}, -0.0, false},
                            });
}

TEST(MockLineTest, EveryEpisodeStartsAtOne) {
  MockLine env(/*max_episode_steps=*/30);
  std::vector<float> obs(2);
  for (uint64_t seed : {0, 1, 99}) {
    ASSERT_TRUE(env.Reset(seed, absl::MakeSpan(obs)).ok());
    EXPECT_EQ(obs, (std::vector<float>{1.0f, 0.0f}));
  }
}

}  // namespace
}  // namespace mbrl::envs
