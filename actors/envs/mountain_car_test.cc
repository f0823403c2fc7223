#include "actors/envs/mountain_car.h"

#include "actors/envs/reference_trajectory.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

// Values from testdata/classic_control_reference.py (gym's equations in Python).
TEST(MountainCarContinuousTest, FollowsGymsEquations) {
  MountainCarContinuous env(/*max_episode_steps=*/999);
  ExpectReferenceTrajectory(env, /*seed=*/7, {{1}, {1}, {-1}, {0.3f}},
                            {
                                {{-0.5220340490341187, 0.0}, 0, false},
                                {{-0.5205457806587219, 0.00148826465010643}, -0.1, false},
                                {{-0.5175803899765015, 0.0029653673991560936}, -0.1, false},
                                {{-0.5161601305007935, 0.0014202320016920567}, -0.1, false},
                                {{-0.5143457055091858, 0.0018144467612728477}, -0.009, false},
                            });
}

TEST(MountainCarContinuousTest, ReachingTheGoalTerminatesWithTheBonus) {
  // Bang-bang on the velocity's sign swings the car up within gym's 999 steps.
  MountainCarContinuous env(/*max_episode_steps=*/999);
  std::vector<float> obs(2);
  ASSERT_TRUE(env.Reset(3, absl::MakeSpan(obs)).ok());
  for (int t = 0; t < 999; ++t) {
    const float action = obs[1] >= 0 ? 1.0f : -1.0f;
    absl::StatusOr<StepResult> result = env.Step({action}, absl::MakeSpan(obs));
    ASSERT_TRUE(result.ok());
    if (result->terminated) {
      EXPECT_GE(obs[0], 0.45f);
      EXPECT_GE(obs[1], 0.0f);
      EXPECT_NEAR(result->reward, 100.0 - 0.1, 1e-12);
      return;
    }
    EXPECT_NEAR(result->reward, -0.1, 1e-12);
    EXPECT_GE(obs[0], -1.2f);
  }
  FAIL() << "never reached the goal";
}

}  // namespace
}  // namespace mbrl::envs
