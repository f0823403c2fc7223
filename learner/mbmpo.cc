#include "learner/mbmpo.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

MbmpoOptions MbmpoOptions::FromConfig(const v1::MbmpoConfig& config) {
  MbmpoOptions options;
  options.inner_learning_rate = config.inner_learning_rate();
  options.inner_steps = static_cast<int>(config.inner_steps());
  options.first_order = config.first_order();
  options.advantages.discount = config.discount();
  options.advantages.gae_lambda = config.gae_lambda();
  options.outer = TrpoOptions::FromConfig(config.outer());
  return options;
}

std::vector<at::Tensor> AdaptPolicy(const Policy& policy, absl::Span<const at::Tensor> params,
                                    const PolicyBatch& pre, const MbmpoOptions& options,
                                    bool differentiable) {
  at::AutoGradMode enable_grad(true);
  const int64_t tasks = pre.tasks();
  // One copy of theta per task (a broadcast view): the gradient of the sum of the per-task
  // objectives with respect to the copies is each task's own gradient.
  std::vector<at::Tensor> current;
  for (const at::Tensor& param : params) {
    at::Tensor base = differentiable ? param : param.detach().requires_grad_(true);
    std::vector<int64_t> shape = {tasks};
    shape.insert(shape.end(), param.sizes().begin(), param.sizes().end());
    current.push_back(base.unsqueeze(0).expand(shape));
  }
  const bool second_order = differentiable && !options.first_order;
  for (int step = 0; step < options.inner_steps; ++step) {
    const at::Tensor objective = PolicyGradientObjective(policy, current, pre).sum();
    current = PolicyGradientStep(objective, current, options.inner_learning_rate, second_order);
  }
  if (!differentiable) {
    for (at::Tensor& param : current) param = param.detach();
  }
  return current;
}

std::vector<int64_t> TaskMembers(absl::Span<const int64_t> members, int64_t tasks) {
  const int64_t groups = static_cast<int64_t>(members.size());
  if (tasks % groups == 0) return {members.begin(), members.end()};
  std::vector<int64_t> per_task;
  for (int64_t task = 0; task < tasks; ++task) per_task.push_back(members[task * groups / tasks]);
  return per_task;
}

absl::StatusOr<MbmpoAdaptation> AdaptOnModel(
    const DynamicsModel& model, absl::Span<const int64_t> members, const Policy& policy,
    const envs::BatchedEnvFunctions& functions, const envs::BoxSpace& action_space,
    const at::Tensor& starts, const ImaginationOptions& imagination, const MbmpoOptions& options,
    at::Generator& generator) {
  if (!starts.defined() || starts.dim() != 3) {
    return absl::InvalidArgumentError("MB-MPO: start states must be [T, n, obs_dim]");
  }
  if (members.empty()) return absl::InvalidArgumentError("MB-MPO: no ensemble members");
  const int64_t tasks = starts.size(0);
  ImaginationOptions fixed = imagination;
  fixed.propagation = v1::MetrpoConfig::FIXED_MEMBER;
  MbmpoAdaptation out;
  MBRL_ASSIGN_OR_RETURN(
      out.pre, Imagine(model, TaskMembers(members, tasks), policy, policy.parameters(), functions,
                       action_space, starts, fixed, generator));
  MBRL_ASSIGN_OR_RETURN(PolicyBatch pre_batch, MakePolicyBatch(policy, policy.parameters(), out.pre,
                                                               tasks, options.advantages));
  MBRL_ASSIGN_OR_RETURN(out.adapted, CallTorch("MB-MPO inner step", [&] {
                          return AdaptPolicy(policy, policy.parameters(), pre_batch, options,
                                             /*differentiable=*/false);
                        }));
  return out;
}

absl::StatusOr<MbmpoSamples> ImagineMbmpoTasks(
    const DynamicsModel& model, absl::Span<const int64_t> members, const Policy& policy,
    const envs::BatchedEnvFunctions& functions, const envs::BoxSpace& action_space,
    const at::Tensor& pre_starts, const at::Tensor& post_starts,
    const ImaginationOptions& imagination, const MbmpoOptions& options, at::Generator& generator) {
  if (!pre_starts.defined() || !post_starts.defined() || pre_starts.dim() != 3 ||
      pre_starts.sizes() != post_starts.sizes()) {
    return absl::InvalidArgumentError(
        "ImagineMbmpoTasks: pre_starts and post_starts must both be [T, n, obs_dim]");
  }
  MBRL_ASSIGN_OR_RETURN(MbmpoAdaptation adaptation,
                        AdaptOnModel(model, members, policy, functions, action_space, pre_starts,
                                     imagination, options, generator));
  ImaginationOptions fixed = imagination;
  fixed.propagation = v1::MetrpoConfig::FIXED_MEMBER;
  MbmpoSamples samples;
  samples.pre = std::move(adaptation.pre);
  samples.adapted = std::move(adaptation.adapted);
  MBRL_ASSIGN_OR_RETURN(samples.post, Imagine(model, TaskMembers(members, pre_starts.size(0)),
                                              policy, samples.adapted, functions, action_space,
                                              post_starts, fixed, generator));
  return samples;
}

absl::StatusOr<MbmpoOuterReport> MbmpoOuterStep(const Policy& policy, const Rollouts& pre,
                                                const Rollouts& post, int64_t tasks,
                                                const MbmpoOptions& options) {
  const std::vector<at::Tensor>& theta = policy.parameters();
  MBRL_ASSIGN_OR_RETURN(PolicyBatch pre_batch,
                        MakePolicyBatch(policy, theta, pre, tasks, options.advantages));
  MBRL_ASSIGN_OR_RETURN(std::vector<at::Tensor> adapted_old, CallTorch("MB-MPO inner step", [&] {
                          return AdaptPolicy(policy, theta, pre_batch, options,
                                             /*differentiable=*/false);
                        }));
  MBRL_ASSIGN_OR_RETURN(PolicyBatch post_batch,
                        MakePolicyBatch(policy, adapted_old, post, tasks, options.advantages));
  // Both terms through one inner step theta'_k(theta); values only in the line search.
  const auto evaluate = [&](bool differentiable) {
    const std::vector<at::Tensor> adapted =
        AdaptPolicy(policy, theta, pre_batch, options, differentiable);
    return PolicyTrpoTerms(policy, adapted, post_batch, options.outer.fisher_stride,
                           differentiable);
  };
  MbmpoOuterReport report;
  MBRL_ASSIGN_OR_RETURN(report.trpo, TrpoStep(theta, evaluate, options.outer));
  report.pre_update_return = pre.Returns().mean().item<double>();
  report.post_update_return = post.Returns().mean().item<double>();
  return report;
}

}  // namespace mbrl::learner
