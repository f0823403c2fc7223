#include "actors/envs/point_goal.h"

#include <cmath>
#include <limits>

#include "actors/envs/random.h"

namespace mbrl::envs {

EnvSpec Point2DSpec(int max_episode_steps) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  return EnvSpec{
      /*name=*/"Point2D",
      /*observation=*/{2, {-kInf, -kInf}, {kInf, kInf}},
      /*action=*/{2, {-0.1f, -0.1f}, {0.1f, 0.1f}},
      max_episode_steps,
  };
}

void Point2D::DoReset(uint64_t seed, absl::Span<float> observation) {
  EnvRandom random(seed);
  x_ = random.Uniform(-1.0, 1.0);
  y_ = random.Uniform(-1.0, 1.0);
  observation[0] = static_cast<float>(x_);
  observation[1] = static_cast<float>(y_);
}

double Point2D::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                       bool* terminated) {
  x_ += action[0];
  y_ += action[1];
  observation[0] = static_cast<float>(x_);
  observation[1] = static_cast<float>(y_);
  *terminated = std::abs(x_) < 0.01 && std::abs(y_) < 0.01;
  return -std::sqrt(x_ * x_ + y_ * y_);
}

}  // namespace mbrl::envs
