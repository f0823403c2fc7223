// The cart-pole family, on gym's CartPole physics (gym/envs/classic_control/cartpole.py):
// gravity 9.8, cart 1.0 kg, pole 0.1 kg of half-length 0.5, tau 0.02 s, explicit Euler.
// Angles are measured from upright, positive toward +x; the action a in [-1, 1] pushes the cart
// with force 10 a (N).
//
// "CartPole" is mbrl-lib's continuous variant (mbrl/env/cartpole_continuous.py):
//   observation [x, x_dot, theta, theta_dot];
//   reward 1 for every step, the terminating one included;
//   terminated when |x| > 2.4 or |theta| > 12 degrees (gym's thresholds, strict);
//   reset: every state variable ~ U(-0.05, 0.05).
//   (mbrl-lib's model-side reward_fns.cartpole gives 0 on the terminating step; we keep the
//   env's reward, so env and batched reward agree.)
//
// "CartPoleSwingUp" is the swing-up task with the PETS cost (handful-of-trials
// dmbrl/config/cartpole.py), on the same physics with no termination:
//   observation [x, x_dot, cos theta, sin theta, theta_dot];
//   reward = exp(-|ee - (0, L)|^2 / L^2) - 0.01 a^2, with L = 0.6 and the end-effector
//   ee = (x + L sin theta, L cos theta) (PETS' expression, rewritten for an upright-zero
//   angle), from the post-step state;
//   reset: hanging down, theta = pi + N(0, 0.1^2), x, x_dot, theta_dot ~ N(0, 0.1^2).
#ifndef MBRL_ACTORS_ENVS_CARTPOLE_H_
#define MBRL_ACTORS_ENVS_CARTPOLE_H_

#include <cmath>
#include <cstdint>

#include "actors/envs/interface.h"

namespace mbrl::envs {

struct CartPoleState {
  double x = 0;
  double x_dot = 0;
  double theta = 0;
  double theta_dot = 0;
};

struct CartPoleConstants {
  static constexpr double kGravity = 9.8;
  static constexpr double kMassCart = 1.0;
  static constexpr double kMassPole = 0.1;
  static constexpr double kTotalMass = kMassPole + kMassCart;
  static constexpr double kHalfLength = 0.5;
  static constexpr double kPoleMassLength = kMassPole * kHalfLength;
  static constexpr double kForceMag = 10.0;
  static constexpr double kTau = 0.02;
  static constexpr double kThetaThreshold = 12 * 2 * M_PI / 360;
  static constexpr double kXThreshold = 2.4;
  // The swing-up cost's length scale (PETS' pendulum length).
  static constexpr double kSwingUpLength = 0.6;
};

// gym's CartPole equations of motion, one Euler step with force = 10 * action.
inline void CartPolePhysicsStep(double action, CartPoleState* s) {
  using C = CartPoleConstants;
  const double force = action * C::kForceMag;
  const double costheta = std::cos(s->theta);
  const double sintheta = std::sin(s->theta);
  const double temp =
      (force + C::kPoleMassLength * s->theta_dot * s->theta_dot * sintheta) / C::kTotalMass;
  const double thetaacc =
      (C::kGravity * sintheta - costheta * temp) /
      (C::kHalfLength * (4.0 / 3.0 - C::kMassPole * costheta * costheta / C::kTotalMass));
  const double xacc = temp - C::kPoleMassLength * thetaacc * costheta / C::kTotalMass;
  s->x = s->x + C::kTau * s->x_dot;
  s->x_dot = s->x_dot + C::kTau * xacc;
  s->theta = s->theta + C::kTau * s->theta_dot;
  s->theta_dot = s->theta_dot + C::kTau * thetaacc;
}

EnvSpec CartPoleSpec(int max_episode_steps);
EnvSpec CartPoleSwingUpSpec(int max_episode_steps);

class CartPole final : public Env {
 public:
  explicit CartPole(int max_episode_steps) : Env(CartPoleSpec(max_episode_steps)) {}

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  void Observe(absl::Span<float> observation) const;
  CartPoleState state_;
};

class CartPoleSwingUp final : public Env {
 public:
  explicit CartPoleSwingUp(int max_episode_steps) : Env(CartPoleSwingUpSpec(max_episode_steps)) {}

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  void Observe(absl::Span<float> observation) const;
  CartPoleState state_;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_CARTPOLE_H_
