#include "actors/envs/cartpole.h"

#include <cmath>

#include "actors/envs/reference_trajectory.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

// Values from testdata/classic_control_reference.py (gym's equations in Python).
TEST(CartPoleTest, FollowsGymsEquations) {
  CartPole env(/*max_episode_steps=*/200);
  ExpectReferenceTrajectory(
      env, /*seed=*/5, {{1}, {-1}, {0.5}, {1}, {1}},
      {
          {{-0.011323195401606603, 0.025230701583822387, -0.02672908343225382,
            -0.04006605886733975},
           0,
           false},
          {{-0.010818581369930155, 0.22072554523493837, -0.027530404609600614, -0.3410609928438637},
           1.0,
           false},
          {{-0.006404070465231388, 0.026005892925744872, -0.03435162446647789,
            -0.05718511085581651},
           1.0,
           false},
          {{-0.00588395260671649, 0.12405056181934031, -0.03549532668359422, -0.21426274213098875},
           1.0,
           false},
          {{-0.0034029413703296836, 0.3196615254039628, -0.03978058152621399, -0.517927801395621},
           1.0,
           false},
          {{0.0029902891377495727, 0.5153203347540165, -0.05013913755412641, -0.8228762308139563},
           1.0,
           false},
      });
}

TEST(CartPoleTest, PhysicsStepByHand) {
  // Upright at rest, no force: the pole starts to fall with gym's angular acceleration
  // g sin(th) / (l (4/3 - m_p cos^2(th) / M)) = 0 at th = 0, so nothing moves...
  CartPoleState s;
  CartPolePhysicsStep(0.0, &s);
  EXPECT_EQ(s.x, 0.0);
  EXPECT_EQ(s.theta_dot, 0.0);
  // ...and a push of +1 (10 N) gives xacc = temp - 0.05 thetaacc / 1.1 with temp = 10 / 1.1 and
  // thetaacc = -temp / (0.5 (4/3 - 0.1 / 1.1)).
  CartPolePhysicsStep(1.0, &s);
  const double temp = 10.0 / 1.1;
  const double thetaacc = -temp / (0.5 * (4.0 / 3.0 - 0.1 / 1.1));
  const double xacc = temp - 0.05 * thetaacc / 1.1;
  EXPECT_DOUBLE_EQ(s.x_dot, 0.02 * xacc);
  EXPECT_DOUBLE_EQ(s.theta_dot, 0.02 * thetaacc);
  EXPECT_EQ(s.x, 0.0);  // Euler: positions move with the old velocities
}

TEST(CartPoleTest, TerminatesWhenThePoleFalls) {
  CartPole env(/*max_episode_steps=*/500);
  std::vector<float> obs(4);
  ASSERT_TRUE(env.Reset(1, absl::MakeSpan(obs)).ok());
  int steps = 0;
  while (true) {
    absl::StatusOr<StepResult> result = env.Step({1.0f}, absl::MakeSpan(obs));
    ASSERT_TRUE(result.ok());
    ++steps;
    EXPECT_EQ(result->reward, 1.0);  // the terminating step too
    if (result->terminated) break;
    ASSERT_LT(steps, 500);
  }
  EXPECT_TRUE(std::abs(obs[0]) > 2.4 || std::abs(obs[2]) > 12 * M_PI / 180);
  EXPECT_LT(steps, 100);
}

TEST(CartPoleSwingUpTest, FollowsTheReferenceWithThePetsCost) {
  CartPoleSwingUp env(/*max_episode_steps=*/200);
  ExpectReferenceTrajectory(env, /*seed=*/6, {{1}, {1}, {-0.5}, {0}},
                            {
                                {{-0.1548480547032782, 0.02683912630614055, -0.9984042800788829,
                                  -0.0564702888266691, 0.019172219229289987},
                                 0,
                                 false},
                                {{-0.1543112721771554, 0.22110715374169343, -0.998382553466779,
                                  -0.05685311718062868, 0.2935069994254561},
                                 0.006703231856253241,
                                 false},
                                {{-0.14988912910232152, 0.4153643452310378, -0.998031618271895,
                                  -0.06271274933841216, 0.5677066692769763},
                                 0.006742513493887088,
                                 false},
                                {{-0.14158184219770076, 0.31691435977705174, -0.9972552540468888,
                                  -0.07404024767567542, 0.40188482351925375},
                                 0.014320872711909878,
                                 false},
                                {{-0.13524355500215973, 0.3158441913567743, -0.9966279339700074,
                                  -0.0820534047476074, 0.37851614408285006},
                                 0.01688964872546715,
                                 false},
                            });
}

}  // namespace
}  // namespace mbrl::envs
