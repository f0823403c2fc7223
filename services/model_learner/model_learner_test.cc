#include "services/model_learner/model_learner.h"

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_config.h"
#include "gtest/gtest.h"
#include "services/common/channel.h"
#include "services/common/episode_plan.h"
#include "services/common/server.h"
#include "services/common/snapshot_subscriber.h"
#include "services/replay/client.h"
#include "services/replay/shard_server.h"
#include "services/replay/synthetic_chunks.h"

namespace mbrl::model_learner {
namespace {

using ::mbrl::testing::IsOk;

constexpr int kObs = 3;
constexpr int kAct = 1;
constexpr int kHorizon = 10;

v1::ExperimentConfig Config(const std::string& schedule) {
  return testing::EffectiveTestConfig(
      absl::StrCat("schedule: ", schedule, " env { horizon: 10 } ",
                   "model { ensemble_size: 2 hidden_units: 16 batch_size: 16 max_epochs: 5 } "
                   "mbmpo { iterations: 4 initial_random_steps: 20 meta_batch_size: 2 }"));
}

class ModelLearnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t i = 0; i < 2; ++i) {
      replay::ReplayShardOptions options;
      options.shard_index = i;
      options.num_shards = 2;
      ServerOptions server;
      server.address = "127.0.0.1:0";
      auto shard = replay::ReplayShardServer::Start(options, server);
      ASSERT_THAT(shard, IsOk());
      shards_.push_back(std::move(*shard));
    }
    checkpoint_dir_ = std::string(getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::unique_ptr<replay::ReplayClient> Client() {
    std::vector<std::string> targets;
    for (const auto& shard : shards_) targets.push_back(shard->server().address());
    return std::move(replay::ReplayClient::Connect(targets, ChannelOptions()).value());
  }

  // Inserts the plan's episodes [first, first + count) (synthetic values) and waits until they
  // are durable.
  void InsertEpisodes(const EpisodePlan& plan, uint64_t first, uint64_t count) {
    std::vector<v1::TrajectoryChunk> chunks;
    for (uint64_t e = first; e < first + count; ++e) {
      chunks.push_back(replay::MakeSyntheticChunk(plan.EpisodeId(e), 0, 0, kHorizon, kObs, kAct,
                                                  /*terminal_at_end=*/true));
    }
    ASSERT_THAT(writer_->Insert(std::move(chunks)), IsOk());
    ASSERT_THAT(writer_->Flush(absl::Seconds(30)), IsOk());
  }

  std::unique_ptr<ModelLearner> Learner(const v1::ExperimentConfig& config) {
    ModelLearnerOptions options;
    options.checkpoint_dir = checkpoint_dir_;
    options.poll_interval = absl::Milliseconds(20);
    auto learner = ModelLearner::Create(config, kObs, kAct, Client(), options);
    EXPECT_THAT(learner, IsOk());
    return std::move(learner).value();
  }

  // Subscribes to `learner` through a real server.
  std::unique_ptr<SnapshotSubscriber<v1::ModelSnapshot>> Subscribe(ModelLearner& learner) {
    ServerOptions options;
    options.address = "127.0.0.1:0";
    servers_.push_back(
        std::move(GrpcServer::Start(options, {{"mbrl.v1.ModelLearner", &learner}}).value()));
    std::shared_ptr<v1::ModelLearner::Stub> stub = v1::ModelLearner::NewStub(
        CreateChannel(servers_.back()->address(), ChannelOptions()).value());
    return std::make_unique<SnapshotSubscriber<v1::ModelSnapshot>>(
        "test",
        [stub](grpc::ClientContext* context, uint64_t known) {
          v1::WatchModelRequest request;
          request.set_known_version(known);
          return stub->WatchModel(context, request);
        },
        [](const v1::ModelSnapshot& s) { return s.version(); });
  }

  void TearDown() override {
    for (auto& server : servers_) server->Shutdown(absl::Seconds(1));
  }

  std::vector<std::unique_ptr<replay::ReplayShardServer>> shards_;
  std::vector<std::unique_ptr<GrpcServer>> servers_;
  std::unique_ptr<replay::ReplayClient> writer_ = nullptr;
  std::string checkpoint_dir_;
};

TEST_F(ModelLearnerTest, SyncFitsOncePerCompleteIterationAndResumesExactly) {
  writer_ = Client();
  const v1::ExperimentConfig config = Config("SYNC");
  const EpisodePlan plan = *EpisodePlan::Create(config);
  const std::string original_dir = checkpoint_dir_;
  auto learner = Learner(config);
  // A reference learner that sees the same data at the same moments and never stops.
  checkpoint_dir_ = original_dir + "_reference";
  auto reference = Learner(config);
  checkpoint_dir_ = original_dir;
  auto subscriber = Subscribe(*learner);
  auto reference_subscriber = Subscribe(*reference);
  learner->Start();
  reference->Start();
  // Iteration 0 has 2 episodes: after the first alone nothing is fit.
  InsertEpisodes(plan, 0, 1);
  EXPECT_EQ(subscriber->WaitNewer(0, absl::Milliseconds(300)), nullptr);
  InsertEpisodes(plan, 1, 1);
  auto first = subscriber->WaitNewer(0, absl::Seconds(60));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->version(), 1u);
  EXPECT_EQ(first->complete_iterations(), 1u);
  EXPECT_EQ(first->trained_on_transitions(), 20u);
  ASSERT_NE(reference_subscriber->WaitNewer(0, absl::Seconds(60)), nullptr);
  // Iteration 1 (2 episodes) completes: one more fit each.
  InsertEpisodes(plan, 2, 2);
  auto second = subscriber->WaitNewer(1, absl::Seconds(60));
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->version(), 2u);
  EXPECT_EQ(second->complete_iterations(), 2u);
  ASSERT_NE(reference_subscriber->WaitNewer(1, absl::Seconds(60)), nullptr);
  EXPECT_EQ(subscriber->WaitNewer(2, absl::Milliseconds(300))->version(), 2u);
  v1::ModelLearnerStatusResponse status = learner->GetStatus();
  EXPECT_EQ(status.fits(), 2u);
  EXPECT_EQ(status.consumed_transitions(), 40u);
  EXPECT_EQ(status.validation_loss_size(), 2);
  ASSERT_TRUE(learner->Stop(absl::Seconds(30)));
  subscriber.reset();
  learner.reset();

  // A new learner on the original's checkpoint resumes at version 2 (re-reading replay) and
  // fits iteration 2 exactly as the reference does.
  auto resumed = Learner(config);
  ASSERT_NE(resumed->Latest(), nullptr);
  EXPECT_EQ(resumed->Latest()->version(), 2u);
  auto resumed_subscriber = Subscribe(*resumed);
  resumed->Start();
  InsertEpisodes(plan, 4, 2);
  auto third = resumed_subscriber->WaitNewer(2, absl::Seconds(60));
  auto reference_third = reference_subscriber->WaitNewer(2, absl::Seconds(60));
  ASSERT_NE(third, nullptr);
  ASSERT_NE(reference_third, nullptr);
  EXPECT_EQ(third->version(), 3u);
  EXPECT_EQ(third->trained_on_transitions(), 60u);
  EXPECT_EQ(third->complete_iterations(), 3u);
  EXPECT_EQ(third->parameters().SerializeAsString(),
            reference_third->parameters().SerializeAsString());
  EXPECT_EQ(third->normalizers().at("input").mean().data(),
            reference_third->normalizers().at("input").mean().data());
  ASSERT_TRUE(resumed->Stop(absl::Seconds(30)));
  ASSERT_TRUE(reference->Stop(absl::Seconds(30)));
}

