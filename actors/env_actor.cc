#include "actors/env_actor.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "actors/envs/registry.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/tensor_proto.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/real_sampler.h"
#include "learner/torch_errors.h"
#include "services/common/channel.h"
#include "services/common/episode_plan.h"
#include "services/common/retry.h"
#include "services/common/status_util.h"

namespace mbrl::actors {
namespace {

v1::Tensor BoolTensor(const std::vector<uint8_t>& values) {
  v1::Tensor tensor = MakeTensor<uint8_t>(values, {static_cast<int64_t>(values.size())});
  tensor.set_dtype(v1::DTYPE_BOOL);
  return tensor;
}

}  // namespace

// The LibTorch and env side.
struct EnvActor::Runner {
  // One finished episode as the env produced it.
  struct Episode {
    std::vector<float> observations;  // (steps + 1) * obs_dim
    std::vector<float> actions;       // steps * act_dim, as applied (clipped)
    std::vector<float> rewards;
    bool terminated = false;
    int64_t steps = 0;
    double episode_return = 0;
  };

  v1::ExperimentConfig config;
  envs::EnvSpec spec;
  int env_threads = 1;
  std::map<int, std::unique_ptr<envs::VectorEnv>> envs;  // by size
  std::unique_ptr<learner::GaussianMlpPolicy> policy;
  std::vector<at::Tensor> adapted;  // theta'_k with a leading task dimension, or empty
  uint64_t revision = 0;
  std::unique_ptr<learner::GaussianMlpPolicy> evaluation_policy;

  absl::StatusOr<envs::VectorEnv*> Envs(int count) {
    auto it = envs.find(count);
    if (it == envs.end()) {
      envs::VectorEnvOptions options;
      options.num_envs = count;
      options.num_threads = std::max(1, std::min(env_threads, count));
      MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::VectorEnv> env,
                            envs::MakeVectorEnv(config.env(), options));
      it = envs.emplace(count, std::move(env)).first;
    }
    return it->second.get();
  }

  absl::Status LoadPolicy(const v1::PolicySnapshot& snapshot) {
    if (snapshot.revision() == revision) return absl::OkStatus();
    MBRL_ASSIGN_OR_RETURN(adapted, learner::ReadPolicySnapshot(snapshot, *policy));
    revision = snapshot.revision();
    return absl::OkStatus();
  }

  // One episode on each of `count` envs, env j reset with first_seed + j.
  absl::StatusOr<std::vector<Episode>> RunEpisodes(int count, uint64_t first_seed,
                                                   const learner::BatchedActionFn& act) {
    MBRL_ASSIGN_OR_RETURN(envs::VectorEnv * env, Envs(count));
    const int o = spec.observation.dim;
    const int a = spec.action.dim;
    std::vector<float> observations(count * o), next(count * o), final_observations(count * o);
    std::vector<float> rewards(count);
    std::vector<uint8_t> terminated(count), truncated(count);
    MBRL_RETURN_IF_ERROR(env->Reset(first_seed, absl::MakeSpan(observations)));
    std::vector<Episode> episodes(count);
    for (int e = 0; e < count; ++e) {
      episodes[e].observations.assign(observations.begin() + e * o,
                                      observations.begin() + (e + 1) * o);
    }
    std::vector<bool> running(count, true);
    int remaining = count;
    std::vector<float> applied(a);
    while (remaining > 0) {
      const at::Tensor input = at::from_blob(observations.data(), {count, o}, at::kFloat).clone();
      MBRL_ASSIGN_OR_RETURN(at::Tensor actions,
                            learner::CallTorch("env actor policy", [&] { return act(input); }));
      actions = actions.to(at::kFloat).contiguous();
      if (actions.dim() != 2 || actions.size(0) != count || actions.size(1) != a) {
        return absl::InternalError("the policy returned actions of the wrong shape");
      }
      const float* raw = actions.data_ptr<float>();
      MBRL_RETURN_IF_ERROR(
          env->Step(absl::MakeConstSpan(raw, count * a),
                    {absl::MakeSpan(next), absl::MakeSpan(rewards), absl::MakeSpan(terminated),
                     absl::MakeSpan(truncated), absl::MakeSpan(final_observations)}));
      for (int e = 0; e < count; ++e) {
        if (!running[e]) continue;
        Episode& episode = episodes[e];
        applied.assign(raw + e * a, raw + (e + 1) * a);
        envs::ClipToSpace(spec.action, absl::MakeSpan(applied));
        episode.actions.insert(episode.actions.end(), applied.begin(), applied.end());
        episode.rewards.push_back(rewards[e]);
        episode.episode_return += rewards[e];
        ++episode.steps;
        const bool ended = terminated[e] || truncated[e];
        const float* row = (ended ? final_observations.data() : next.data()) + e * o;
        episode.observations.insert(episode.observations.end(), row, row + o);
        if (ended) {
          episode.terminated = terminated[e];
          running[e] = false;
          --remaining;
        }
      }
      observations.swap(next);
    }
    return episodes;
  }

