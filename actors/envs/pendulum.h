// Pendulum: gym's Pendulum-v1, exactly (gym/envs/classic_control/pendulum.py).
//
//   state (theta, theta_dot), theta = 0 upright; g 10, m 1, l 1, dt 0.05
//   u = clip(action, -2, 2)
//   reward = -(angle_normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2)   (the pre-step state)
//   theta_dot' = clip(theta_dot + (3g/(2l) sin(theta) + 3/(m l^2) u) dt, -8, 8)
//   theta' = theta + theta_dot' dt
//   observation [cos theta, sin theta, theta_dot] (float32); never terminates
//   reset: theta ~ U(-pi, pi), theta_dot ~ U(-1, 1)
//
// The dynamics are inline functions on plain doubles so that the single env and the native
// batched stepper (PendulumVectorEnv) share one definition.
#ifndef MBRL_ACTORS_ENVS_PENDULUM_H_
#define MBRL_ACTORS_ENVS_PENDULUM_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "actors/envs/interface.h"
#include "actors/envs/vector_env.h"

namespace mbrl::envs {

struct PendulumConstants {
  static constexpr double kGravity = 10.0;
  static constexpr double kMass = 1.0;
  static constexpr double kLength = 1.0;
  static constexpr double kDt = 0.05;
  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
};

// The state, plus sin(theta) carried along so each step computes one sincos, not two.
struct PendulumState {
  double theta = 0;
  double theta_dot = 0;
  double sin_theta = 0;
};

// gym's angle_normalize: ((x + pi) % (2 pi)) - pi with Python's floored modulo; in [-pi, pi).
inline double PendulumAngleNormalize(double x) {
  constexpr double kTwoPi = 2.0 * M_PI;
  double shifted = x + M_PI;
  if (!(shifted >= 0.0 && shifted < kTwoPi)) {  // rare: fmod only when outside one turn
    shifted = std::fmod(shifted, kTwoPi);
    if (shifted < 0.0) shifted += kTwoPi;
  }
  return shifted - M_PI;
}

// Writes [cos theta, sin theta, theta_dot] and refreshes state->sin_theta.
inline void PendulumObserve(PendulumState* state, float* observation) {
  const double s = std::sin(state->theta);
  const double c = std::cos(state->theta);
  state->sin_theta = s;
  observation[0] = static_cast<float>(c);
  observation[1] = static_cast<float>(s);
  observation[2] = static_cast<float>(state->theta_dot);
}

// One step of the reference equations with torque `u` (clipped here to +-kMaxTorque); writes
// the next observation and returns the reward. Requires state->sin_theta == sin(theta).
inline double PendulumStep(double u, PendulumState* state, float* observation) {
  using C = PendulumConstants;
  u = std::clamp(u, -C::kMaxTorque, C::kMaxTorque);
  const double angle = PendulumAngleNormalize(state->theta);
  const double cost = angle * angle + 0.1 * state->theta_dot * state->theta_dot + 0.001 * (u * u);
  double theta_dot = state->theta_dot + (3.0 * C::kGravity / (2.0 * C::kLength) * state->sin_theta +
                                         3.0 / (C::kMass * C::kLength * C::kLength) * u) *
                                            C::kDt;
  theta_dot = std::clamp(theta_dot, -C::kMaxSpeed, C::kMaxSpeed);
  state->theta += theta_dot * C::kDt;
  state->theta_dot = theta_dot;
  PendulumObserve(state, observation);
  return -cost;
}

// The initial state of an episode seeded with `seed`; fills observation (3 floats).
PendulumState PendulumInitialState(uint64_t seed, float* observation);

// Spec "Pendulum": observation [3] in [-1, -1, -8]..[1, 1, 8], action [1] in [-2, 2].
EnvSpec PendulumSpec(int max_episode_steps);

class Pendulum final : public Env {
 public:
  explicit Pendulum(int max_episode_steps) : Env(PendulumSpec(max_episode_steps)) {}

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  PendulumState state_;
};

// The native batched Pendulum: N states in one array, stepped in a tight loop (no virtual call
// per env). Same results as InstanceVectorEnv over Pendulum instances.
class PendulumVectorEnv final : public VectorEnv {
 public:
  // INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<VectorEnv>> Create(int max_episode_steps,
                                                           const VectorEnvOptions& options);

 protected:
  absl::Status DoReset(int index, uint64_t seed, float* observation) override;
  absl::Status DoStepRange(int begin, int end, const float* actions, float* observations,
                           float* rewards, uint8_t* terminated) override;

 private:
  PendulumVectorEnv(int max_episode_steps, const VectorEnvOptions& options)
      : VectorEnv(PendulumSpec(max_episode_steps), options), states_(options.num_envs) {}

  std::vector<PendulumState> states_;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_PENDULUM_H_
