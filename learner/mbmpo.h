// MB-MPO (Clavera et al. 2018) as composable pieces, split the way the roles split:
//  - the imagination actor rolls out theta on every task's model, computes the inner step
//    theta'_k = theta + alpha * grad J_k(theta) locally and rolls out theta'_k on the same
//    model (ImagineMbmpoTasks);
//  - the policy learner receives both rollouts per task and takes the outer TRPO step on the
//    mean post-update surrogate, rebuilding theta'_k(theta) from the pre-update rollouts so the
//    gradient flows through the inner step (MbmpoOuterStep).
//
// Tasks: T tasks, task k bound to ensemble member floor(k / (T / G)) of the G members used
// (MB-MPO's binding). The inner objective J_k is the vanilla policy-gradient objective
// mean(log pi(a|s) * A) on task k's pre-update rollouts, advantages from a per-task
// LinearFeatureBaseline, GAE and standardization (rllab's center_adv).
#ifndef MBRL_LEARNER_MBMPO_H_
#define MBRL_LEARNER_MBMPO_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "actors/envs/batched_functions.h"
#include "actors/envs/interface.h"
#include "learner/dynamics/interface.h"
#include "learner/imagination.h"
#include "learner/policy/interface.h"
#include "learner/policy_batch.h"
#include "learner/rollouts.h"
#include "learner/trpo.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::learner {

struct MbmpoOptions {
  double inner_learning_rate = 0.001;
  // Gradient steps of the inner adaptation; steps after the first reuse the pre-update
  // samples (the official code samples anew between steps).
  int inner_steps = 1;
  // Treat the inner gradient as a constant in the outer gradient (first-order MAML).
  bool first_order = false;
  AdvantageOptions advantages;
  TrpoOptions outer;

  static MbmpoOptions FromConfig(const v1::MbmpoConfig& config);
};

// theta'_k for the T tasks of `pre` (a batch of T tasks): parameters with a leading task
// dimension T. `differentiable`: the result keeps its autograd graph to `params` (through the
// inner gradient unless options.first_order); otherwise it is detached. Needs autograd enabled.
std::vector<at::Tensor> AdaptPolicy(const Policy& policy, absl::Span<const at::Tensor> params,
                                    const PolicyBatch& pre, const MbmpoOptions& options,
                                    bool differentiable);

// The member list Imagine needs for T tasks over `members` (G of them): `members` itself when
// T is a multiple of G (blocks of T / G tasks), else one member per task.
std::vector<int64_t> TaskMembers(absl::Span<const int64_t> members, int64_t tasks);

struct MbmpoAdaptation {
  Rollouts pre;                     // T * n trajectories with theta, task-major
  std::vector<at::Tensor> adapted;  // theta'_k, leading task dimension T (detached)
};

// Rolls out theta on every task's member from `starts` ([T, n, obs_dim]) and takes the inner
// step: the first half of ImagineMbmpoTasks (also what tailored real-env exploration needs).
absl::StatusOr<MbmpoAdaptation> AdaptOnModel(
    const DynamicsModel& model, absl::Span<const int64_t> members, const Policy& policy,
    const envs::BatchedEnvFunctions& functions, const envs::BoxSpace& action_space,
    const at::Tensor& starts, const ImaginationOptions& imagination, const MbmpoOptions& options,
    at::Generator& generator);

struct MbmpoSamples {
  Rollouts pre;                     // T * n trajectories with theta, task-major
  Rollouts post;                    // T * n trajectories with theta'_k
  std::vector<at::Tensor> adapted;  // theta'_k, leading task dimension T (detached)
};

// The imagination actor's work for one meta step: T = pre_starts.size(0) tasks, n =
// pre_starts.size(1) trajectories each (post-update rollouts start from post_starts, same
// shape). `imagination.propagation` is ignored (tasks are bound to members).
absl::StatusOr<MbmpoSamples> ImagineMbmpoTasks(
    const DynamicsModel& model, absl::Span<const int64_t> members, const Policy& policy,
    const envs::BatchedEnvFunctions& functions, const envs::BoxSpace& action_space,
    const at::Tensor& pre_starts, const at::Tensor& post_starts,
    const ImaginationOptions& imagination, const MbmpoOptions& options, at::Generator& generator);

struct MbmpoOuterReport {
  TrpoReport trpo;
  double pre_update_return = 0;   // mean undiscounted return of the pre-update rollouts
  double post_update_return = 0;  // ... and of the post-update rollouts
};

// The policy learner's outer step: TRPO on mean_k surrogate_k(theta'_k(theta)) subject to
// mean_k KL(pi_theta'_k(theta_old) || pi_theta'_k(theta)) <= outer.max_kl, on the post-update
// rollouts, updating policy.parameters() in place. `pre` and `post` hold `tasks` tasks each,
// sampled with the current theta and its adapted theta'_k. INVALID_ARGUMENT for malformed
// rollouts; INTERNAL if LibTorch fails (parameters unchanged).
absl::StatusOr<MbmpoOuterReport> MbmpoOuterStep(const Policy& policy, const Rollouts& pre,
                                                const Rollouts& post, int64_t tasks,
                                                const MbmpoOptions& options);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_MBMPO_H_
