#include "actors/imagination_actor.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "actors/envs/registry.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "learner/dynamics/mlp_ensemble.h"
#include "learner/imagination.h"
#include "learner/mbmpo.h"
#include "learner/metrpo.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/real_sampler.h"
#include "learner/rollouts.h"
#include "learner/torch_errors.h"
#include "services/common/channel.h"
#include "services/common/episode_plan.h"
#include "services/common/retry.h"
#include "services/common/status_util.h"

namespace mbrl::actors {

// The LibTorch side: the env (start states), its batched functions, the model and the policy.
struct ImaginationActor::Imaginer {
  v1::ExperimentConfig config;
  std::unique_ptr<envs::Env> start_env;
  std::unique_ptr<envs::BatchedEnvFunctions> functions;
  envs::EnvSpec spec;
  std::unique_ptr<learner::MlpEnsemble> model;
  std::unique_ptr<learner::GaussianMlpPolicy> policy;
  uint64_t model_version = 0;
  uint64_t policy_revision = 0;
  uint64_t actor_hash = 0;

  absl::Status Load(const v1::ModelSnapshot& model_snapshot,
                    const v1::PolicySnapshot& policy_snapshot) {
    if (model_snapshot.version() != model_version) {
      MBRL_RETURN_IF_ERROR(model->Load(model_snapshot));
      model_version = model_snapshot.version();
    }
    if (policy_snapshot.revision() != policy_revision) {
      MBRL_RETURN_IF_ERROR(learner::ReadPolicySnapshot(policy_snapshot, *policy).status());
      policy_revision = policy_snapshot.revision();
    }
    return absl::OkStatus();
  }

  // `count` reset-distribution states from seeds first_seed, first_seed + 1, ...
  absl::StatusOr<at::Tensor> Starts(int64_t count, uint64_t first_seed) {
    return learner::SampleInitialObservations(*start_env, count, first_seed);
  }

