// ME-TRPO (Kurutach et al. 2018) pieces: the TRPO step on imagined rollouts (the policy
// learner's work), per-member return estimates (the imagination actor's), and the model vote
// that ends an iteration's policy steps (Algorithm 2, official thanard/me-trpo):
// every `validation_every` steps the policy's estimated return under every member is compared
// with that member's best so far; the policy is a new best unless more than `threshold` of the
// members got worse; after `patience` policy steps without a new best, policy optimization
// stops and the best policy is restored.
#ifndef MBRL_LEARNER_METRPO_H_
#define MBRL_LEARNER_METRPO_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "actors/envs/batched_functions.h"
#include "actors/envs/interface.h"
#include "learner/dynamics/interface.h"
#include "learner/policy/interface.h"
#include "learner/policy_batch.h"
#include "learner/rollouts.h"
#include "learner/trpo.h"

namespace mbrl::learner {

// One TRPO step of policy.parameters() on `rollouts` (sampled with the current parameters),
// advantages as in MakePolicyBatch with one task.
absl::StatusOr<TrpoReport> TrpoPolicyStep(const Policy& policy, const Rollouts& rollouts,
                                          const AdvantageOptions& advantages,
                                          const TrpoOptions& trpo);

// The mean return of `params` (mean action) under each of `members` from every start state
// (float32 [n, obs_dim]) for `horizon` steps: one value per member, in order. Adds the model
// steps taken to *imagined_steps when it is not null.
absl::StatusOr<std::vector<double>> MemberReturns(
    const DynamicsModel& model, absl::Span<const int64_t> members, const Policy& policy,
    absl::Span<const at::Tensor> params, const envs::BatchedEnvFunctions& functions,
    const envs::BoxSpace& action_space, const at::Tensor& start_states, int64_t horizon,
    at::Generator& generator, int64_t* imagined_steps = nullptr);

// Not thread-safe.
class ModelVote {
 public:
  // threshold in [0, 1]; patience >= 1 policy steps.
  ModelVote(double threshold, int patience);

  // Records the per-member returns of the policy after `policy_step` steps. Returns true if it
  // is a new best: the first observation always is; later ones are unless the fraction of
  // members whose return is below their best exceeds the threshold. A new best replaces every
  // member's best. Precondition (checked): the same member count every time.
  bool Observe(absl::Span<const double> member_returns, int policy_step);

  // True once `policy_step` is at least `patience` steps past the last new best.
  bool Exhausted(int policy_step) const;

 private:
  double threshold_;
  int patience_;
  std::vector<double> best_;
  int last_best_step_ = 0;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_METRPO_H_
