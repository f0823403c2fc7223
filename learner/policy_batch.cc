#include "learner/policy_batch.h"

#include <ATen/ATen.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "learner/linear_baseline.h"
#include "learner/returns.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

absl::StatusOr<PolicyBatch> MakePolicyBatch(const Policy& policy,
                                            absl::Span<const at::Tensor> params,
                                            const Rollouts& rollouts, int64_t tasks,
                                            const AdvantageOptions& options) {
  MBRL_RETURN_IF_ERROR(ValidateRollouts(rollouts, policy.observation_dim(), policy.action_dim()));
  const int64_t n_total = rollouts.trajectories();
  if (tasks < 1 || n_total % tasks != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(n_total, " trajectories do not split into ", tasks, " tasks"));
  }
  if (IsBatchedParameters(policy, params) && params[0].size(0) != tasks) {
    return absl::InvalidArgumentError(
        absl::StrCat(params[0].size(0), " adapted policies for ", tasks, " tasks"));
  }
  return CallTorch("MakePolicyBatch", [&]() -> absl::StatusOr<PolicyBatch> {
    at::NoGradGuard no_grad;
    const int64_t n = n_total / tasks;
    const int64_t horizon = rollouts.horizon();
    const at::Tensor mask = rollouts.StepMask();
    const at::Tensor returns = DiscountedReturns(rollouts.rewards, mask, options.discount);
    const at::Tensor step_observations = rollouts.observations.narrow(1, 0, horizon);
    std::vector<at::Tensor> advantages;
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t start = task * n;
      const at::Tensor obs = step_observations.narrow(0, start, n);
      const at::Tensor task_mask = mask.narrow(0, start, n);
      LinearFeatureBaseline baseline;
      MBRL_RETURN_IF_ERROR(baseline.Fit(obs, returns.narrow(0, start, n), task_mask));
      at::Tensor task_advantages =
          GeneralizedAdvantages(rollouts.rewards.narrow(0, start, n), baseline.Predict(obs),
                                task_mask, options.discount, options.gae_lambda);
      if (options.standardize) {
        const at::Tensor valid = task_advantages.masked_select(task_mask > 0);
        const at::Tensor std =
            valid.numel() > 1 ? valid.std(/*unbiased=*/false) : at::zeros({}, valid.options());
        task_advantages = (task_advantages - valid.mean()) / (std + 1e-8) * task_mask;
      }
      advantages.push_back(task_advantages);
    }
    PolicyBatch batch;
    const int64_t slots = n * horizon;
    batch.observations = step_observations.reshape({tasks, slots, policy.observation_dim()});
    batch.actions = rollouts.actions.reshape({tasks, slots, policy.action_dim()});
    batch.advantages = at::cat(advantages).reshape({tasks, slots});
    batch.mask = mask.reshape({tasks, slots});
    const DiagGaussian old = policy.Distribution(params, batch.observations);
    batch.old_distribution = {old.mean.detach(), old.log_std.detach()};
    batch.old_log_prob = batch.old_distribution.LogProb(batch.actions);
    if (rollouts.behavior_log_probs.defined()) {
      batch.behavior_log_prob = rollouts.behavior_log_probs.reshape({tasks, slots}) * batch.mask;
    }
    return batch;
  });
}

PolicyBatch StrideSlots(const PolicyBatch& batch, int64_t stride) {
  if (stride <= 1) return batch;
  const auto slots = [stride](const at::Tensor& t) {
    return t.defined() ? t.slice(/*dim=*/1, 0, t.size(1), stride) : t;
  };
  PolicyBatch out;
  out.observations = slots(batch.observations);
  out.actions = slots(batch.actions);
  out.advantages = slots(batch.advantages);
  out.mask = slots(batch.mask);
  // log_std is per task or shared ([T, 1, act] or [act]): no slot dimension to stride.
  out.old_distribution = {slots(batch.old_distribution.mean), batch.old_distribution.log_std};
  out.old_log_prob = slots(batch.old_log_prob);
  out.behavior_log_prob = slots(batch.behavior_log_prob);
  return out;
}

at::Tensor TaskMean(const at::Tensor& values, const at::Tensor& mask) {
  return (values * mask).sum(1) / mask.sum(1).clamp_min(1);
}

at::Tensor SurrogateObjective(const Policy& policy, absl::Span<const at::Tensor> params,
                              const PolicyBatch& batch) {
  const at::Tensor log_prob =
      policy.Distribution(params, batch.observations).LogProb(batch.actions);
  // Masking the log-ratio (not the ratio) keeps padding slots at ratio 1, never inf * 0.
  const at::Tensor ratio = at::exp((log_prob - batch.sampling_log_prob()) * batch.mask);
  return TaskMean(ratio * batch.advantages, batch.mask).mean();
}

at::Tensor PolicyGradientObjective(const Policy& policy, absl::Span<const at::Tensor> params,
                                   const PolicyBatch& batch) {
  const at::Tensor log_prob =
      policy.Distribution(params, batch.observations).LogProb(batch.actions);
  if (!batch.behavior_log_prob.defined()) {
    return TaskMean(log_prob * batch.advantages, batch.mask);
  }
  const at::Tensor weight = at::exp((log_prob.detach() - batch.behavior_log_prob) * batch.mask);
  return TaskMean(weight * log_prob * batch.advantages, batch.mask);
}

at::Tensor ActionLogProbs(const Policy& policy, absl::Span<const at::Tensor> params,
                          const Rollouts& rollouts) {
  at::NoGradGuard no_grad;
  const at::Tensor observations = rollouts.observations.narrow(1, 0, rollouts.horizon());
  return policy.Distribution(params, observations).LogProb(rollouts.actions).detach() *
         rollouts.StepMask();
}

at::Tensor MeanKl(const Policy& policy, absl::Span<const at::Tensor> params,
                  const PolicyBatch& batch) {
  const DiagGaussian current = policy.Distribution(params, batch.observations);
  return TaskMean(KlDivergence(batch.old_distribution, current), batch.mask).mean();
}

}  // namespace mbrl::learner
