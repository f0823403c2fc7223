#include "actors/envs/mountain_car.h"

#include <algorithm>
#include <cmath>

#include "actors/envs/random.h"

namespace mbrl::envs {

EnvSpec MountainCarContinuousSpec(int max_episode_steps) {
  using C = MountainCarConstants;
  return EnvSpec{
      /*name=*/"MountainCarContinuous",
      /*observation=*/
      {2,
       {static_cast<float>(C::kMinPosition), static_cast<float>(-C::kMaxSpeed)},
       {static_cast<float>(C::kMaxPosition), static_cast<float>(C::kMaxSpeed)}},
      /*action=*/{1, {-1.0f}, {1.0f}},
      max_episode_steps,
  };
}

void MountainCarContinuous::DoReset(uint64_t seed, absl::Span<float> observation) {
  EnvRandom random(seed);
  position_ = static_cast<float>(random.Uniform(-0.6, -0.4));
  velocity_ = 0.0f;
  observation[0] = position_;
  observation[1] = velocity_;
}

double MountainCarContinuous::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                                     bool* terminated) {
  using C = MountainCarConstants;
  // gym computes in Python floats (double) from the float32 state, then stores float32.
  double position = position_;
  double velocity = velocity_;
  const double force = std::clamp<double>(action[0], -1.0, 1.0);
  velocity += force * C::kPower - 0.0025 * std::cos(3 * position);
  velocity = std::clamp(velocity, -C::kMaxSpeed, C::kMaxSpeed);
  position += velocity;
  position = std::clamp(position, C::kMinPosition, C::kMaxPosition);
  if (position == C::kMinPosition && velocity < 0) velocity = 0;
  *terminated = position >= C::kGoalPosition && velocity >= C::kGoalVelocity;
  position_ = static_cast<float>(position);
  velocity_ = static_cast<float>(velocity);
  observation[0] = position_;
  observation[1] = velocity_;
  return (*terminated ? 100.0 : 0.0) - 0.1 * (static_cast<double>(action[0]) * action[0]);
}

}  // namespace mbrl::envs
