#include "actors/envs/cartpole.h"

#include <limits>

#include "actors/envs/random.h"

namespace mbrl::envs {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kFloatMax = std::numeric_limits<float>::max();

}  // namespace

EnvSpec CartPoleSpec(int max_episode_steps) {
  using C = CartPoleConstants;
  // gym's observation bounds: twice the termination thresholds.
  const float x = static_cast<float>(2 * C::kXThreshold);
  const float theta = static_cast<float>(2 * C::kThetaThreshold);
  return EnvSpec{
      /*name=*/"CartPole",
      /*observation=*/{4, {-x, -kFloatMax, -theta, -kFloatMax}, {x, kFloatMax, theta, kFloatMax}},
      /*action=*/{1, {-1.0f}, {1.0f}},
      max_episode_steps,
  };
}

void CartPole::Observe(absl::Span<float> observation) const {
  observation[0] = static_cast<float>(state_.x);
  observation[1] = static_cast<float>(state_.x_dot);
  observation[2] = static_cast<float>(state_.theta);
  observation[3] = static_cast<float>(state_.theta_dot);
}

void CartPole::DoReset(uint64_t seed, absl::Span<float> observation) {
  EnvRandom random(seed);
  state_.x = random.Uniform(-0.05, 0.05);
  state_.x_dot = random.Uniform(-0.05, 0.05);
  state_.theta = random.Uniform(-0.05, 0.05);
  state_.theta_dot = random.Uniform(-0.05, 0.05);
  Observe(observation);
}

double CartPole::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                        bool* terminated) {
  using C = CartPoleConstants;
  CartPolePhysicsStep(action[0], &state_);
  Observe(observation);
  *terminated = state_.x < -C::kXThreshold || state_.x > C::kXThreshold ||
                state_.theta < -C::kThetaThreshold || state_.theta > C::kThetaThreshold;
  return 1.0;
}

EnvSpec CartPoleSwingUpSpec(int max_episode_steps) {
  return EnvSpec{
      /*name=*/"CartPoleSwingUp",
      /*observation=*/{5, {-kInf, -kInf, -1.0f, -1.0f, -kInf}, {kInf, kInf, 1.0f, 1.0f, kInf}},
      /*action=*/{1, {-1.0f}, {1.0f}},
      max_episode_steps,
  };
}

void CartPoleSwingUp::Observe(absl::Span<float> observation) const {
  observation[0] = static_cast<float>(state_.x);
  observation[1] = static_cast<float>(state_.x_dot);
  observation[2] = static_cast<float>(std::cos(state_.theta));
  observation[3] = static_cast<float>(std::sin(state_.theta));
  observation[4] = static_cast<float>(state_.theta_dot);
}

void CartPoleSwingUp::DoReset(uint64_t seed, absl::Span<float> observation) {
  EnvRandom random(seed);
  state_.x = 0.1 * random.Normal();
  state_.x_dot = 0.1 * random.Normal();
  state_.theta = M_PI + 0.1 * random.Normal();
  state_.theta_dot = 0.1 * random.Normal();
  Observe(observation);
}

double CartPoleSwingUp::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                               bool* terminated) {
  constexpr double kL = CartPoleConstants::kSwingUpLength;
  CartPolePhysicsStep(action[0], &state_);
  Observe(observation);
  const double ee_x = state_.x + kL * std::sin(state_.theta);
  const double ee_y = kL * std::cos(state_.theta);
  const double distance2 = ee_x * ee_x + (ee_y - kL) * (ee_y - kL);
  return std::exp(-distance2 / (kL * kL)) - 0.01 * action[0] * action[0];
}

}  // namespace mbrl::envs