  // The chunks of `episode`, at most chunk_steps steps each.
  std::vector<v1::TrajectoryChunk> Chunks(const Episode& episode, uint64_t episode_id,
                                          uint32_t env_index, const std::string& actor_id,
                                          const v1::PolicyId& policy_id) const {
    const int64_t o = spec.observation.dim;
    const int64_t a = spec.action.dim;
    const int64_t length = std::max<int64_t>(1, config.roles().chunk_steps());
    std::vector<v1::TrajectoryChunk> chunks;
    for (int64_t start = 0, index = 0; start < episode.steps; start += length, ++index) {
      const int64_t end = std::min(episode.steps, start + length);
      const int64_t t = end - start;
      v1::TrajectoryChunk& chunk = chunks.emplace_back();
      chunk.set_episode_id(episode_id);
      chunk.set_chunk_index(static_cast<uint32_t>(index));
      chunk.set_first_step(static_cast<uint32_t>(start));
      chunk.set_actor_id(actor_id);
      chunk.set_env_index(env_index);
      chunk.set_env_name(config.env().name());
      *chunk.mutable_policy() = policy_id;
      *chunk.mutable_observations() = MakeTensor<float>(
          absl::MakeConstSpan(episode.observations.data() + start * o, (t + 1) * o), {t + 1, o});
      *chunk.mutable_actions() =
          MakeTensor<float>(absl::MakeConstSpan(episode.actions.data() + start * a, t * a), {t, a});
      *chunk.mutable_rewards() =
          MakeTensor<float>(absl::MakeConstSpan(episode.rewards.data() + start, t), {t});
      std::vector<uint8_t> terminated(t, 0), truncated(t, 0);
      if (end == episode.steps) {
        (episode.terminated ? terminated : truncated).back() = 1;
      }
      *chunk.mutable_terminated() = BoolTensor(terminated);
      *chunk.mutable_truncated() = BoolTensor(truncated);
    }
    return chunks;
  }
};

absl::StatusOr<std::unique_ptr<EnvActor>> EnvActor::Create(
    const v1::ExperimentConfig& config, std::unique_ptr<replay::ReplayClient> replay,
    std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner, EnvActorOptions options) {
  if (replay == nullptr || policy_learner == nullptr) {
    return absl::InvalidArgumentError("EnvActor: no replay client or policy learner stub");
  }
  auto runner = std::make_unique<Runner>();
  runner->config = config;
  runner->env_threads = std::max(1, options.env_threads);
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::Env> probe, envs::MakeEnv(config.env()));
  runner->spec = probe->spec();
  const learner::GaussianMlpOptions policy_options = learner::GaussianMlpOptions::FromConfig(
      config.policy(), runner->spec.observation.dim, runner->spec.action.dim);
  MBRL_ASSIGN_OR_RETURN(runner->policy,
                        learner::GaussianMlpPolicy::Create(policy_options, config.seed() + 1));
  MBRL_ASSIGN_OR_RETURN(runner->evaluation_policy,
                        learner::GaussianMlpPolicy::Create(policy_options, config.seed() + 1));
  std::unique_ptr<EnvActor> actor(
      new EnvActor(config, std::move(replay), std::move(policy_learner), std::move(options)));
  actor->runner_ = std::move(runner);
  return actor;
}

EnvActor::EnvActor(const v1::ExperimentConfig& config, std::unique_ptr<replay::ReplayClient> replay,
                   std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner,
                   EnvActorOptions options)
    : config_(config),
      options_(std::move(options)),
      replay_(std::move(replay)),
      policy_learner_(policy_learner),
      policies_(SubscribeToPolicies(policy_learner, options_.subscriptions)),
      metrics_(std::make_shared<RoleMetrics>(RoleMetrics::kEnvActor)) {}

