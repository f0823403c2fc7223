// From rollouts to policy-gradient training data, and the objectives TRPO, VPG and MB-MPO
// optimize.
//
// Layout: T tasks (MB-MPO's tasks; 1 for ME-TRPO), each with M = n * H step slots (its n
// trajectories' steps, padding included), so every tensor is [T, M, ...] and `mask` marks the
// valid slots. Per-task means are over valid slots; objectives average them over tasks.
#ifndef MBRL_LEARNER_POLICY_BATCH_H_
#define MBRL_LEARNER_POLICY_BATCH_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "learner/policy/diag_gaussian.h"
#include "learner/policy/interface.h"
#include "learner/rollouts.h"

namespace mbrl::learner {

struct AdvantageOptions {
  double discount = 0.99;
  double gae_lambda = 1.0;
  // Standardize advantages per task over its valid steps ((A - mean) / (std + 1e-8)), as
  // rllab's center_adv does.
  bool standardize = true;
};

struct PolicyBatch {
  at::Tensor observations;  // float32 [T, M, obs_dim]
  at::Tensor actions;       // float32 [T, M, act_dim]
  at::Tensor advantages;    // float32 [T, M], 0 in padding
  at::Tensor mask;          // float32 [T, M]
  // Under the parameters the rollouts were sampled with (no autograd history).
  DiagGaussian old_distribution;  // mean [T, M, act_dim]; log_std broadcastable
  at::Tensor old_log_prob;        // float32 [T, M]

  int64_t tasks() const { return mask.size(0); }
};

// Builds the batch of `tasks` tasks from `rollouts` (N = tasks * n trajectories, task-major):
// per task, fits a LinearFeatureBaseline on the discounted returns, computes GAE and
// (optionally) standardizes; the old distribution is evaluated under `params` (one policy, or
// one per task with a leading task dimension). INVALID_ARGUMENT if N is not a multiple of
// `tasks` or the rollouts are malformed.
absl::StatusOr<PolicyBatch> MakePolicyBatch(const Policy& policy,
                                            absl::Span<const at::Tensor> params,
                                            const Rollouts& rollouts, int64_t tasks,
                                            const AdvantageOptions& options);

// Mean of `values` [T, M] over each task's valid slots: [T].
at::Tensor TaskMean(const at::Tensor& values, const at::Tensor& mask);

// The importance-sampled surrogate mean_T TaskMean(pi(a|s) / pi_old(a|s) * A), a scalar to
// maximize. Its gradient at params == old params is the policy gradient.
at::Tensor SurrogateObjective(const Policy& policy, absl::Span<const at::Tensor> params,
                              const PolicyBatch& batch);

// The vanilla policy-gradient objective per task, TaskMean(log pi(a|s) * A): [T]. MB-MPO's inner
// step ascends it (theta'_k = theta + alpha * grad J_k).
at::Tensor PolicyGradientObjective(const Policy& policy, absl::Span<const at::Tensor> params,
                                   const PolicyBatch& batch);

// mean_T TaskMean(KL(pi_old(.|s) || pi_params(.|s))), a scalar.
at::Tensor MeanKl(const Policy& policy, absl::Span<const at::Tensor> params,
                  const PolicyBatch& batch);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_POLICY_BATCH_H_
