#include "learner/rollouts.h"

#include <ATen/ATen.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/tensor_codec.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {
namespace {

absl::Status CheckShape(const at::Tensor& tensor, const char* name, at::ScalarType type,
                        std::vector<int64_t> shape) {
  if (!tensor.defined()) return absl::InvalidArgumentError(absl::StrCat(name, ": missing"));
  if (tensor.scalar_type() != type || tensor.sizes() != at::IntArrayRef(shape)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": expected ", c10::toString(type), " ", c10::str(at::IntArrayRef(shape)), ", got ",
        c10::toString(tensor.scalar_type()), " ", c10::str(tensor.sizes())));
  }
  if (at::isFloatingType(type) && !at::isfinite(tensor).all().item<bool>()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": has NaN or infinite values"));
  }
  return absl::OkStatus();
}

}  // namespace

at::Tensor Rollouts::StepMask() const {
  const at::Tensor steps = at::arange(horizon(), at::kLong).unsqueeze(0);
  return (steps < lengths.to(at::kLong).unsqueeze(1)).to(at::kFloat);
}

at::Tensor Rollouts::Returns() const { return rewards.to(at::kDouble).sum(1); }

absl::Status ValidateRollouts(const Rollouts& rollouts, int64_t observation_dim,
                              int64_t action_dim) {
  if (!rollouts.rewards.defined() || rollouts.rewards.dim() != 2) {
    return absl::InvalidArgumentError("rewards: expected float32 [N, H]");
  }
  const int64_t n = rollouts.rewards.size(0);
  const int64_t h = rollouts.rewards.size(1);
  if (n < 1 || h < 1) return absl::InvalidArgumentError("rollouts: need N >= 1 and H >= 1");
  MBRL_RETURN_IF_ERROR(CheckShape(rollouts.rewards, "rewards", at::kFloat, {n, h}));
  MBRL_RETURN_IF_ERROR(
      CheckShape(rollouts.observations, "observations", at::kFloat, {n, h + 1, observation_dim}));
  MBRL_RETURN_IF_ERROR(CheckShape(rollouts.actions, "actions", at::kFloat, {n, h, action_dim}));
  MBRL_RETURN_IF_ERROR(CheckShape(rollouts.lengths, "lengths", at::kInt, {n}));
  MBRL_RETURN_IF_ERROR(CheckShape(rollouts.terminated, "terminated", at::kBool, {n}));
  if (rollouts.behavior_log_probs.defined()) {
    MBRL_RETURN_IF_ERROR(
        CheckShape(rollouts.behavior_log_probs, "behavior_log_probs", at::kFloat, {n, h}));
  }
  if (!((rollouts.lengths >= 1) & (rollouts.lengths <= h)).all().item<bool>()) {
    return absl::InvalidArgumentError(absl::StrCat("lengths: every entry must be in [1, ", h, "]"));
  }
  return absl::OkStatus();
}

absl::Status RolloutsToProto(const Rollouts& rollouts, v1::RolloutBatch* batch) {
  return CallTorch("RolloutsToProto", [&]() -> absl::Status {
    MBRL_RETURN_IF_ERROR(ToTensorProto(rollouts.observations, batch->mutable_observations()));
    MBRL_RETURN_IF_ERROR(ToTensorProto(rollouts.actions, batch->mutable_actions()));
    MBRL_RETURN_IF_ERROR(ToTensorProto(rollouts.rewards, batch->mutable_rewards()));
    MBRL_RETURN_IF_ERROR(ToTensorProto(rollouts.lengths, batch->mutable_lengths()));
    return ToTensorProto(rollouts.terminated, batch->mutable_terminated());
  });
}

absl::StatusOr<Rollouts> RolloutsFromProto(const v1::RolloutBatch& batch, int64_t observation_dim,
                                           int64_t action_dim) {
  return CallTorch("RolloutsFromProto", [&]() -> absl::StatusOr<Rollouts> {
    Rollouts rollouts;
    MBRL_ASSIGN_OR_RETURN(at::Tensor observations,
                          TensorView(batch.observations(), "observations"));
    MBRL_ASSIGN_OR_RETURN(at::Tensor actions, TensorView(batch.actions(), "actions"));
    MBRL_ASSIGN_OR_RETURN(at::Tensor rewards, TensorView(batch.rewards(), "rewards"));
    MBRL_ASSIGN_OR_RETURN(at::Tensor lengths, TensorView(batch.lengths(), "lengths"));
    MBRL_ASSIGN_OR_RETURN(at::Tensor terminated, TensorView(batch.terminated(), "terminated"));
    rollouts.observations = observations.clone();
    rollouts.actions = actions.clone();
    rollouts.rewards = rewards.clone();
    rollouts.lengths = lengths.clone();
    rollouts.terminated = terminated.clone();
    MBRL_RETURN_IF_ERROR(ValidateRollouts(rollouts, observation_dim, action_dim));
    return rollouts;
  });
}

Rollouts SliceRollouts(const Rollouts& rollouts, int64_t start, int64_t count) {
  Rollouts slice{rollouts.observations.narrow(0, start, count),
                 rollouts.actions.narrow(0, start, count), rollouts.rewards.narrow(0, start, count),
                 rollouts.lengths.narrow(0, start, count),
                 rollouts.terminated.narrow(0, start, count)};
  if (rollouts.behavior_log_probs.defined()) {
    slice.behavior_log_probs = rollouts.behavior_log_probs.narrow(0, start, count);
  }
  return slice;
}

Rollouts ConcatRollouts(absl::Span<const Rollouts> parts) {
  MBRL_CHECK(!parts.empty()) << "ConcatRollouts of nothing";
  std::vector<at::Tensor> observations, actions, rewards, lengths, terminated, behavior;
  const bool with_behavior = parts[0].behavior_log_probs.defined();
  for (const Rollouts& part : parts) {
    MBRL_CHECK(part.horizon() == parts[0].horizon()) << "ConcatRollouts: horizons differ";
    MBRL_CHECK(part.behavior_log_probs.defined() == with_behavior)
        << "ConcatRollouts: behavior_log_probs in some parts only";
    observations.push_back(part.observations);
    actions.push_back(part.actions);
    rewards.push_back(part.rewards);
    lengths.push_back(part.lengths);
    terminated.push_back(part.terminated);
    if (with_behavior) behavior.push_back(part.behavior_log_probs);
  }
  Rollouts all{at::cat(observations), at::cat(actions), at::cat(rewards), at::cat(lengths),
               at::cat(terminated)};
  if (with_behavior) all.behavior_log_probs = at::cat(behavior);
  return all;
}

}  // namespace mbrl::learner