  absl::StatusOr<std::vector<v1::ImaginedSample>> MakeSet(const v1::PolicySnapshot& snapshot,
                                                          const v1::ModelSnapshot& model_snapshot,
                                                          uint64_t counter,
                                                          int64_t* imagined_steps) {
    const v1::ImaginationRequest& request = snapshot.imagination();
    // SYNC: a function of what the set answers only (how many sets this actor made before
    // depends on which revisions it happened to see); ASYNC: successive sets differ.
    const uint64_t salt = request.one_set_per_revision() ? 0 : counter;
    const uint64_t seed = Mix64(Mix64(config.seed() ^ actor_hash) + snapshot.version() * 4 +
                                (request.adaptation_only() ? 1 : 0)) +
                          Mix64(model_snapshot.version() + (salt << 20));
    at::Generator generator = at::detail::createCPUGenerator(seed);
    learner::ImaginationOptions imagination;
    imagination.horizon = spec.max_episode_steps;
    const std::vector<int64_t> members = model->elites();
    std::vector<v1::ImaginedSample> samples;
    auto fill_common = [&](v1::ImaginedSample& sample) {
      sample.set_policy_version(snapshot.version());
      sample.set_policy_revision(snapshot.revision());
      sample.set_model_version(model_snapshot.version());
      sample.set_model_complete_iterations(model_snapshot.complete_iterations());
      double loss = 0;
      for (float value : model_snapshot.validation_loss()) loss += value;
      if (model_snapshot.validation_loss_size() > 0) {
        sample.set_model_validation_loss(loss / model_snapshot.validation_loss_size());
      }
    };
    const int64_t obs_dim = spec.observation.dim;
    if (config.has_mbmpo()) {
      const v1::MbmpoConfig& mbmpo = config.mbmpo();
      const int64_t tasks = mbmpo.meta_batch_size();
      const int64_t n = mbmpo.imagined_trajectories_per_task();
      const learner::MbmpoOptions options = learner::MbmpoOptions::FromConfig(mbmpo);
      MBRL_ASSIGN_OR_RETURN(at::Tensor starts, Starts(2 * tasks * n, seed));
      const at::Tensor pre_starts = starts.slice(0, 0, tasks * n).view({tasks, n, obs_dim});
      const at::Tensor post_starts = starts.slice(0, tasks * n).view({tasks, n, obs_dim});
      learner::Rollouts pre, post;
      std::vector<at::Tensor> adapted;
      if (request.adaptation_only()) {
        MBRL_ASSIGN_OR_RETURN(
            learner::MbmpoAdaptation adaptation,
            learner::AdaptOnModel(*model, members, *policy, *functions, spec.action, pre_starts,
                                  imagination, options, generator));
        pre = std::move(adaptation.pre);
        adapted = std::move(adaptation.adapted);
      } else {
        MBRL_ASSIGN_OR_RETURN(
            learner::MbmpoSamples result,
            learner::ImagineMbmpoTasks(*model, members, *policy, *functions, spec.action,
                                       pre_starts, post_starts, imagination, options, generator));
        pre = std::move(result.pre);
        post = std::move(result.post);
        adapted = std::move(result.adapted);
        *imagined_steps += post.lengths.sum().item<int64_t>();
      }
      *imagined_steps += pre.lengths.sum().item<int64_t>();
      for (int64_t task = 0; task < tasks; ++task) {
        v1::ImaginedSample& sample = samples.emplace_back();
        fill_common(sample);
        sample.set_task(static_cast<uint32_t>(task));
        MBRL_RETURN_IF_ERROR(learner::RolloutsToProto(learner::SliceRollouts(pre, task * n, n),
                                                      sample.mutable_pre_update()));
        if (post.rewards.defined()) {
          MBRL_RETURN_IF_ERROR(learner::RolloutsToProto(learner::SliceRollouts(post, task * n, n),
                                                        sample.mutable_post_update()));
        }
        std::vector<at::Tensor> one;
        for (const at::Tensor& tensor : adapted) one.push_back(tensor.select(0, task));
        MBRL_RETURN_IF_ERROR(
            learner::WriteParameterSet(policy->parameter_names(), one, sample.mutable_adapted()));
      }
      return samples;
    }
    // ME-TRPO.
    const v1::MetrpoConfig& metrpo = config.metrpo();
    const int64_t horizon = spec.max_episode_steps;
    const int64_t trajectories = std::max<int64_t>(
        1, (static_cast<int64_t>(metrpo.imagined_steps_per_policy_step()) + horizon - 1) / horizon);
    imagination.propagation = metrpo.propagation();
    MBRL_ASSIGN_OR_RETURN(at::Tensor starts, Starts(trajectories, seed));
    MBRL_ASSIGN_OR_RETURN(
        learner::Rollouts rollouts,
        learner::Imagine(*model, members, *policy, policy->parameters(), *functions, spec.action,
                         starts.unsqueeze(0), imagination, generator));
    *imagined_steps += rollouts.lengths.sum().item<int64_t>();
    v1::ImaginedSample& sample = samples.emplace_back();
    fill_common(sample);
    MBRL_RETURN_IF_ERROR(learner::RolloutsToProto(rollouts, sample.mutable_pre_update()));
    if (request.member_returns()) {
      // The iteration's validation start states: the same for every actor and step.
      const int64_t groups = static_cast<int64_t>(members.size());
      MBRL_ASSIGN_OR_RETURN(
          at::Tensor validation_starts,
          Starts(std::max<int64_t>(1, trajectories / groups),
                 Mix64(config.seed() ^ 0x766F7465ULL) + (snapshot.iteration() << 24)));
      int64_t steps = 0;
      MBRL_ASSIGN_OR_RETURN(
          std::vector<double> returns,
          learner::MemberReturns(*model, members, *policy, policy->parameters(), *functions,
                                 spec.action, validation_starts, horizon, generator, &steps));
      for (double value : returns) sample.add_member_returns(value);
      sample.set_member_return_steps(static_cast<uint64_t>(steps));
      *imagined_steps += steps;
    }
    return samples;
  }
};

absl::StatusOr<std::unique_ptr<ImaginationActor>> ImaginationActor::Create(
    const v1::ExperimentConfig& config,
    std::shared_ptr<v1::ModelLearner::StubInterface> model_learner,
    std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner,
    ImaginationActorOptions options) {
  if (model_learner == nullptr || policy_learner == nullptr) {
    return absl::InvalidArgumentError("ImaginationActor: null stub");
  }
  if (!config.has_mbmpo() && !config.has_metrpo()) {
    return absl::InvalidArgumentError("the config sets no algorithm (mbmpo or metrpo)");
  }
  auto imaginer = std::make_unique<Imaginer>();
  imaginer->config = config;
  imaginer->actor_hash = StableHash(options.actor_id);
  MBRL_ASSIGN_OR_RETURN(imaginer->start_env, envs::MakeEnv(config.env()));
  imaginer->spec = imaginer->start_env->spec();
  MBRL_ASSIGN_OR_RETURN(imaginer->functions, envs::MakeBatchedEnvFunctions(config.env().name()));
  const int64_t obs_dim = imaginer->spec.observation.dim;
  const int64_t act_dim = imaginer->spec.action.dim;
  MBRL_ASSIGN_OR_RETURN(imaginer->model,
                        learner::MlpEnsemble::Create(learner::MlpEnsembleOptions::FromConfig(
                                                         config.model(), obs_dim, act_dim),
                                                     config.seed()));
  MBRL_ASSIGN_OR_RETURN(imaginer->policy,
                        learner::GaussianMlpPolicy::Create(learner::GaussianMlpOptions::FromConfig(
                                                               config.policy(), obs_dim, act_dim),
                                                           config.seed() + 1));
  std::unique_ptr<ImaginationActor> actor(
      new ImaginationActor(config, std::move(policy_learner), std::move(options)));
  actor->imaginer_ = std::move(imaginer);
  actor->models_ = SubscribeToModels(std::move(model_learner), actor->options_.subscriptions);
  return actor;
}

ImaginationActor::ImaginationActor(const v1::ExperimentConfig& config,
                                   std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner,
                                   ImaginationActorOptions options)
    : config_(config),
      options_(std::move(options)),
      policy_learner_(policy_learner),
      policies_(SubscribeToPolicies(policy_learner, options_.subscriptions)),
      metrics_(std::make_shared<RoleMetrics>(RoleMetrics::kImagine)) {}

ImaginationActor::~ImaginationActor() { Stop(); }

void ImaginationActor::Stop() {
  stop_ = true;
  policies_->Stop();
  if (models_ != nullptr) models_->Stop();
}

void ImaginationActor::Run() {
  if (options_.threads > 0) at::set_num_threads(options_.threads);
  constexpr absl::Duration kWait = absl::Seconds(1);
  uint64_t answered_revision = 0;
  uint64_t counter = 0;
  // ASYNC pacing: sets still allowed for `paced_version` (see the header).
  uint64_t paced_version = 0;
  int sets_allowed = 0;
  Backoff backoff({absl::Milliseconds(100), absl::Seconds(5), 2.0, 0.2}, RandomSeed());
  auto pause = [&](absl::Duration delay) {
    // Interruptible: WaitNewer returns at once after Stop().
    policies_->WaitNewer(std::numeric_limits<uint64_t>::max(), delay);
  };
  while (!stop_) {
    std::shared_ptr<const v1::PolicySnapshot> policy = policies_->Latest();
    if (policy == nullptr) {
      policies_->WaitNewer(0, kWait);
      continue;
    }
    ready_ = true;
    metrics_->SetPolicyVersion(policy->version());
    const v1::ImaginationRequest& request = policy->imagination();
    if (!request.one_set_per_revision() && policy->version() != paced_version) {
      // One set per version; with a lag allowed, the first version this actor sees gets a set
      // ahead (the learner steps on it while the next is made).
      sets_allowed = paced_version == 0 && config_.roles().max_policy_lag() > 0 ? 2 : 1;
      paced_version = policy->version();
    }
    if (policy->finished() ||
        (request.one_set_per_revision() ? answered_revision >= policy->revision()
                                        : sets_allowed <= 0)) {
      policies_->WaitNewer(policy->revision(), kWait);
      continue;
    }
    std::shared_ptr<const v1::ModelSnapshot> model = models_->Latest();
    if (model == nullptr || model->complete_iterations() < request.min_complete_iterations()) {
      models_->WaitNewer(model == nullptr ? 0 : model->version(), absl::Milliseconds(200));
      continue;
    }
    metrics_->SetModelVersion(model->version());
    int64_t steps = 0;
    const absl::Time started = absl::Now();
    absl::StatusOr<std::vector<v1::ImaginedSample>> samples =
        learner::CallTorch("imagination", [&]() -> absl::StatusOr<std::vector<v1::ImaginedSample>> {
          MBRL_RETURN_IF_ERROR(imaginer_->Load(*model, *policy));
          return imaginer_->MakeSet(*policy, *model, counter, &steps);
        });
    if (!samples.ok()) {
      MBRL_LOG(ERROR) << "imagination actor " << options_.actor_id << ": " << samples.status();
      pause(backoff.NextDelay());
      continue;
    }
    metrics_->AddImaginedSteps(static_cast<uint64_t>(steps));
    MBRL_LOG(INFO) << "imagination actor " << options_.actor_id << ": set for policy version "
                   << policy->version() << " on model version " << model->version() << ": " << steps
                   << " steps in " << absl::ToDoubleSeconds(absl::Now() - started) << " s";
    for (v1::ImaginedSample& sample : *samples) sample.set_actor_id(options_.actor_id);
    ++counter;
    // Submit; retry while the learner is unreachable and the request has not moved on.
    while (!stop_) {
      grpc::ClientContext context;
      SetTimeout(context, options_.submit_timeout);
      v1::SubmitImaginedResponse response;
      std::unique_ptr<grpc::ClientWriterInterface<v1::ImaginedSample>> writer =
          policy_learner_->SubmitImagined(&context, &response);
      for (const v1::ImaginedSample& sample : *samples) {
        if (!writer->Write(sample)) break;
      }
      writer->WritesDone();
      const grpc::Status status = writer->Finish();
      if (status.ok()) {
        backoff.Reset();
        answered_revision = policy->revision();
        if (response.accepted_samples() > 0) {
          ++submitted_sets_;
          if (policy->version() == paced_version) --sets_allowed;
        }
        break;
      }
      const absl::Status error = FromGrpcStatus(status);
      if (!IsRetryable(error.code())) {
        MBRL_LOG(ERROR) << "imagination actor " << options_.actor_id << ": set refused: " << error;
        answered_revision = policy->revision();
        break;
      }
      pause(backoff.NextDelay());
      std::shared_ptr<const v1::PolicySnapshot> now = policies_->Latest();
      if (now != nullptr && now->revision() != policy->revision()) break;  // make a new set
    }
  }
  stopped_.Notify();
}

}  // namespace mbrl::actors
