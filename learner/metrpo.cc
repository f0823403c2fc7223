#include "learner/metrpo.h"

#include <ATen/ATen.h>

#include "common/logging.h"
#include "common/status_macros.h"
#include "learner/imagination.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

absl::StatusOr<TrpoReport> TrpoPolicyStep(const Policy& policy, const Rollouts& rollouts,
                                          const AdvantageOptions& advantages,
                                          const TrpoOptions& trpo) {
  const std::vector<at::Tensor>& theta = policy.parameters();
  MBRL_ASSIGN_OR_RETURN(PolicyBatch batch,
                        MakePolicyBatch(policy, theta, rollouts, /*tasks=*/1, advantages));
  return TrpoStep(
      theta,
      [&](bool differentiable) {
        return PolicyTrpoTerms(policy, theta, batch, trpo.fisher_stride, differentiable);
      },
      trpo);
}

absl::StatusOr<std::vector<double>> MemberReturns(
    const DynamicsModel& model, absl::Span<const int64_t> members, const Policy& policy,
    absl::Span<const at::Tensor> params, const envs::BatchedEnvFunctions& functions,
    const envs::BoxSpace& action_space, const at::Tensor& start_states, int64_t horizon,
    at::Generator& generator, int64_t* imagined_steps) {
  if (!start_states.defined() || start_states.dim() != 2) {
    return absl::InvalidArgumentError("MemberReturns: start_states must be [n, obs_dim]");
  }
  const int64_t groups = static_cast<int64_t>(members.size());
  const int64_t n = start_states.size(0);
  ImaginationOptions options;
  options.horizon = horizon;
  options.propagation = v1::MetrpoConfig::FIXED_MEMBER;
  options.deterministic_policy = true;
  // Block g (n copies of the start states) is predicted by members[g].
  const at::Tensor starts = start_states.repeat({groups, 1}).unsqueeze(0);
  MBRL_ASSIGN_OR_RETURN(Rollouts rollouts, Imagine(model, members, policy, params, functions,
                                                   action_space, starts, options, generator));
  if (imagined_steps != nullptr) *imagined_steps += rollouts.lengths.sum().item<int64_t>();
  const at::Tensor per_member = rollouts.Returns().view({groups, n}).mean(1);
  std::vector<double> out(groups);
  for (int64_t g = 0; g < groups; ++g) out[g] = per_member[g].item<double>();
  return out;
}

ModelVote::ModelVote(double threshold, int patience) : threshold_(threshold), patience_(patience) {}

bool ModelVote::Observe(absl::Span<const double> member_returns, int policy_step) {
  if (best_.empty()) {
    best_.assign(member_returns.begin(), member_returns.end());
    last_best_step_ = policy_step;
    return true;
  }
  MBRL_CHECK(member_returns.size() == best_.size())
      << member_returns.size() << " returns for " << best_.size() << " members";
  int worse = 0;
  for (size_t m = 0; m < best_.size(); ++m) worse += member_returns[m] < best_[m] ? 1 : 0;
  if (static_cast<double>(worse) / static_cast<double>(best_.size()) > threshold_) return false;
  best_.assign(member_returns.begin(), member_returns.end());
  last_best_step_ = policy_step;
  return true;
}

bool ModelVote::Exhausted(int policy_step) const {
  return !best_.empty() && policy_step - last_best_step_ >= patience_;
}

}  // namespace mbrl::learner
