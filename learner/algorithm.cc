#include "learner/algorithm.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "learner/dynamics/mlp_ensemble.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {
namespace {

double Seconds(absl::Time since) { return absl::ToDoubleSeconds(absl::Now() - since); }

}  // namespace

ModelBasedAlgorithm::ModelBasedAlgorithm(const v1::ExperimentConfig& config,
                                         AlgorithmEnvironment environment, envs::EnvSpec spec,
                                         std::unique_ptr<DynamicsModel> model,
                                         std::unique_ptr<GaussianMlpPolicy> policy,
                                         int64_t initial_random_steps)
    : config_(config),
      environment_(std::move(environment)),
      spec_(std::move(spec)),
      model_(std::move(model)),
      policy_(std::move(policy)),
      initial_random_steps_(initial_random_steps),
      buffer_(static_cast<int64_t>(config.model().buffer_size())),
      generator_(at::detail::createCPUGenerator(config.seed())),
      next_training_seed_(config.seed() << 32),
      next_evaluation_seed_((config.seed() << 32) | (uint64_t{1} << 31)),
      next_start_seed_((config.seed() << 32) | (uint64_t{3} << 30)) {}

ModelBasedAlgorithm::~ModelBasedAlgorithm() = default;

absl::StatusOr<ModelBasedAlgorithm::Modules> ModelBasedAlgorithm::CreateModules(
    const v1::ExperimentConfig& config, const envs::EnvSpec& spec) {
  Modules modules;
  MBRL_ASSIGN_OR_RETURN(
      modules.model, MlpEnsemble::Create(MlpEnsembleOptions::FromConfig(
                                             config.model(), spec.observation.dim, spec.action.dim),
                                         config.seed()));
  MBRL_ASSIGN_OR_RETURN(
      modules.policy,
      GaussianMlpPolicy::Create(
          GaussianMlpOptions::FromConfig(config.policy(), spec.observation.dim, spec.action.dim),
          config.seed() + 1));
  return modules;
}

int64_t ModelBasedAlgorithm::EpisodesFor(int64_t steps) const {
  const int64_t horizon = spec_.max_episode_steps;
  return std::max<int64_t>(1, (steps + horizon - 1) / horizon);
}

int64_t ModelBasedAlgorithm::NextIterationRealSteps() const {
  if (iteration_ == 0 && initial_random_steps_ > 0) {
    return EpisodesFor(initial_random_steps_) * spec_.max_episode_steps;
  }
  return PolicyCollectionSteps();
}

absl::StatusOr<std::vector<envs::Env*>> ModelBasedAlgorithm::Envs(int64_t count) {
  while (static_cast<int64_t>(envs_.size()) < count) {
    MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::Env> env, environment_.make_env());
    envs_.push_back(std::move(env));
  }
  std::vector<envs::Env*> out;
  for (int64_t i = 0; i < count; ++i) out.push_back(envs_[i].get());
  return out;
}

absl::StatusOr<EpisodeBatch> ModelBasedAlgorithm::RunTrainingEpisodes(int64_t count,
                                                                      const BatchedActionFn& act) {
  MBRL_ASSIGN_OR_RETURN(std::vector<envs::Env*> envs, Envs(count));
  std::vector<uint64_t> seeds(count);
  std::iota(seeds.begin(), seeds.end(), next_training_seed_);
  next_training_seed_ += count;
  return RunEpisodes(envs, seeds, act);
}

absl::StatusOr<at::Tensor> ModelBasedAlgorithm::StartStates(int64_t count) {
  if (start_state_env_ == nullptr) {
    MBRL_ASSIGN_OR_RETURN(start_state_env_, environment_.make_env());
  }
  const uint64_t first = next_start_seed_;
  next_start_seed_ += count;
  return SampleInitialObservations(*start_state_env_, count, first);
}

absl::StatusOr<IterationStats> ModelBasedAlgorithm::RunIteration(absl::Time deadline) {
  IterationStats stats;
  stats.iteration = iteration_;

  // 1. Collect.
  absl::Time start = absl::Now();
  EpisodeBatch episodes;
  if (iteration_ == 0 && initial_random_steps_ > 0) {
    MBRL_ASSIGN_OR_RETURN(
        episodes, RunTrainingEpisodes(
                      EpisodesFor(initial_random_steps_),
                      UniformRandomActions(spec_.action,
                                           at::detail::createCPUGenerator(config_.seed() + 7919))));
  } else {
    MBRL_ASSIGN_OR_RETURN(episodes, CollectWithPolicy());
  }
  buffer_.Add(episodes.transitions);
  stats.real_steps = episodes.steps;
  stats.collect_seconds = Seconds(start);

  // 2. Fit.
  start = absl::Now();
  const uint32_t reinitialize_every = config_.model().reinitialize_every();
  if (reinitialize_every > 0 && iteration_ > 0 && iteration_ % reinitialize_every == 0) {
    model_->Reinitialize(config_.seed() * 1000003 + static_cast<uint64_t>(iteration_));
  }
  MBRL_ASSIGN_OR_RETURN(FitReport fit, model_->Fit(buffer_.data()));
  stats.model_validation_loss =
      std::accumulate(fit.validation_loss.begin(), fit.validation_loss.end(), 0.0) /
      static_cast<double>(fit.validation_loss.size());
  stats.fit_seconds = Seconds(start);

  // 3. Improve the policy.
  start = absl::Now();
  MBRL_RETURN_IF_ERROR(ImprovePolicy(deadline, &stats));
  stats.policy_seconds = Seconds(start);
  ++iteration_;
  return stats;
}

absl::StatusOr<double> ModelBasedAlgorithm::Evaluate(int episodes) {
  if (episodes < 1) return absl::InvalidArgumentError("Evaluate: need at least one episode");
  MBRL_ASSIGN_OR_RETURN(std::vector<envs::Env*> envs, Envs(episodes));
  std::vector<uint64_t> seeds(episodes);
  std::iota(seeds.begin(), seeds.end(), next_evaluation_seed_);
  next_evaluation_seed_ += episodes;
  MBRL_ASSIGN_OR_RETURN(EpisodeBatch batch,
                        RunEpisodes(envs, seeds, [&](const at::Tensor& observations) {
                          return Act(*policy_, policy_->parameters(), observations, nullptr);
                        }));
  return std::accumulate(batch.returns.begin(), batch.returns.end(), 0.0) / episodes;
}

absl::Status ModelBasedAlgorithm::Save(v1::ModelSnapshot* model, v1::PolicySnapshot* policy) const {
  MBRL_RETURN_IF_ERROR(model_->Save(model));
  return WritePolicySnapshot(*policy_, AdaptedPolicies(), policy);
}

}  // namespace mbrl::learner
