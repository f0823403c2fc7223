// MountainCarContinuous: gym's MountainCarContinuous-v0
// (gym/envs/classic_control/continuous_mountain_car.py).
//
//   state (position, velocity), stored as float32 after every step like gym's
//   force = clip(a, -1, 1); velocity += force * 0.0015 - 0.0025 cos(3 position)
//   velocity clipped to +-0.07; position += velocity, clipped to [-1.2, 0.6];
//   at the left wall (position == -1.2) a negative velocity becomes 0
//   terminated when position >= 0.45 and velocity >= 0 (the goal)
//   reward = 100 [terminated] - 0.1 a^2
//   observation [position, velocity]; reset: position ~ U(-0.6, -0.4), velocity 0
// Deviation: gym's action cost uses the unclipped action; here every use sees the clipped
// action (Env::Step clips first), so the cost of an out-of-bound action is that of the bound.
#ifndef MBRL_ACTORS_ENVS_MOUNTAIN_CAR_H_
#define MBRL_ACTORS_ENVS_MOUNTAIN_CAR_H_

#include <cstdint>

#include "actors/envs/interface.h"

namespace mbrl::envs {

struct MountainCarConstants {
  static constexpr double kMinPosition = -1.2;
  static constexpr double kMaxPosition = 0.6;
  static constexpr double kMaxSpeed = 0.07;
  static constexpr double kGoalPosition = 0.45;
  static constexpr double kGoalVelocity = 0.0;
  static constexpr double kPower = 0.0015;
};

EnvSpec MountainCarContinuousSpec(int max_episode_steps);

class MountainCarContinuous final : public Env {
 public:
  explicit MountainCarContinuous(int max_episode_steps)
      : Env(MountainCarContinuousSpec(max_episode_steps)) {}

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  float position_ = 0;
  float velocity_ = 0;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_MOUNTAIN_CAR_H_