TEST_F(ModelLearnerTest, AsyncFitsWheneverNewDataArrived) {
  writer_ = Client();
  const v1::ExperimentConfig config = Config("ASYNC");
  const EpisodePlan plan = *EpisodePlan::Create(config);
  auto learner = Learner(config);
  auto subscriber = Subscribe(*learner);
  learner->Start();
  InsertEpisodes(plan, 0, 2);
  auto first = subscriber->WaitNewer(0, absl::Seconds(60));
  ASSERT_NE(first, nullptr);
  // One episode of iteration 1 (not complete) is enough for another fit.
  InsertEpisodes(plan, 2, 1);
  std::shared_ptr<const v1::ModelSnapshot> latest = first;
  for (int i = 0; i < 100 && latest->trained_on_transitions() < 30; ++i) {
    latest = subscriber->WaitNewer(latest->version(), absl::Seconds(10));
  }
  EXPECT_EQ(latest->trained_on_transitions(), 30u);
  EXPECT_EQ(latest->complete_iterations(), 1u);
  ASSERT_TRUE(learner->Stop(absl::Seconds(30)));
}

// Waits until the learner has published no new version for `quiet` (at most 60 s).
uint64_t SettledVersion(const ModelLearner& learner, absl::Duration quiet) {
  uint64_t version = learner.GetStatus().version();
  absl::Time changed = absl::Now();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() - changed < quiet && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    if (const uint64_t now = learner.GetStatus().version(); now != version) {
      version = now;
      changed = absl::Now();
    }
  }
  return version;
}

TEST_F(ModelLearnerTest, AsyncTrainsInRoundsUpToMaxEpochsOnUnchangedData) {
  writer_ = Client();
  // A whole first fit (version 1, 7 epochs); new data: rounds of 2, versions after 2, 4, 6
  // and 7 epochs, then idle until new data.
  v1::ExperimentConfig config = Config("ASYNC");
  config.mutable_model()->set_max_epochs(7);
  config.mutable_model()->set_early_stopping(v1::DynamicsModelConfig::NONE);
  config.mutable_roles()->set_model_epochs_per_version(2);
  const EpisodePlan plan = *EpisodePlan::Create(config);
  auto learner = Learner(config);
  InsertEpisodes(plan, 0, 2);
  learner->Start();
  EXPECT_EQ(SettledVersion(*learner, absl::Seconds(1)), 1u);
  // New data starts rounds (and a new budget of max_epochs).
  InsertEpisodes(plan, 2, 1);
  EXPECT_EQ(SettledVersion(*learner, absl::Seconds(1)), 5u);
  EXPECT_EQ(learner->GetStatus().trained_on_transitions(), 30u);
  ASSERT_TRUE(learner->Stop(absl::Seconds(30)));

  // 0: whole fits, one version per data change.
  config.mutable_roles()->set_model_epochs_per_version(0);
  checkpoint_dir_ += "_whole";
  auto whole = Learner(config);
  whole->Start();
  EXPECT_EQ(SettledVersion(*whole, absl::Seconds(1)), 1u);
  ASSERT_TRUE(whole->Stop(absl::Seconds(30)));
}

TEST_F(ModelLearnerTest, CorruptCheckpointIsAnError) {
  ASSERT_EQ(system(("mkdir -p " + checkpoint_dir_ + " && echo garbage > " + checkpoint_dir_ +
                    "/model_learner.binpb")
                       .c_str()),
            0);
  ModelLearnerOptions options;
  options.checkpoint_dir = checkpoint_dir_;
  EXPECT_THAT(ModelLearner::Create(Config("SYNC"), kObs, kAct, Client(), options).status(),
              ::mbrl::testing::StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace mbrl::model_learner
