#include "actors/envs/acrobot.h"

#include <cmath>

#include "actors/envs/random.h"

namespace mbrl::envs {
namespace {

constexpr double kDt = 0.2;
constexpr double kLinkLength1 = 1.0;
constexpr double kLinkMass1 = 1.0;
constexpr double kLinkMass2 = 1.0;
constexpr double kLinkComPos1 = 0.5;
constexpr double kLinkComPos2 = 0.5;
constexpr double kLinkMoi = 1.0;
constexpr double kMaxVel1 = 4 * M_PI;
constexpr double kMaxVel2 = 9 * M_PI;
constexpr double kGravity = 9.8;

// gym's _dsdt ("book" variant): the time derivative of the state under torque a.
AcrobotState Derivative(const AcrobotState& s, double a) {
  const double m1 = kLinkMass1, m2 = kLinkMass2, l1 = kLinkLength1;
  const double lc1 = kLinkComPos1, lc2 = kLinkComPos2, I1 = kLinkMoi, I2 = kLinkMoi;
  const double g = kGravity;
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  const double d1 =
      m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * std::cos(theta2)) + I1 + I2;
  const double d2 = m2 * (lc2 * lc2 + l1 * lc2 * std::cos(theta2)) + I2;
  const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - M_PI / 2.0);
  const double phi1 = -m2 * l1 * lc2 * dtheta2 * dtheta2 * std::sin(theta2) -
                      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                      (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - M_PI / 2) + phi2;
  const double ddtheta2 =
      (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * std::sin(theta2) - phi2) /
      (m2 * lc2 * lc2 + I2 - d2 * d2 / d1);
  const double ddtheta1 = -(d1 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2};
}

AcrobotState Axpy(const AcrobotState& y, double h, const AcrobotState& k) {
  return {y[0] + h * k[0], y[1] + h * k[1], y[2] + h * k[2], y[3] + h * k[3]};
}

// gym's wrap(x, m, M): shift by the period until x is in [m, M].
double Wrap(double x, double m, double M) {
  const double diff = M - m;
  while (x > M) x -= diff;
  while (x < m) x += diff;
  return x;
}

}  // namespace

AcrobotState AcrobotDynamicsStep(const AcrobotState& s, double torque) {
  // gym's rk4(derivs, y0, [0, dt]): one classic Runge-Kutta step.
  const double dt2 = kDt / 2.0;
  const AcrobotState k1 = Derivative(s, torque);
  const AcrobotState k2 = Derivative(Axpy(s, dt2, k1), torque);
  const AcrobotState k3 = Derivative(Axpy(s, dt2, k2), torque);
  const AcrobotState k4 = Derivative(Axpy(s, kDt, k3), torque);
  AcrobotState next;
  for (int i = 0; i < 4; ++i) {
    next[i] = s[i] + kDt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  next[0] = Wrap(next[0], -M_PI, M_PI);
  next[1] = Wrap(next[1], -M_PI, M_PI);
  next[2] = std::fmin(std::fmax(next[2], -kMaxVel1), kMaxVel1);
  next[3] = std::fmin(std::fmax(next[3], -kMaxVel2), kMaxVel2);
  return next;
}

EnvSpec AcrobotSpec(int max_episode_steps) {
  const float v1 = static_cast<float>(kMaxVel1), v2 = static_cast<float>(kMaxVel2);
  return EnvSpec{
      /*name=*/"Acrobot",
      /*observation=*/{6, {-1, -1, -1, -1, -v1, -v2}, {1, 1, 1, 1, v1, v2}},
      /*action=*/{1, {-1.0f}, {1.0f}},
      max_episode_steps,
  };
}

void Acrobot::Observe(absl::Span<float> observation) const {
  observation[0] = static_cast<float>(std::cos(state_[0]));
  observation[1] = static_cast<float>(std::sin(state_[0]));
  observation[2] = static_cast<float>(std::cos(state_[1]));
  observation[3] = static_cast<float>(std::sin(state_[1]));
  observation[4] = static_cast<float>(state_[2]);
  observation[5] = static_cast<float>(state_[3]);
}

void Acrobot::DoReset(uint64_t seed, absl::Span<float> observation) {
  EnvRandom random(seed);
  // gym draws float32 values (.astype(np.float32)).
  for (double& x : state_) x = static_cast<float>(random.Uniform(-0.1, 0.1));
  Observe(observation);
}

double Acrobot::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                       bool* terminated) {
  state_ = AcrobotDynamicsStep(state_, action[0]);
  Observe(observation);
  *terminated = -std::cos(state_[0]) - std::cos(state_[1] + state_[0]) > 1.0;
  return *terminated ? 0.0 : -1.0;
}

}  // namespace mbrl::envs
