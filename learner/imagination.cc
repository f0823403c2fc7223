#include "learner/imagination.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {
namespace {

absl::Status CheckImagineArguments(const DynamicsModel& model, absl::Span<const int64_t> members,
                                   const Policy& policy, absl::Span<const at::Tensor> params,
                                   const envs::BoxSpace& action_space,
                                   const at::Tensor& start_states,
                                   const ImaginationOptions& options) {
  const int64_t obs_dim = model.observation_dim();
  if (policy.observation_dim() != obs_dim || policy.action_dim() != model.action_dim() ||
      action_space.dim != model.action_dim()) {
    return absl::InvalidArgumentError("Imagine: model, policy and action space dimensions differ");
  }
  if (!start_states.defined() || start_states.scalar_type() != at::kFloat ||
      start_states.dim() != 3 || start_states.size(2) != obs_dim || start_states.size(1) < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Imagine: start_states must be float32 [T, n >= 1, ", obs_dim, "], got ",
                     start_states.defined() ? c10::str(start_states.sizes()) : "none"));
  }
  if (params.size() != policy.parameters().size()) {
    return absl::InvalidArgumentError("Imagine: wrong number of policy parameters");
  }
  if (IsBatchedParameters(policy, params) && params[0].size(0) != start_states.size(0)) {
    return absl::InvalidArgumentError(absl::StrCat("Imagine: ", params[0].size(0), " policies for ",
                                                   start_states.size(0), " tasks"));
  }
  if (options.horizon < 1) return absl::InvalidArgumentError("Imagine: horizon must be >= 1");
  if (members.empty()) return absl::InvalidArgumentError("Imagine: no ensemble members given");
  if (options.propagation != v1::MetrpoConfig::MEAN &&
      options.propagation != v1::MetrpoConfig::FIXED_MEMBER &&
      options.propagation != v1::MetrpoConfig::RANDOM_MEMBER_PER_STEP) {
    return absl::InvalidArgumentError("Imagine: unknown propagation");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Rollouts> Imagine(const DynamicsModel& model, absl::Span<const int64_t> members,
                                 const Policy& policy, absl::Span<const at::Tensor> params,
                                 const envs::BatchedEnvFunctions& functions,
                                 const envs::BoxSpace& action_space, const at::Tensor& start_states,
                                 const ImaginationOptions& options, at::Generator& generator) {
  MBRL_RETURN_IF_ERROR(
      CheckImagineArguments(model, members, policy, params, action_space, start_states, options));
  if (options.threads > 0) at::set_num_threads(options.threads);
  return CallTorch("Imagine", [&]() -> absl::StatusOr<Rollouts> {
    at::NoGradGuard no_grad;
    const int64_t tasks = start_states.size(0);
    const int64_t per_task = start_states.size(1);
    const int64_t rows = tasks * per_task;
    const int64_t horizon = options.horizon;
    const int64_t obs_dim = model.observation_dim();
    const int64_t act_dim = model.action_dim();
    const int64_t groups = static_cast<int64_t>(members.size());
    // Rows per member block; the model computes groups * block rows, the extra ones padding.
    const int64_t block = (rows + groups - 1) / groups;
    const int64_t padding = groups * block - rows;
    const at::Tensor low = at::tensor(action_space.low, at::kFloat);
    const at::Tensor high = at::tensor(action_space.high, at::kFloat);
    at::Generator* policy_noise = options.deterministic_policy ? nullptr : &generator;
    // A probabilistic model samples its prediction; deterministic models ignore the noise.
    at::Generator* model_noise = &generator;
    const std::vector<int64_t> member_list(members.begin(), members.end());
    // [rows, width] -> [groups, block, width], zero-padded.
    const auto grouped = [&](const at::Tensor& x) {
      const at::Tensor padded =
          padding == 0 ? x : at::cat({x, at::zeros({padding, x.size(1)}, x.options())});
      return padded.view({groups, block, x.size(1)});
    };

    Rollouts out;
    out.observations = at::zeros({rows, horizon + 1, obs_dim}, at::kFloat);
    out.actions = at::zeros({rows, horizon, act_dim}, at::kFloat);
    out.rewards = at::zeros({rows, horizon}, at::kFloat);
    // Until the first termination every row is alive and lengths are the step count.
    bool all_alive = true;
    int64_t steps = 0;
    at::Tensor alive, lengths, terminated = at::zeros({rows}, at::kBool);

    at::Tensor state = start_states.reshape({rows, obs_dim}).contiguous();
    out.observations.select(1, 0).copy_(state);
    for (int64_t t = 0; t < horizon; ++t) {
      const at::Tensor action =
          Act(policy, params, state.view({tasks, per_task, obs_dim}), policy_noise)
              .reshape({rows, act_dim});
      const at::Tensor applied = at::clamp(action, low, high);
      at::Tensor next;
      switch (options.propagation) {
        case v1::MetrpoConfig::FIXED_MEMBER: {
          MBRL_ASSIGN_OR_RETURN(
              at::Tensor predicted,
              model.PredictGrouped(member_list, grouped(state), grouped(applied), model_noise));
          next = predicted.view({groups * block, obs_dim}).narrow(0, 0, rows);
          break;
        }
        case v1::MetrpoConfig::RANDOM_MEMBER_PER_STEP: {
          const at::Tensor order = at::randperm(rows, generator, at::kLong);
          MBRL_ASSIGN_OR_RETURN(
              at::Tensor predicted,
              model.PredictGrouped(member_list, grouped(state.index_select(0, order)),
                                   grouped(applied.index_select(0, order)), model_noise));
          next = at::empty_like(state).index_copy_(
              0, order, predicted.view({groups * block, obs_dim}).narrow(0, 0, rows));
          break;
        }
        default: {
          MBRL_ASSIGN_OR_RETURN(
              at::Tensor predicted,
              model.PredictGrouped(member_list, state.unsqueeze(0).expand({groups, rows, obs_dim}),
                                   applied.unsqueeze(0).expand({groups, rows, act_dim}),
                                   model_noise));
          next = predicted.mean(0);
          break;
        }
      }
      const at::Tensor reward = functions.Reward(state, applied, next);
      const at::Tensor done = functions.Terminated(next);
      if (all_alive) {
        out.actions.select(1, t).copy_(action);
        out.rewards.select(1, t).copy_(reward);
        out.observations.select(1, t + 1).copy_(next);
        ++steps;
        if (done.any().item<bool>()) {
          all_alive = false;
          terminated = done.clone();
          alive = done.logical_not();
          lengths = at::full({rows}, steps, at::kInt);
        }
      } else {
        const at::Tensor alive_float = alive.to(at::kFloat);
        out.actions.select(1, t).copy_(action * alive_float.unsqueeze(1));
        out.rewards.select(1, t).copy_(reward * alive_float);
        out.observations.select(1, t + 1).copy_(next * alive_float.unsqueeze(1));
        lengths += alive.to(at::kInt);
        terminated.logical_or_(alive & done);
        alive.logical_and_(done.logical_not());
      }
      if (!all_alive && !alive.any().item<bool>()) break;
      state = next.contiguous();
    }
    out.lengths = all_alive ? at::full({rows}, steps, at::kInt) : lengths;
    out.terminated = terminated;
    return out;
  });
}

}  // namespace mbrl::learner
