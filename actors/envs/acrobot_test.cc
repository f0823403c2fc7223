#include "actors/envs/acrobot.h"

#include <cmath>

#include "actors/envs/reference_trajectory.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

// Values from testdata/classic_control_reference.py (gym's RK4 and "book" dynamics in Python).
TEST(AcrobotTest, FollowsGymsEquations) {
  Acrobot env(/*max_episode_steps=*/500);
  ExpectReferenceTrajectory(env, /*seed=*/8, {{1}, {-1}, {0.5}, {1}},
                            {
                                {{0.9997191462342417, 0.023698705717375028, 0.9997493629582057,
                                  0.022387748092692915, 0.03780587017536163, 0.007222650572657585},
                                 0,
                                 false},
                                {{0.9999869811385387, -0.005102700601820728, 0.9983280507223689,
                                  0.05780227626032918, -0.3113019498907293, 0.3357821870989093},
                                 -1.0,
                                 false},
                                {{0.9997426407102817, -0.022685950401791537, 0.9967717185454467,
                                  0.0802878640141642, 0.14193956548362274, -0.11566340651908352},
                                 -1.0,
                                 false},
                                {{0.9999952887620128, -0.0030696015667614008, 0.9978457212539772,
                                  0.06560424205133411, 0.04680534757018276, -0.026261119387584242},
                                 -1.0,
                                 false},
                                {{0.9997533636259928, -0.022208374963367694, 0.9961458847325589,
                                  0.08771189389351598, -0.2285589451540729, 0.2404964209830558},
                                 -1.0,
                                 false},
                            });
}

TEST(AcrobotTest, HangingAtRestStaysAtRest) {
  const AcrobotState next = AcrobotDynamicsStep({0, 0, 0, 0}, 0.0);
  for (double x : next) EXPECT_NEAR(x, 0.0, 1e-12);
}

TEST(AcrobotTest, AnglesWrapAndVelocitiesSaturate) {
  // Starting just below +pi with a large positive speed, theta1 wraps to near -pi, and the
  // speeds are clipped to 4 pi and 9 pi.
  const AcrobotState next = AcrobotDynamicsStep({3.1, 0.0, 100.0, 100.0}, 1.0);
  EXPECT_GE(next[0], -M_PI);
  EXPECT_LE(next[0], M_PI);
  EXPECT_LE(std::abs(next[2]), 4 * M_PI);
  EXPECT_LE(std::abs(next[3]), 9 * M_PI);
}

}  // namespace
}  // namespace mbrl::envs
