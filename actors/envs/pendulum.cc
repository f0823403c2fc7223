#include "actors/envs/pendulum.h"

#include <limits>

#include "actors/envs/random.h"

namespace mbrl::envs {

PendulumState PendulumInitialState(uint64_t seed, float* observation) {
  EnvRandom random(seed);
  PendulumState state;
  state.theta = random.Uniform(-M_PI, M_PI);
  state.theta_dot = random.Uniform(-1.0, 1.0);
  PendulumObserve(&state, observation);
  return state;
}

EnvSpec PendulumSpec(int max_episode_steps) {
  using C = PendulumConstants;
  const float max_speed = static_cast<float>(C::kMaxSpeed);
  const float max_torque = static_cast<float>(C::kMaxTorque);
  return EnvSpec{
      /*name=*/"Pendulum",
      /*observation=*/{3, {-1.0f, -1.0f, -max_speed}, {1.0f, 1.0f, max_speed}},
      /*action=*/{1, {-max_torque}, {max_torque}},
      max_episode_steps,
  };
}

void Pendulum::DoReset(uint64_t seed, absl::Span<float> observation) {
  state_ = PendulumInitialState(seed, observation.data());
}

double Pendulum::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                        bool* terminated) {
  return PendulumStep(action[0], &state_, observation.data());
}

absl::StatusOr<std::unique_ptr<VectorEnv>> PendulumVectorEnv::Create(
    int max_episode_steps, const VectorEnvOptions& options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) return status;
  return std::unique_ptr<VectorEnv>(new PendulumVectorEnv(max_episode_steps, options));
}

absl::Status PendulumVectorEnv::DoReset(int index, uint64_t seed, float* observation) {
  states_[index] = PendulumInitialState(seed, observation);
  return absl::OkStatus();
}

absl::Status PendulumVectorEnv::DoStepRange(int begin, int end, const float* actions,
                                            float* observations, float* rewards,
                                            uint8_t* terminated) {
  for (int i = begin; i < end; ++i) {
    rewards[i] = static_cast<float>(PendulumStep(actions[i], &states_[i], observations + 3 * i));
    terminated[i] = 0;
  }
  return absl::OkStatus();
}

}  // namespace mbrl::envs
