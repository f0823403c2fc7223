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
  // Under the parameters the batch was built for (no autograd history): the trust region's
  // centre, and the sampling policy unless behavior_log_prob is defined.
  DiagGaussian old_distribution;  // mean [T, M, act_dim]; log_std broadcastable
  at::Tensor old_log_prob;        // float32 [T, M]
  // Stale samples only (Rollouts::behavior_log_probs): log pi_behavior(a|s) of the policy that
  // sampled them, float32 [T, M], 0 in padding; undefined when that is old_distribution.
  at::Tensor behavior_log_prob;

  // The denominator of importance ratios: behavior_log_prob if defined, else old_log_prob.
  const at::Tensor& sampling_log_prob() const {
    return behavior_log_prob.defined() ? behavior_log_prob : old_log_prob;
  }

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

// Every stride-th step slot of `batch` (views; stride >= 1): the subset TRPO's Fisher-vector
// products use (TrpoOptions::fisher_stride).
PolicyBatch StrideSlots(const PolicyBatch& batch, int64_t stride);

// Mean of `values` [T, M] over each task's valid slots: [T].
at::Tensor TaskMean(const at::Tensor& values, const at::Tensor& mask);

// The importance-sampled surrogate mean_T TaskMean(pi(a|s) / pi_sampling(a|s) * A), a scalar
// to maximize (pi_sampling: batch.sampling_log_prob()). Its gradient at params == the sampling
// parameters is the policy gradient; with stale samples it is the importance-sampled one.
at::Tensor SurrogateObjective(const Policy& policy, absl::Span<const at::Tensor> params,
                              const PolicyBatch& batch);

// The vanilla policy-gradient objective per task, TaskMean(log pi(a|s) * A): [T]. MB-MPO's inner
// step ascends it (theta'_k = theta + alpha * grad J_k). With stale samples (behavior_log_prob
// defined) each term is weighted by the importance ratio pi(a|s) / pi_behavior(a|s), held
// constant, so the gradient is the importance-sampled policy gradient.
at::Tensor PolicyGradientObjective(const Policy& policy, absl::Span<const at::Tensor> params,
                                   const PolicyBatch& batch);

// log pi_params(a|s) of every step of `rollouts`: float32 [N, H], 0 in padding (no autograd
// history), what Rollouts::behavior_log_probs holds. `params` is one policy.
at::Tensor ActionLogProbs(const Policy& policy, absl::Span<const at::Tensor> params,
                          const Rollouts& rollouts);

// mean_T TaskMean(KL(pi_old(.|s) || pi_params(.|s))), a scalar.
at::Tensor MeanKl(const Policy& policy, absl::Span<const at::Tensor> params,
                  const PolicyBatch& batch);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_POLICY_BATCH_H_
