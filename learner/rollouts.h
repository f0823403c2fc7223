// Rollouts: N trajectories of at most H steps, padded to H — the tensors of the RolloutBatch
// proto (mbrl.v1), as imagination produces them and the policy learner consumes them.
#ifndef MBRL_LEARNER_ROLLOUTS_H_
#define MBRL_LEARNER_ROLLOUTS_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mbrl/v1/trajectory.pb.h"

namespace mbrl::learner {

struct Rollouts {
  // Row t of trajectory n is the observation before actions[n, t]; row lengths[n] is the
  // last one. Rows after it are 0.
  at::Tensor observations;  // float32 [N, H + 1, obs_dim]
  // As the policy sampled them, before clipping to the action bounds (the model and the reward
  // saw them clipped); log-probabilities are of these. 0 in padding.
  at::Tensor actions;  // float32 [N, H, act_dim]
  at::Tensor rewards;  // float32 [N, H]; 0 in padding
  // Steps trajectory n took, in [1, H]; steps >= lengths[n] are padding.
  at::Tensor lengths;     // int32 [N]
  at::Tensor terminated;  // bool [N]: ended by termination (true) or by reaching H (false)
  // Optional; undefined when the rollouts are used on-policy. The log-probabilities of
  // `actions` under the policy that sampled them, for a consumer that uses them with a newer
  // policy (stale samples, importance-corrected in policy_batch.h). Not part of RolloutBatch:
  // the consumer computes them from the sampling policy it published. 0 in padding.
  at::Tensor behavior_log_probs;  // float32 [N, H]

  int64_t trajectories() const { return rewards.size(0); }
  int64_t horizon() const { return rewards.size(1); }
  // float32 [N, H]: 1 for the steps each trajectory took, 0 for padding.
  at::Tensor StepMask() const;
  // float64 [N]: the undiscounted return of each trajectory.
  at::Tensor Returns() const;
};

// OK if the fields have the documented dtypes and consistent shapes for these dimensions,
// lengths are in [1, H] and every float is finite; INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateRollouts(const Rollouts& rollouts, int64_t observation_dim,
                              int64_t action_dim);

// Rollouts <-> RolloutBatch. FromProto validates (as ValidateRollouts) and copies, so the
// result does not depend on `batch`.
absl::Status RolloutsToProto(const Rollouts& rollouts, v1::RolloutBatch* batch);
absl::StatusOr<Rollouts> RolloutsFromProto(const v1::RolloutBatch& batch, int64_t observation_dim,
                                           int64_t action_dim);

// Trajectories [start, start + count) (views).
Rollouts SliceRollouts(const Rollouts& rollouts, int64_t start, int64_t count);
// The trajectories of all parts in order; every part must have the same horizon, and either
// all or none must have behavior_log_probs (checked).
Rollouts ConcatRollouts(absl::Span<const Rollouts> parts);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_ROLLOUTS_H_
