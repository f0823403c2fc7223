#include "learner/mbmpo_algorithm.h"

#include <ATen/ATen.h>

#include <utility>

#include "common/status_macros.h"

namespace mbrl::learner {

absl::StatusOr<std::unique_ptr<MbmpoAlgorithm>> MbmpoAlgorithm::Create(
    const v1::ExperimentConfig& config, AlgorithmEnvironment environment,
    const envs::EnvSpec& spec) {
  if (!config.has_mbmpo()) return absl::InvalidArgumentError("config has no mbmpo block");
  MBRL_ASSIGN_OR_RETURN(Modules modules, CreateModules(config, spec));
  return std::unique_ptr<MbmpoAlgorithm>(new MbmpoAlgorithm(
      config, std::move(environment), spec, std::move(modules.model), std::move(modules.policy)));
}

MbmpoAlgorithm::MbmpoAlgorithm(const v1::ExperimentConfig& config, AlgorithmEnvironment environment,
                               const envs::EnvSpec& spec, std::unique_ptr<DynamicsModel> model,
                               std::unique_ptr<GaussianMlpPolicy> policy)
    : ModelBasedAlgorithm(config, std::move(environment), spec, std::move(model), std::move(policy),
                          static_cast<int64_t>(config.mbmpo().initial_random_steps())),
      options_(MbmpoOptions::FromConfig(config.mbmpo())),
      tasks_(config.mbmpo().meta_batch_size()),
      trajectories_per_task_(config.mbmpo().imagined_trajectories_per_task()) {
  imagination_.horizon = spec.max_episode_steps;
}

absl::StatusOr<at::Tensor> MbmpoAlgorithm::TaskStarts() {
  MBRL_ASSIGN_OR_RETURN(at::Tensor starts, StartStates(tasks_ * trajectories_per_task_));
  return starts.view({tasks_, trajectories_per_task_, spec().observation.dim});
}

int64_t MbmpoAlgorithm::PolicyCollectionSteps() const {
  return tasks_ * config().mbmpo().real_episodes_per_task() * spec().max_episode_steps;
}

absl::StatusOr<EpisodeBatch> MbmpoAlgorithm::CollectWithPolicy() {
  // Tailored exploration: adapt theta to every task on the current model, then run
  // real_episodes_per_task episodes per task with its theta'_k.
  MBRL_ASSIGN_OR_RETURN(at::Tensor starts, TaskStarts());
  MBRL_ASSIGN_OR_RETURN(MbmpoAdaptation adaptation,
                        AdaptOnModel(model(), model().elites(), policy(), functions(),
                                     spec().action, starts, imagination_, options_, generator()));
  adapted_ = std::move(adaptation.adapted);
  const int64_t per_task = config().mbmpo().real_episodes_per_task();
  const int64_t obs_dim = spec().observation.dim;
  return RunTrainingEpisodes(tasks_ * per_task, [&](const at::Tensor& observations) {
    return Act(policy(), adapted_, observations.view({tasks_, per_task, obs_dim}), &generator())
        .reshape({tasks_ * per_task, spec().action.dim});
  });
}

absl::Status MbmpoAlgorithm::ImprovePolicy(absl::Time deadline, IterationStats* stats) {
  const std::vector<int64_t> members = model().elites();
  for (uint32_t step = 0; step < config().mbmpo().meta_steps_per_iteration(); ++step) {
    if (absl::Now() >= deadline) break;
    MBRL_ASSIGN_OR_RETURN(at::Tensor pre_starts, TaskStarts());
    MBRL_ASSIGN_OR_RETURN(at::Tensor post_starts, TaskStarts());
    MBRL_ASSIGN_OR_RETURN(
        MbmpoSamples samples,
        ImagineMbmpoTasks(model(), members, policy(), functions(), spec().action, pre_starts,
                          post_starts, imagination_, options_, generator()));
    MBRL_ASSIGN_OR_RETURN(MbmpoOuterReport report,
                          MbmpoOuterStep(policy(), samples.pre, samples.post, tasks_, options_));
    adapted_ = std::move(samples.adapted);
    stats->imagined_steps +=
        samples.pre.lengths.sum().item<int64_t>() + samples.post.lengths.sum().item<int64_t>();
    ++stats->policy_steps;
    stats->imagined_return = report.pre_update_return;
    stats->adapted_imagined_return = report.post_update_return;
    if (report.trpo.accepted) {
      ++stats->accepted_policy_steps;
      stats->kl = report.trpo.kl;
    }
  }
  return absl::OkStatus();
}

}  // namespace mbrl::learner
