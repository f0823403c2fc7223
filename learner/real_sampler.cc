#include "learner/real_sampler.h"

#include <ATen/ATen.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

absl::StatusOr<EpisodeBatch> RunEpisodes(absl::Span<envs::Env* const> envs,
                                         absl::Span<const uint64_t> seeds,
                                         const BatchedActionFn& act) {
  if (envs.empty() || envs.size() != seeds.size()) {
    return absl::InvalidArgumentError("RunEpisodes: need one seed per env and at least one env");
  }
  const envs::EnvSpec& spec = envs[0]->spec();
  const int64_t count = static_cast<int64_t>(envs.size());
  const int obs_dim = spec.observation.dim;
  const int act_dim = spec.action.dim;
  at::Tensor observations = at::zeros({count, obs_dim}, at::kFloat);
  for (int64_t e = 0; e < count; ++e) {
    if (envs[e]->spec().observation.dim != obs_dim || envs[e]->spec().action.dim != act_dim) {
      return absl::InvalidArgumentError("RunEpisodes: envs have different specs");
    }
    MBRL_RETURN_IF_ERROR(
        envs[e]->Reset(seeds[e], absl::MakeSpan(observations[e].data_ptr<float>(), obs_dim)));
  }
  EpisodeBatch batch;
  batch.initial_observations = observations.clone();
  batch.returns.assign(count, 0.0);
  std::vector<bool> running(count, true);
  std::vector<at::Tensor> obs_rows, action_rows, next_rows;
  int64_t remaining = count;
  std::vector<float> applied(act_dim);
  while (remaining > 0) {
    MBRL_ASSIGN_OR_RETURN(at::Tensor actions,
                          CallTorch("RunEpisodes policy", [&] { return act(observations); }));
    if (!actions.defined() || actions.dim() != 2 || actions.size(0) != count ||
        actions.size(1) != act_dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("RunEpisodes: the policy returned actions ",
                       actions.defined() ? c10::str(actions.sizes()) : "none", ", expected [",
                       count, ", ", act_dim, "]"));
    }
    actions = actions.to(at::kFloat).contiguous();
    at::Tensor next = observations.clone();
    for (int64_t e = 0; e < count; ++e) {
      if (!running[e]) continue;
      const float* raw = actions[e].data_ptr<float>();
      applied.assign(raw, raw + act_dim);
      envs::ClipToSpace(envs[e]->spec().action, absl::MakeSpan(applied));
      MBRL_ASSIGN_OR_RETURN(envs::StepResult step,
                            envs[e]->Step(absl::MakeConstSpan(raw, act_dim),
                                          absl::MakeSpan(next[e].data_ptr<float>(), obs_dim)));
      obs_rows.push_back(observations[e].clone());
      action_rows.push_back(at::tensor(applied, at::kFloat));
      next_rows.push_back(next[e].clone());
      batch.returns[e] += step.reward;
      ++batch.steps;
      if (step.terminated || step.truncated) {
        running[e] = false;
        --remaining;
      }
    }
    observations = next;
  }
  batch.transitions.observations = at::stack(obs_rows);
  batch.transitions.actions = at::stack(action_rows);
  batch.transitions.next_observations = at::stack(next_rows);
  return batch;
}

BatchedActionFn UniformRandomActions(const envs::BoxSpace& space, at::Generator generator) {
  at::Tensor low = at::tensor(space.low, at::kFloat);
  at::Tensor high = at::tensor(space.high, at::kFloat);
  const at::Tensor bounded = at::isfinite(low) & at::isfinite(high);
  low = at::where(bounded, low, at::zeros_like(low));
  high = at::where(bounded, high, at::zeros_like(high));
  return [low, high, bounded, generator](const at::Tensor& observations) mutable {
    const std::vector<int64_t> shape = {observations.size(0), low.size(0)};
    const at::Tensor uniform = low + (high - low) * at::rand(shape, generator, at::kFloat);
    return at::where(bounded, uniform, at::randn(shape, generator, at::kFloat));
  };
}

absl::StatusOr<at::Tensor> SampleInitialObservations(envs::Env& env, int64_t count,
                                                     uint64_t first_seed) {
  const int obs_dim = env.spec().observation.dim;
  at::Tensor out = at::zeros({count, obs_dim}, at::kFloat);
  for (int64_t i = 0; i < count; ++i) {
    MBRL_RETURN_IF_ERROR(env.Reset(first_seed + static_cast<uint64_t>(i),
                                   absl::MakeSpan(out[i].data_ptr<float>(), obs_dim)));
  }
  return out;
}

}  // namespace mbrl::learner
