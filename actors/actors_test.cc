// The env actor and the imagination actor in process, against the real learners and two replay
// shards on loopback (the roles of `mbrl local` as objects): a small MB-MPO Pendulum experiment
// runs to its end in SYNC and in ASYNC. The env actor collects exactly the planned episodes into
// replay (and evaluates), the imagination actor's sets drive every policy step, both become
// ready only with a policy, count their steps in their metrics, and stop when asked.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actors/env_actor.h"
#include "actors/imagination_actor.h"
#include "common/config.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_config.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "services/common/channel.h"
#include "services/common/episode_plan.h"
#include "services/common/server.h"
#include "services/model_learner/model_learner.h"
#include "services/policy_learner/policy_learner.h"
#include "services/replay/client.h"
#include "services/replay/shard_server.h"

namespace mbrl::actors {
namespace {

using ::mbrl::testing::IsOk;

constexpr int64_t kObs = 3;
constexpr int64_t kAct = 1;

v1::ExperimentConfig Config(const std::string& schedule) {
  return testing::EffectiveTestConfig(
      absl::StrCat("schedule: ", schedule,
                   " seed: 5 env { name: 'Pendulum' horizon: 25 } "
                   "model { ensemble_size: 2 hidden_units: 16 max_epochs: 5 } "
                   "policy { hidden_units: 8 } "
                   "mbmpo { iterations: 3 initial_random_steps: 50 meta_batch_size: 2 "
                   "        imagined_trajectories_per_task: 3 meta_steps_per_iteration: 2 } "
                   "evaluation { episodes: 2 } topology { envs_per_actor: 3 } "
                   "roles { work_lease_seconds: 30 }"));
}

// Every role of an experiment as objects in this process.
class Topology {
 public:
  explicit Topology(const v1::ExperimentConfig& config) : config_(config) {
    for (uint32_t i = 0; i < 2; ++i) {
      replay::ReplayShardOptions options;
      options.shard_index = i;
      options.num_shards = 2;
      ServerOptions server;
      server.address = "127.0.0.1:0";
      shards_.push_back(std::move(replay::ReplayShardServer::Start(options, server).value()));
    }
    model_learner_ =
        std::move(model_learner::ModelLearner::Create(config, kObs, kAct, Client(), {}).value());
    policy_learner::PolicyLearnerOptions policy_options;
    policy_options.work_wait = absl::Milliseconds(20);
    policy_learner_ = std::move(
        policy_learner::PolicyLearner::Create(config, kObs, kAct, policy_options).value());
    ServerOptions server;
    server.address = "127.0.0.1:0";
    servers_.push_back(std::move(
        GrpcServer::Start(server, {{"mbrl.v1.ModelLearner", model_learner_.get()}}).value()));
    model_stub_ = v1::ModelLearner::NewStub(
        CreateChannel(servers_.back()->address(), ChannelOptions()).value());
    servers_.push_back(std::move(
        GrpcServer::Start(server, {{"mbrl.v1.PolicyLearner", policy_learner_.get()}}).value()));
    policy_stub_ = v1::PolicyLearner::NewStub(
        CreateChannel(servers_.back()->address(), ChannelOptions()).value());

    EnvActorOptions env_options;
    env_options.actor_id = "env-actor-0";
    env_actor_ = std::move(EnvActor::Create(config, Client(), policy_stub_, env_options).value());
    ImaginationActorOptions imagine_options;
    imagine_options.actor_id = "imagine-0";
    imagination_actor_ = std::move(
        ImaginationActor::Create(config, model_stub_, policy_stub_, imagine_options).value());
  }

  ~Topology() {
    env_actor_->Stop();
    imagination_actor_->Stop();
    for (std::thread& thread : threads_) thread.join();
    EXPECT_TRUE(policy_learner_->Stop(absl::Seconds(30)));
    EXPECT_TRUE(model_learner_->Stop(absl::Seconds(30)));
    for (auto& server : servers_) server->Shutdown(absl::Seconds(1));
  }

  void Start() {
    model_learner_->Start();
    policy_learner_->Start();
    threads_.emplace_back([this] { env_actor_->Run(); });
    threads_.emplace_back([this] { imagination_actor_->Run(); });
  }