EnvActor::~EnvActor() { Stop(); }

void EnvActor::Stop() {
  stop_ = true;
  policies_->Stop();
}

void EnvActor::Run() {
  if (options_.threads > 0) at::set_num_threads(options_.threads);
  Backoff backoff({absl::Milliseconds(100), absl::Seconds(5), 2.0, 0.2}, RandomSeed());
  auto pause = [&](absl::Duration delay) {
    policies_->WaitNewer(std::numeric_limits<uint64_t>::max(), delay);
  };
  std::vector<v1::WorkReport> reports;
  Runner& runner = *runner_;
  while (!stop_) {
    if (!ready_) {
      if (policies_->WaitNewer(0, absl::Seconds(1)) == nullptr) continue;
      ready_ = true;
    }
    v1::WorkRequest request;
    request.set_actor_id(options_.actor_id);
    request.set_max_episodes(config_.topology().envs_per_actor());
    for (const v1::WorkReport& report : reports) *request.add_reports() = report;
    v1::WorkResponse work;
    grpc::ClientContext context;
    SetTimeout(context, options_.call_timeout);
    const absl::Status status =
        FromGrpcStatus(policy_learner_->RequestWork(&context, request, &work));
    if (!status.ok()) {
      if (!IsRetryable(status.code())) {
        MBRL_LOG(ERROR) << "env actor " << options_.actor_id << ": RequestWork: " << status;
      }
      pause(backoff.NextDelay());
      continue;
    }
    backoff.Reset();
    for (const v1::WorkReport& report : reports) {
      if (report.kind() == v1::WorkReport::COLLECTED) reported_episodes_ += report.returns_size();
    }
    reports.clear();
    if (work.kind() == v1::WorkResponse::WAIT || work.kind() == v1::WorkResponse::FINISHED) {
      std::shared_ptr<const v1::PolicySnapshot> latest = policies_->Latest();
      policies_->WaitNewer(latest == nullptr ? 0 : latest->revision(),
                           work.kind() == v1::WorkResponse::WAIT
                               ? absl::Milliseconds(std::max<uint32_t>(work.wait_ms(), 10))
                               : absl::Seconds(1));
      continue;
    }
    const int count = work.kind() == v1::WorkResponse::EVALUATE
                          ? static_cast<int>(work.evaluation_episodes())
                          : work.episode_ids_size();
    if (count < 1) continue;
    v1::WorkReport report;
    report.set_iteration(work.iteration());
    absl::StatusOr<std::vector<Runner::Episode>> episodes;
    std::vector<v1::TrajectoryChunk> chunks;
    if (work.kind() == v1::WorkResponse::EVALUATE) {
      report.set_kind(v1::WorkReport::EVALUATED);
      report.set_policy_version(work.policy_version());
      episodes =
          learner::CallTorch("evaluation", [&]() -> absl::StatusOr<std::vector<Runner::Episode>> {
            learner::GaussianMlpPolicy& policy = *runner.evaluation_policy;
            MBRL_RETURN_IF_ERROR(learner::ReadParameterSet(work.policy(), policy.parameter_names(),
                                                           policy.parameters()));
            return runner.RunEpisodes(
                count, work.first_seed(), [&](const at::Tensor& observations) {
                  return learner::Act(policy, policy.parameters(), observations, nullptr);
                });
          });
      if (!episodes.ok()) {
        MBRL_LOG(ERROR) << "env actor " << options_.actor_id
                        << ": evaluation: " << episodes.status();
        pause(backoff.NextDelay());
        continue;
      }
      for (const Runner::Episode& episode : *episodes) {
        report.add_returns(episode.episode_return);
        metrics_->ObserveEvalReturn(episode.episode_return);
      }
      reports.push_back(std::move(report));
      continue;
    }
    // COLLECT.
    std::shared_ptr<const v1::PolicySnapshot> snapshot;
    if (!work.random_actions()) {
      snapshot = policies_->Latest();
      const absl::Time give_up = absl::Now() + absl::Seconds(30);
      while (!stop_ && (snapshot == nullptr || snapshot->revision() < work.min_policy_revision()) &&
             absl::Now() < give_up) {
        snapshot = policies_->WaitNewer(work.min_policy_revision() - 1, absl::Seconds(1));
      }
      if (snapshot == nullptr || snapshot->revision() < work.min_policy_revision()) continue;
    }
    const uint64_t version = snapshot == nullptr ? 0 : snapshot->version();
    at::Generator generator =
        at::detail::createCPUGenerator(Mix64(work.first_seed() ^ 0x656E76ULL));
    bool tailored = false;
    episodes =
        learner::CallTorch("collection", [&]() -> absl::StatusOr<std::vector<Runner::Episode>> {
          if (work.random_actions()) {
            return runner.RunEpisodes(count, work.first_seed(),
                                      learner::UniformRandomActions(runner.spec.action, generator));
          }
          MBRL_RETURN_IF_ERROR(runner.LoadPolicy(*snapshot));
          const learner::GaussianMlpPolicy& policy = *runner.policy;
          if (!runner.adapted.empty() && work.tasks_size() == count) {
            tailored = true;
            std::vector<int64_t> tasks(work.tasks().begin(), work.tasks().end());
            const int64_t available = runner.adapted[0].size(0);
            for (int64_t& task : tasks) task = std::min(task, available - 1);
            const at::Tensor index = at::tensor(tasks, at::kLong);
            std::vector<at::Tensor> params;
            for (const at::Tensor& tensor : runner.adapted)
              params.push_back(tensor.index_select(0, index));
            return runner.RunEpisodes(
                count, work.first_seed(), [&](const at::Tensor& observations) {
                  return learner::Act(policy, params, observations.unsqueeze(1), &generator)
                      .squeeze(1);
                });
          }
          return runner.RunEpisodes(count, work.first_seed(), [&](const at::Tensor& observations) {
            return learner::Act(policy, policy.parameters(), observations, &generator);
          });
        });
    if (!episodes.ok()) {
      MBRL_LOG(ERROR) << "env actor " << options_.actor_id << ": collection: " << episodes.status();
      pause(backoff.NextDelay());
      continue;
    }
    report.set_kind(v1::WorkReport::COLLECTED);
    report.set_first_episode(work.first_episode());
    report.set_policy_version(version);
    uint64_t steps = 0;
    for (int e = 0; e < count; ++e) {
      const Runner::Episode& episode = (*episodes)[e];
      v1::PolicyId policy_id;
      policy_id.set_version(version);
      if (tailored) policy_id.set_task(work.tasks(e));
      for (v1::TrajectoryChunk& chunk :
           runner.Chunks(episode, work.episode_ids(e), static_cast<uint32_t>(e), options_.actor_id,
                         policy_id)) {
        chunks.push_back(std::move(chunk));
      }
      report.add_returns(episode.episode_return);
      report.add_steps(static_cast<uint64_t>(episode.steps));
      steps += static_cast<uint64_t>(episode.steps);
    }
    absl::Status stored = replay_->Insert(std::move(chunks));
    if (stored.ok()) stored = replay_->Flush(options_.flush_timeout);
    if (!stored.ok()) {
      // Not reported: the lease runs out and the episodes are collected again.
      MBRL_LOG(WARNING) << "env actor " << options_.actor_id << ": episodes "
                        << work.first_episode() << ".." << work.first_episode() + count - 1
                        << " not stored: " << stored;
      continue;
    }
    metrics_->AddRealSteps(steps);
    std::shared_ptr<const v1::PolicySnapshot> latest = policies_->Latest();
    const uint64_t current = latest == nullptr ? version : latest->version();
    for (const Runner::Episode& episode : *episodes) {
      metrics_->ObserveReturn(episode.episode_return);
      if (version > 0) metrics_->ObservePolicyLag(static_cast<double>(current - version));
    }
    if (latest != nullptr) metrics_->SetPolicyVersion(latest->version());
    reports.push_back(std::move(report));
  }
  // Stopping: report the finished work (one try; unreported episodes are handed out again when
  // their lease ends).
  if (!reports.empty()) {
    v1::WorkRequest request;
    request.set_actor_id(options_.actor_id);
    request.set_max_episodes(0);
    for (const v1::WorkReport& report : reports) *request.add_reports() = report;
    v1::WorkResponse ignored;
    grpc::ClientContext context;
    SetTimeout(context, std::min(options_.call_timeout, absl::Seconds(5)));
    if (policy_learner_->RequestWork(&context, request, &ignored).ok()) {
      for (const v1::WorkReport& report : reports) {
        if (report.kind() == v1::WorkReport::COLLECTED) reported_episodes_ += report.returns_size();
      }
    }
  }
}

}  // namespace mbrl::actors
