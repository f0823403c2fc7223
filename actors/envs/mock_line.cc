#include "actors/envs/mock_line.h"

#include <limits>

namespace mbrl::envs {

EnvSpec MockLineSpec(int max_episode_steps) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  return EnvSpec{
      /*name=*/"MockLine",
      /*observation=*/{2, {-kInf, -kInf}, {kInf, kInf}},
      /*action=*/{1, {-1.0f}, {1.0f}},
      max_episode_steps,
  };
}

void MockLine::DoReset(uint64_t seed, absl::Span<float> observation) {
  position_ = 1.0;
  velocity_ = 0.0;
  observation[0] = static_cast<float>(position_);
  observation[1] = static_cast<float>(velocity_);
}

double MockLine::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                        bool* terminated) {
  velocity_ += action[0];
  position_ += velocity_;
  observation[0] = static_cast<float>(position_);
  observation[1] = static_cast<float>(velocity_);
  return -0.001 * position_ * position_;
}

}  // namespace mbrl::envs
