// The policy extension point: `Policy`, a stochastic policy with a diagonal Gaussian action
// distribution whose parameters can be substituted (functional evaluation), which MB-MPO's
// inner step needs: theta'_k = theta + alpha * grad J_k(theta) is a function of theta, and
// the outer step differentiates through it.
//
// Implementations live in this folder, one file triple each.
#ifndef MBRL_LEARNER_POLICY_INTERFACE_H_
#define MBRL_LEARNER_POLICY_INTERFACE_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "learner/policy/diag_gaussian.h"
#include "mbrl/v1/snapshot.pb.h"

namespace mbrl::learner {

// Thread-compatible: Distribution may run concurrently; optimizers that change parameters()
// in place need exclusive access.
class Policy {
 public:
  virtual ~Policy() = default;

  virtual int64_t observation_dim() const = 0;
  virtual int64_t action_dim() const = 0;

  // theta: leaf float32 tensors with requires_grad, updated in place by optimizers.
  virtual const std::vector<at::Tensor>& parameters() const = 0;
  // Their names in snapshots ("layers.0.weight", ..., "log_std").
  virtual const std::vector<std::string>& parameter_names() const = 0;

  // The action distribution at `observations` under `params`, which are either shaped like
  // parameters() (one policy; observations [..., obs_dim]) or each carry an extra leading task
  // dimension T (T policies; observations [T, n, obs_dim], row block t under policy t).
  // Differentiable in params. Precondition: shapes as stated (LibTorch throws otherwise).
  virtual DiagGaussian Distribution(absl::Span<const at::Tensor> params,
                                    const at::Tensor& observations) const = 0;
};

// Whether `params` carry a leading task dimension (see Policy::Distribution).
bool IsBatchedParameters(const Policy& policy, absl::Span<const at::Tensor> params);

// Actions at `observations` under `params`: samples with `generator`, or the mean when
// `generator` is null. No autograd history.
at::Tensor Act(const Policy& policy, absl::Span<const at::Tensor> params,
               const at::Tensor& observations, at::Generator* generator);

// Writes theta (policy.parameters()) into snapshot->meta and, when `adapted` is defined
// (parameters with a leading task dimension T, e.g. MB-MPO's theta'_k), one `adapted` entry
// per task. Version and time are the caller's. INVALID_ARGUMENT on shape mismatches.
absl::Status WritePolicySnapshot(const Policy& policy, absl::Span<const at::Tensor> adapted,
                                 v1::PolicySnapshot* snapshot);

// Copies snapshot.meta into policy.parameters() in place and returns the adapted policies as
// parameters with a leading task dimension (empty when the snapshot has none).
// INVALID_ARGUMENT if any name, shape or dtype differs from the policy's or a value is not
// finite; nothing changes then.
absl::StatusOr<std::vector<at::Tensor>> ReadPolicySnapshot(const v1::PolicySnapshot& snapshot,
                                                           const Policy& policy);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_POLICY_INTERFACE_H_
