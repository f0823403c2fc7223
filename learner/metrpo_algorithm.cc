#include "learner/metrpo_algorithm.h"

#include <ATen/ATen.h>

#include <utility>

#include "common/status_macros.h"
#include "learner/parameters.h"

namespace mbrl::learner {

absl::StatusOr<std::unique_ptr<MetrpoAlgorithm>> MetrpoAlgorithm::Create(
    const v1::ExperimentConfig& config, AlgorithmEnvironment environment,
    const envs::EnvSpec& spec) {
  if (!config.has_metrpo()) return absl::InvalidArgumentError("config has no metrpo block");
  MBRL_ASSIGN_OR_RETURN(Modules modules, CreateModules(config, spec));
  return std::unique_ptr<MetrpoAlgorithm>(new MetrpoAlgorithm(
      config, std::move(environment), spec, std::move(modules.model), std::move(modules.policy)));
}

MetrpoAlgorithm::MetrpoAlgorithm(const v1::ExperimentConfig& config,
                                 AlgorithmEnvironment environment, const envs::EnvSpec& spec,
                                 std::unique_ptr<DynamicsModel> model,
                                 std::unique_ptr<GaussianMlpPolicy> policy)
    : ModelBasedAlgorithm(config, std::move(environment), spec, std::move(model), std::move(policy),
                          static_cast<int64_t>(config.metrpo().initial_random_steps())),
      trpo_(TrpoOptions::FromConfig(config.metrpo().trpo())) {
  imagination_.horizon = spec.max_episode_steps;
  imagination_.propagation = config.metrpo().propagation();
  advantages_.discount = config.metrpo().discount();
  advantages_.gae_lambda = config.metrpo().gae_lambda();
}

int64_t MetrpoAlgorithm::PolicyCollectionSteps() const {
  return EpisodesFor(static_cast<int64_t>(config().metrpo().real_steps_per_iteration())) *
         spec().max_episode_steps;
}

absl::StatusOr<EpisodeBatch> MetrpoAlgorithm::CollectWithPolicy() {
  return RunTrainingEpisodes(
      EpisodesFor(static_cast<int64_t>(config().metrpo().real_steps_per_iteration())),
      [&](const at::Tensor& observations) {
        return Act(policy(), policy().parameters(), observations, &generator());
      });
}

absl::Status MetrpoAlgorithm::ImprovePolicy(absl::Time deadline, IterationStats* stats) {
  const v1::MetrpoConfig& metrpo = config().metrpo();
  const std::vector<int64_t> members = model().elites();
  const int64_t groups = static_cast<int64_t>(members.size());
  const int64_t horizon = spec().max_episode_steps;
  const int64_t trajectories =
      EpisodesFor(static_cast<int64_t>(metrpo.imagined_steps_per_policy_step()));
  // Fixed validation start states for this iteration's vote: the vote then costs about as much
  // imagination as one TRPO batch.
  MBRL_ASSIGN_OR_RETURN(at::Tensor validation_starts,
                        StartStates(std::max<int64_t>(1, trajectories / groups)));

  const std::vector<at::Tensor>& theta = policy().parameters();
  ModelVote vote(metrpo.model_vote_threshold(), static_cast<int>(metrpo.patience()));
  std::vector<at::Tensor> best = CloneDetached(theta);
  auto validate = [&](int step) -> absl::Status {
    MBRL_ASSIGN_OR_RETURN(
        std::vector<double> returns,
        MemberReturns(model(), members, policy(), theta, functions(), spec().action,
                      validation_starts, horizon, generator(), &stats->imagined_steps));
    if (vote.Observe(returns, step)) best = CloneDetached(theta);
    return absl::OkStatus();
  };
  MBRL_RETURN_IF_ERROR(validate(0));
  for (int step = 1; step <= static_cast<int>(metrpo.max_policy_steps_per_iteration()); ++step) {
    if (absl::Now() >= deadline) break;
    MBRL_ASSIGN_OR_RETURN(at::Tensor starts, StartStates(trajectories));
    MBRL_ASSIGN_OR_RETURN(Rollouts rollouts,
                          Imagine(model(), members, policy(), theta, functions(), spec().action,
                                  starts.unsqueeze(0), imagination_, generator()));
    MBRL_ASSIGN_OR_RETURN(TrpoReport report,
                          TrpoPolicyStep(policy(), rollouts, advantages_, trpo_));
    stats->imagined_steps += rollouts.lengths.sum().item<int64_t>();
    stats->imagined_return = rollouts.Returns().mean().item<double>();
    ++stats->policy_steps;
    if (report.accepted) {
      ++stats->accepted_policy_steps;
      stats->kl = report.kl;
    }
    if (step % static_cast<int>(metrpo.validation_every()) == 0) {
      MBRL_RETURN_IF_ERROR(validate(step));
      if (vote.Exhausted(step)) break;
    }
  }
  AssignTensors(best, theta);
  return absl::OkStatus();
}

}  // namespace mbrl::learner
