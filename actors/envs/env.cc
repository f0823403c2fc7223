#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "actors/envs/interface.h"

namespace mbrl::envs {

Env::Env(EnvSpec spec) : spec_(std::move(spec)), clipped_action_(spec_.action.dim) {}

absl::Status Env::Reset(uint64_t seed, absl::Span<float> observation) {
  if (static_cast<int>(observation.size()) != spec_.observation.dim) {
    return absl::InvalidArgumentError(absl::StrCat(spec_.name, ": observation buffer has ",
                                                   observation.size(), " entries, needs ",
                                                   spec_.observation.dim));
  }
  elapsed_steps_ = 0;
  episode_running_ = false;
  if (absl::Status status = TryReset(seed, observation); !status.ok()) return status;
  episode_running_ = true;
  return absl::OkStatus();
}

absl::Status Env::TryReset(uint64_t seed, absl::Span<float> observation) {
  DoReset(seed, observation);
  return absl::OkStatus();
}

absl::StatusOr<double> Env::TryStep(absl::Span<const float> action, absl::Span<float> observation,
                                    bool* terminated) {
  return DoStep(action, observation, terminated);
}

absl::StatusOr<StepResult> Env::Step(absl::Span<const float> action,
                                     absl::Span<float> observation) {
  if (!episode_running_) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec_.name, ": Step without a running episode; call Reset first",
                     elapsed_steps_ > 0 ? " (the last episode ended)" : ""));
  }
  if (static_cast<int>(action.size()) != spec_.action.dim) {
    return absl::InvalidArgumentError(absl::StrCat(spec_.name, ": action has ", action.size(),
                                                   " entries, needs ", spec_.action.dim));
  }
  if (static_cast<int>(observation.size()) != spec_.observation.dim) {
    return absl::InvalidArgumentError(absl::StrCat(spec_.name, ": observation buffer has ",
                                                   observation.size(), " entries, needs ",
                                                   spec_.observation.dim));
  }
  for (size_t i = 0; i < action.size(); ++i) {
    if (!std::isfinite(action[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(spec_.name, ": action entry ", i, " is not finite (", action[i], ")"));
    }
  }
  std::copy(action.begin(), action.end(), clipped_action_.begin());
  ClipToSpace(spec_.action, absl::MakeSpan(clipped_action_));
  StepResult result;
  absl::StatusOr<double> reward = TryStep(clipped_action_, observation, &result.terminated);
  if (!reward.ok()) {
    episode_running_ = false;
    return reward.status();
  }
  result.reward = *reward;
  ++elapsed_steps_;
  result.truncated = !result.terminated && elapsed_steps_ >= spec_.max_episode_steps;
  episode_running_ = !result.terminated && !result.truncated;
  return result;
}

void ClipToSpace(const BoxSpace& space, absl::Span<float> action) {
  for (size_t i = 0; i < action.size(); ++i) {
    action[i] = std::clamp(action[i], space.low[i], space.high[i]);
  }
}

}  // namespace mbrl::envs