  bool WaitUntilFinished(absl::Duration timeout) {
    const absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      if (policy_learner_->GetStatus().finished()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::unique_ptr<replay::ReplayClient> Client() {
    std::vector<std::string> targets;
    for (const auto& shard : shards_) targets.push_back(shard->server().address());
    return std::move(replay::ReplayClient::Connect(targets, ChannelOptions()).value());
  }

  uint64_t StoredTransitions() {
    uint64_t transitions = 0;
    for (const absl::StatusOr<v1::InfoResponse>& info : Client()->Info()) {
      EXPECT_THAT(info, IsOk());
      if (info.ok()) transitions += info->transitions();
    }
    return transitions;
  }

  const v1::ExperimentConfig config_;
  std::vector<std::unique_ptr<replay::ReplayShardServer>> shards_;
  std::unique_ptr<model_learner::ModelLearner> model_learner_;
  std::unique_ptr<policy_learner::PolicyLearner> policy_learner_;
  std::vector<std::unique_ptr<GrpcServer>> servers_;
  std::shared_ptr<v1::ModelLearner::Stub> model_stub_;
  std::shared_ptr<v1::PolicyLearner::Stub> policy_stub_;
  std::unique_ptr<EnvActor> env_actor_;
  std::unique_ptr<ImaginationActor> imagination_actor_;
  std::vector<std::thread> threads_;
};

std::string Exposition(const prometheus::Collectable& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.Collect());
}

void RunToTheEnd(const std::string& schedule) {
  const v1::ExperimentConfig config = Config(schedule);
  const EpisodePlan plan = *EpisodePlan::Create(config);
  Topology topology(config);
  EXPECT_FALSE(topology.env_actor_->ready());
  topology.Start();
  ASSERT_TRUE(topology.WaitUntilFinished(absl::Seconds(120)));

  const v1::PolicyLearnerStatusResponse status = topology.policy_learner_->GetStatus();
  EXPECT_EQ(status.stopped_by(), "iterations");
  EXPECT_EQ(status.progress_rows(), 3u);
  EXPECT_EQ(status.iteration(), 2u);
  // 3 iterations of 2 meta steps (+ the adapted policies of SYNC's iterations 1 and 2).
  EXPECT_GE(status.version(), 7u);
  // Every planned episode once: 2 random + 2 + 2 of 25 steps, all in replay.
  const uint64_t episodes = plan.FirstEpisode(3);
  EXPECT_EQ(episodes, 6u);
  EXPECT_EQ(status.real_steps(), episodes * 25);
  EXPECT_EQ(topology.env_actor_->reported_episodes(), static_cast<int64_t>(episodes));
  EXPECT_EQ(topology.StoredTransitions(), episodes * 25);
  EXPECT_GE(topology.imagination_actor_->submitted_sets(), 6);
  EXPECT_GT(status.imagined_steps(), 0u);
  EXPECT_TRUE(topology.env_actor_->ready());
  EXPECT_TRUE(topology.imagination_actor_->ready());

  const std::string env_metrics = Exposition(*topology.env_actor_->metrics());
  EXPECT_NE(env_metrics.find("mbrl_env_steps_total{source=\"real\"} 150"), std::string::npos)
      << env_metrics;
  EXPECT_NE(env_metrics.find("mbrl_episode_return_count{source=\"eval\"} 6"), std::string::npos)
      << env_metrics;
  const std::string imagine_metrics = Exposition(*topology.imagination_actor_->metrics());
  EXPECT_NE(imagine_metrics.find("mbrl_env_steps_total{source=\"imagined\"}"), std::string::npos);
  EXPECT_EQ(imagine_metrics.find("mbrl_env_steps_total{source=\"imagined\"} 0\n"),
            std::string::npos)
      << imagine_metrics;
}

TEST(ActorsTest, SyncExperimentRunsToItsEnd) { RunToTheEnd("SYNC"); }

TEST(ActorsTest, AsyncExperimentRunsToItsEnd) { RunToTheEnd("ASYNC"); }

TEST(ActorsTest, CreateRejectsMissingPeersAndUnknownEnvs) {
  v1::ExperimentConfig config = Config("SYNC");
  EXPECT_FALSE(EnvActor::Create(config, nullptr, nullptr, {}).ok());
  EXPECT_FALSE(ImaginationActor::Create(config, nullptr, nullptr, {}).ok());
  config.mutable_env()->set_name("NoSuchEnv");
  auto channel = CreateChannel("127.0.0.1:1", ChannelOptions()).value();
  std::shared_ptr<v1::PolicyLearner::Stub> policy = v1::PolicyLearner::NewStub(channel);
  std::shared_ptr<v1::ModelLearner::Stub> model = v1::ModelLearner::NewStub(channel);
  EXPECT_FALSE(ImaginationActor::Create(config, model, policy, {}).ok());
}

TEST(ActorsTest, StopEndsRunWithoutALearner) {
  // No policy learner listens: the actors wait (not ready) and stop promptly when asked.
  const v1::ExperimentConfig config = Config("SYNC");
  auto channel = CreateChannel("127.0.0.1:1", ChannelOptions()).value();
  std::shared_ptr<v1::PolicyLearner::Stub> policy = v1::PolicyLearner::NewStub(channel);
  std::shared_ptr<v1::ModelLearner::Stub> model = v1::ModelLearner::NewStub(channel);
  std::unique_ptr<ImaginationActor> actor =
      std::move(ImaginationActor::Create(config, model, policy, {}).value());
  std::thread thread([&] { actor->Run(); });
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(actor->ready());
  const absl::Time stop = absl::Now();
  actor->Stop();
  thread.join();
  EXPECT_LT(absl::Now() - stop, absl::Seconds(5));
}

}  // namespace
}  // namespace mbrl::actors
