#include "actors/envs/point_goal.h"

#include "actors/envs/reference_trajectory.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

// Values from testdata/classic_control_reference.py (rllab's PointEnv in Python).
TEST(Point2DTest, FollowsTheReference) {
  Point2D env(/*max_episode_steps=*/200);
  ExpectReferenceTrajectory(
      env, /*seed=*/9, {{0.1f, -0.1f}, {0.05f, 0.02f}, {-0.1f, 0.1f}},
      {
          {{0.3647254699579916, 0.5013897859165575}, 0, false},
          {{0.4647254699579916, 0.4013897859165575}, -0.614071268393023, false},
          {{0.5147254699579916, 0.4213897859165575}, -0.6652154997429611, false},
          {{0.41472546995799164, 0.5213897859165575}, -0.6662165746136842, false},
      });
}

TEST(Point2DTest, ReachingTheGoalTerminates) {
  Point2D env(/*max_episode_steps=*/200);
  std::vector<float> obs(2);
  ASSERT_TRUE(env.Reset(4, absl::MakeSpan(obs)).ok());
  for (int t = 0; t < 200; ++t) {
    // Step straight at the origin (the env clips to 0.1 per axis).
    absl::StatusOr<StepResult> result = env.Step({-obs[0], -obs[1]}, absl::MakeSpan(obs));
    ASSERT_TRUE(result.ok());
    if (result->terminated) {
      EXPECT_LT(std::abs(obs[0]), 0.01f);
      EXPECT_LT(std::abs(obs[1]), 0.01f);
      return;
    }
  }
  FAIL() << "never reached the goal";
}

}  // namespace
}  // namespace mbrl::envs
