// Acrobot: gym's Acrobot-v1 (gym/envs/classic_control/acrobot.py, "book" dynamics) with a
// continuous torque: the action a in [-1, 1] is the torque on the second joint (gym offers only
// -1, 0, +1).
//
//   two links of length 1, mass 1, centre of mass 0.5, moment of inertia 1; g 9.8; dt 0.2;
//   one classic RK4 step of the equations of motion per env step;
//   theta1, theta2 wrapped to [-pi, pi]; velocities clipped to +-4 pi and +-9 pi
//   terminated when -cos(theta1) - cos(theta1 + theta2) > 1 (the tip above the bar)
//   reward -1 per step, 0 on the terminating step
//   observation [cos th1, sin th1, cos th2, sin th2, th1_dot, th2_dot];
//   reset: all four state variables ~ U(-0.1, 0.1)
#ifndef MBRL_ACTORS_ENVS_ACROBOT_H_
#define MBRL_ACTORS_ENVS_ACROBOT_H_

#include <array>
#include <cstdint>

#include "actors/envs/interface.h"

namespace mbrl::envs {

// (theta1, theta2, theta1_dot, theta2_dot)
using AcrobotState = std::array<double, 4>;

// One env step of the reference dynamics: RK4 over dt, then wrapping and velocity bounds.
AcrobotState AcrobotDynamicsStep(const AcrobotState& state, double torque);

EnvSpec AcrobotSpec(int max_episode_steps);

class Acrobot final : public Env {
 public:
  explicit Acrobot(int max_episode_steps) : Env(AcrobotSpec(max_episode_steps)) {}

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  void Observe(absl::Span<float> observation) const;
  AcrobotState state_{};
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_ACROBOT_H_
