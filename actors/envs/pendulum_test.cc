#include "actors/envs/pendulum.h"

#include <cmath>
#include <vector>

#include "actors/envs/random.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

// gym's pendulum.py step, transcribed literally (Python's % is a floored modulo).
struct ReferencePendulum {
  double th;
  double thdot;

  static double PyMod(double a, double b) { return a - b * std::floor(a / b); }
  static double AngleNormalize(double x) { return PyMod(x + M_PI, 2 * M_PI) - M_PI; }

  double Step(double u) {
    const double g = 10.0, m = 1.0, l = 1.0, dt = 0.05;
    u = std::min(std::max(u, -2.0), 2.0);
    const double costs =
        std::pow(AngleNormalize(th), 2) + 0.1 * std::pow(thdot, 2) + 0.001 * std::pow(u, 2);
    double newthdot =
        thdot + (3 * g / (2 * l) * std::sin(th) + 3.0 / (m * std::pow(l, 2)) * u) * dt;
    newthdot = std::min(std::max(newthdot, -8.0), 8.0);
    const double newth = th + newthdot * dt;
    th = newth;
    thdot = newthdot;
    return -costs;
  }
};

PendulumState StateAt(double theta, double theta_dot) {
  return PendulumState{theta, theta_dot, std::sin(theta)};
}

TEST(PendulumTest, AngleNormalizeIsPythonsFlooredModulo) {
  EXPECT_DOUBLE_EQ(PendulumAngleNormalize(0.5), 0.5);
  EXPECT_DOUBLE_EQ(PendulumAngleNormalize(M_PI), -M_PI);
  EXPECT_DOUBLE_EQ(PendulumAngleNormalize(-M_PI), -M_PI);
  EXPECT_NEAR(PendulumAngleNormalize(7.0), 0.7168146928204138, 1e-15);
  EXPECT_NEAR(PendulumAngleNormalize(-4.0), 2.283185307179586, 1e-15);
  EXPECT_NEAR(PendulumAngleNormalize(-40.0), -2.300888156922479, 1e-13);
}

// Numbers computed by hand (Python floats) from gym's equations.
TEST(PendulumTest, HandComputedSteps) {
  float obs[3];
  {  // Hanging down at rest, full positive torque.
    PendulumState state = StateAt(M_PI, 0.0);
    EXPECT_NEAR(PendulumStep(2.0, &state, obs), -9.873604401089358, 1e-12);
    EXPECT_NEAR(state.theta, 3.1565926535897932, 1e-12);
    EXPECT_NEAR(state.theta_dot, 0.3, 1e-12);
    EXPECT_FLOAT_EQ(obs[0], -0.9998875021093592f);
    EXPECT_FLOAT_EQ(obs[1], -0.014999437506328093f);
    EXPECT_FLOAT_EQ(obs[2], 0.3f);
  }
  {  // An angle beyond one turn; the speed saturates at +8.
    PendulumState state = StateAt(7.0, 7.9);
    EXPECT_NEAR(PendulumStep(0.5, &state, obs), -6.755073303843225, 1e-12);
    EXPECT_DOUBLE_EQ(state.theta_dot, 8.0);
    EXPECT_NEAR(state.theta, 7.4, 1e-12);
    EXPECT_FLOAT_EQ(obs[0], 0.43854732757439036f);
    EXPECT_FLOAT_EQ(obs[1], 0.8987080958116269f);
  }
  {  // Torque beyond the bound is clipped to -2 (in the cost too).
    PendulumState state = StateAt(-4.0, -7.95);
    EXPECT_NEAR(PendulumStep(-3.0, &state, obs), -11.537185146920741, 1e-12);
    EXPECT_NEAR(state.theta, -4.384119906425953, 1e-12);
    EXPECT_NEAR(state.theta_dot, -7.682398128519054, 1e-12);
    EXPECT_FLOAT_EQ(obs[0], -0.3224050144506777f);
    EXPECT_FLOAT_EQ(obs[1], 0.9466018205439172f);
  }
}

TEST(PendulumTest, SpecIsGymsPendulumV1) {
  Pendulum env(/*max_episode_steps=*/200);
  const EnvSpec& spec = env.spec();
  EXPECT_EQ(spec.name, "Pendulum");
  EXPECT_EQ(spec.max_episode_steps, 200);
  EXPECT_EQ(spec.observation.dim, 3);
  EXPECT_THAT(spec.observation.low, ::testing::ElementsAre(-1, -1, -8));
  EXPECT_THAT(spec.observation.high, ::testing::ElementsAre(1, 1, 8));
  EXPECT_EQ(spec.action.dim, 1);
  EXPECT_THAT(spec.action.low, ::testing::ElementsAre(-2));
  EXPECT_THAT(spec.action.high, ::testing::ElementsAre(2));
}

// A whole episode through the Env API against the reference equations started from the same
// initial state (theta ~ U(-pi, pi), then theta_dot ~ U(-1, 1) from EnvRandom(seed)).
TEST(PendulumTest, EpisodeFollowsTheReferenceEquations) {
  constexpr uint64_t kSeed = 12345;
  Pendulum env(/*max_episode_steps=*/200);
  std::vector<float> obs(3);
  ASSERT_THAT(env.Reset(kSeed, absl::MakeSpan(obs)), IsOk());
  EnvRandom random(kSeed);
  ReferencePendulum reference{random.Uniform(-M_PI, M_PI), random.Uniform(-1, 1)};
  EXPECT_FLOAT_EQ(obs[0], std::cos(reference.th));
  EXPECT_FLOAT_EQ(obs[1], std::sin(reference.th));
  EXPECT_FLOAT_EQ(obs[2], reference.thdot);

  for (int t = 0; t < 200; ++t) {
    const float action = static_cast<float>(3.0 * std::sin(0.1 * t));  // exceeds +-2 at times
    absl::StatusOr<StepResult> result = env.Step({action}, absl::MakeSpan(obs));
    ASSERT_THAT(result, IsOk());
    const double reward = reference.Step(action);
    ASSERT_NEAR(result->reward, reward, 1e-9 * std::abs(reward) + 1e-12) << "step " << t;
    ASSERT_NEAR(obs[0], std::cos(reference.th), 1e-6) << "step " << t;
    ASSERT_NEAR(obs[1], std::sin(reference.th), 1e-6) << "step " << t;
    ASSERT_NEAR(obs[2], reference.thdot, 1e-5) << "step " << t;
    EXPECT_FALSE(result->terminated);
    EXPECT_EQ(result->truncated, t == 199);
  }
  EXPECT_THAT(env.Step({0.0f}, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PendulumTest, InitialStatesCoverTheResetRange) {
  Pendulum env(/*max_episode_steps=*/200);
  std::vector<float> obs(3);
  double min_theta = 10, max_theta = -10, min_speed = 10, max_speed = -10;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    ASSERT_THAT(env.Reset(seed, absl::MakeSpan(obs)), IsOk());
    const double theta = std::atan2(obs[1], obs[0]);
    min_theta = std::min(min_theta, theta);
    max_theta = std::max(max_theta, theta);
    min_speed = std::min<double>(min_speed, obs[2]);
    max_speed = std::max<double>(max_speed, obs[2]);
  }
  EXPECT_LT(min_theta, -3.0);
  EXPECT_GT(max_theta, 3.0);
  EXPECT_GE(min_speed, -1.0);
  EXPECT_LT(min_speed, -0.99);
  EXPECT_LE(max_speed, 1.0);
  EXPECT_GT(max_speed, 0.99);
}

}  // namespace
}  // namespace mbrl::envs
