// The policy learner in process behind a real gRPC server on loopback: the SYNC schedule's work
// (random collection first, leases, idempotent reports), sample-set validation (shapes, NaN,
// tasks, versions), stale sets dropped and counted, an MB-MPO step publishing a new version,
// evaluation completing a progress row, and the checkpoint restoring exactly.
#include "services/policy_learner/policy_learner.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_config.h"
#include "gtest/gtest.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/rollouts.h"
#include "services/common/channel.h"
#include "services/common/server.h"
#include "services/common/status_util.h"

namespace mbrl::policy_learner {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

constexpr int64_t kObs = 3;
constexpr int64_t kAct = 1;
constexpr int64_t kHorizon = 20;
constexpr int64_t kTasks = 2;

v1::ExperimentConfig Config() {
  return testing::EffectiveTestConfig(
      "env { name: 'Pendulum' horizon: 20 } "
      "model { ensemble_size: 2 hidden_units: 16 } policy { hidden_units: 8 } "
      "mbmpo { iterations: 2 initial_random_steps: 40 meta_batch_size: 2 "
      "        imagined_trajectories_per_task: 3 meta_steps_per_iteration: 1 } "
      "evaluation { episodes: 2 } topology { envs_per_actor: 10 }");
}

// Random rollouts of the right shapes (finite, full length).
v1::RolloutBatch RandomBatch(int64_t trajectories, int64_t obs = kObs) {
  learner::Rollouts rollouts;
  rollouts.observations = at::randn({trajectories, kHorizon + 1, obs});
  rollouts.actions = at::randn({trajectories, kHorizon, kAct});
  rollouts.rewards = -at::rand({trajectories, kHorizon});
  rollouts.lengths = at::full({trajectories}, kHorizon, at::kInt);
  rollouts.terminated = at::zeros({trajectories}, at::kBool);
  v1::RolloutBatch batch;
  EXPECT_THAT(learner::RolloutsToProto(rollouts, &batch), IsOk());
  return batch;
}

class PolicyLearnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    at::manual_seed(7);
    config_ = Config();
    dir_ = std::string(getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    policy_ =
        std::move(learner::GaussianMlpPolicy::Create(
                      learner::GaussianMlpOptions::FromConfig(config_.policy(), kObs, kAct), 1)
                      .value());
    Start();
  }
  void TearDown() override { StopLearner(); }

  void Start() {
    PolicyLearnerOptions options;
    options.checkpoint_dir = dir_ + "/checkpoint";
    options.progress_dir = dir_;
    options.work_wait = absl::Milliseconds(10);
    absl::StatusOr<std::unique_ptr<PolicyLearner>> learner =
        PolicyLearner::Create(config_, kObs, kAct, options);
    ASSERT_THAT(learner, IsOk());
    learner_ = std::move(*learner);
    learner_->Start();
    ServerOptions server;
    server.address = "127.0.0.1:0";
    server_ =
        std::move(GrpcServer::Start(server, {{"mbrl.v1.PolicyLearner", learner_.get()}}).value());
    stub_ = v1::PolicyLearner::NewStub(CreateChannel(server_->address(), ChannelOptions()).value());
  }
  void StopLearner() {
    if (learner_ == nullptr) return;
    EXPECT_TRUE(learner_->Stop(absl::Seconds(30)));
    server_->Shutdown(absl::Seconds(1));
    server_.reset();
    learner_.reset();
  }

  v1::WorkResponse RequestWork(const std::vector<v1::WorkReport>& reports = {},
                               uint32_t max_episodes = 10) {
    v1::WorkRequest request;
    request.set_actor_id("test-actor");
    request.set_max_episodes(max_episodes);
    for (const v1::WorkReport& report : reports) *request.add_reports() = report;
    grpc::ClientContext context;
    SetTimeout(context, absl::Seconds(10));
    v1::WorkResponse response;
    EXPECT_TRUE(stub_->RequestWork(&context, request, &response).ok());
    return response;
  }

  static v1::WorkReport Collected(const v1::WorkResponse& work) {
    v1::WorkReport report;
    report.set_kind(v1::WorkReport::COLLECTED);
    report.set_first_episode(work.first_episode());
    report.set_iteration(work.iteration());
    for (int e = 0; e < work.episode_ids_size(); ++e) {
      report.add_steps(kHorizon);
      report.add_returns(-100.0 - e);
    }
    return report;
  }

  // Collects every episode of the current iteration (as an env actor that finished them).
  void CollectIteration() {
    v1::WorkResponse work = RequestWork();
    ASSERT_EQ(work.kind(), v1::WorkResponse::COLLECT);
    v1::WorkResponse next = RequestWork({Collected(work)});
    EXPECT_NE(next.kind(), v1::WorkResponse::COLLECT) << next.DebugString();
  }

  // A complete MB-MPO set for the current snapshot.
  std::vector<v1::ImaginedSample> Set(uint64_t policy_version, uint64_t complete_iterations) {
    std::vector<v1::ImaginedSample> samples;
    for (int64_t task = 0; task < kTasks; ++task) {
      v1::ImaginedSample& sample = samples.emplace_back();
      sample.set_policy_version(policy_version);
      sample.set_policy_revision(learner_->Latest()->revision());
      sample.set_model_version(1);
      sample.set_model_complete_iterations(complete_iterations);
      sample.set_task(static_cast<uint32_t>(task));
      sample.set_actor_id("imagine-0");
      *sample.mutable_pre_update() = RandomBatch(3);
      *sample.mutable_post_update() = RandomBatch(3);
      EXPECT_THAT(learner::WriteParameterSet(policy_->parameter_names(), policy_->parameters(),
                                             sample.mutable_adapted()),
                  IsOk());
    }
    return samples;
  }

  absl::StatusOr<v1::SubmitImaginedResponse> Submit(const std::vector<v1::ImaginedSample>& set) {
    grpc::ClientContext context;
    SetTimeout(context, absl::Seconds(30));
    v1::SubmitImaginedResponse response;
    auto writer = stub_->SubmitImagined(&context, &response);
    for (const v1::ImaginedSample& sample : set) {
      if (!writer->Write(sample)) break;
    }
    writer->WritesDone();
    MBRL_RETURN_IF_ERROR(FromGrpcStatus(writer->Finish()));
    return response;
  }

  bool WaitForVersion(uint64_t version) {
    const absl::Time end = absl::Now() + absl::Seconds(60);
    while (absl::Now() < end) {
      if (learner_->Latest()->version() >= version) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  v1::ExperimentConfig config_;
  std::string dir_;
  std::unique_ptr<learner::GaussianMlpPolicy> policy_;
  std::unique_ptr<PolicyLearner> learner_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::PolicyLearner::Stub> stub_;
};

TEST_F(PolicyLearnerTest, SyncHandsOutRandomCollectionWithLeasesAndCountsReportsOnce) {
  const std::shared_ptr<const v1::PolicySnapshot> first = learner_->Latest();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->version(), 1u);
  EXPECT_GT(first->revision(), 0u);
  EXPECT_EQ(static_cast<size_t>(first->meta().tensors_size()), policy_->parameters().size());
  EXPECT_TRUE(first->imagination().one_set_per_revision());
  EXPECT_EQ(first->imagination().min_complete_iterations(), 1u);

  // A request for no episodes only reports: nothing is leased.
  EXPECT_EQ(RequestWork({}, 0).kind(), v1::WorkResponse::WAIT);
  // Iteration 0: 40 random steps = 2 episodes of 20, handed out one at a time.
  v1::WorkResponse a = RequestWork({}, 1);
  EXPECT_EQ(a.first_episode(), 0u);
  ASSERT_EQ(a.kind(), v1::WorkResponse::COLLECT);
  EXPECT_TRUE(a.random_actions());
  EXPECT_EQ(a.iteration(), 0u);
  ASSERT_EQ(a.episode_ids_size(), 1);
  v1::WorkResponse b = RequestWork({}, 1);
  ASSERT_EQ(b.kind(), v1::WorkResponse::COLLECT);
  EXPECT_NE(b.first_episode(), a.first_episode());
  EXPECT_NE(b.first_seed(), a.first_seed());
  // Everything is leased: wait.
  EXPECT_EQ(RequestWork({}, 1).kind(), v1::WorkResponse::WAIT);

  // A report sent twice counts once.
  RequestWork({Collected(a), Collected(a)}, 0);
  RequestWork({Collected(a)}, 0);
  EXPECT_EQ(learner_->GetStatus().real_steps(), static_cast<uint64_t>(kHorizon));
  RequestWork({Collected(b)}, 0);
  EXPECT_EQ(learner_->GetStatus().real_steps(), static_cast<uint64_t>(2 * kHorizon));
  // Iteration 0 is collected; the next work is only after the policy steps.
  EXPECT_EQ(RequestWork().kind(), v1::WorkResponse::WAIT);
}

TEST_F(PolicyLearnerTest, RejectsInvalidSetsAndKeepsNothingOfThem) {
  CollectIteration();
  const uint64_t version = learner_->Latest()->version();
  {
    std::vector<v1::ImaginedSample> set = Set(version, 1);
    *set[1].mutable_pre_update() = RandomBatch(3, kObs + 1);
    EXPECT_THAT(Submit(set), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  {
    std::vector<v1::ImaginedSample> set = Set(version, 1);
    // RolloutsToProto validates: write the NaN straight into the bytes.
    v1::RolloutBatch batch = set[0].post_update();
    std::string& data = *batch.mutable_rewards()->mutable_data();
    const float nan = std::nanf("");
    std::memcpy(data.data() + 3 * sizeof(float), &nan, sizeof(float));
    *set[0].mutable_post_update() = batch;
    EXPECT_THAT(Submit(set), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  {
    std::vector<v1::ImaginedSample> set = Set(version, 1);
    set[1].set_task(kTasks);
    EXPECT_THAT(Submit(set), StatusIs(absl::StatusCode::kInvalidArgument));
    set[1].set_task(0);
    EXPECT_THAT(Submit(set), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  {
    std::vector<v1::ImaginedSample> set = Set(version, 1);
    set[0].mutable_adapted()->mutable_tensors()->RemoveLast();
    EXPECT_THAT(Submit(set), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  {
    std::vector<v1::ImaginedSample> set = Set(0, 1);
    EXPECT_THAT(Submit(set), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  const v1::PolicyLearnerStatusResponse status = learner_->GetStatus();
  EXPECT_EQ(status.accepted_samples(), 0u);
  EXPECT_EQ(status.version(), version);
}

TEST_F(PolicyLearnerTest, DropsStaleAndIncompleteSetsAndCountsThem) {
  CollectIteration();
  const uint64_t version = learner_->Latest()->version();
  // A version the learner never published, an incomplete set: dropped, counted, no error.
  absl::StatusOr<v1::SubmitImaginedResponse> future = Submit(Set(version + 5, 1));
  ASSERT_THAT(future, IsOk());
  EXPECT_EQ(future->accepted_samples(), 0u);
  EXPECT_EQ(future->dropped_stale_samples(), static_cast<uint64_t>(kTasks));
  std::vector<v1::ImaginedSample> half = Set(version, 1);
  half.pop_back();
  absl::StatusOr<v1::SubmitImaginedResponse> incomplete = Submit(half);
  ASSERT_THAT(incomplete, IsOk());
  EXPECT_EQ(incomplete->dropped_stale_samples(), 1u);
  EXPECT_EQ(learner_->GetStatus().dropped_stale_samples(), static_cast<uint64_t>(kTasks + 1));
  EXPECT_EQ(learner_->Latest()->version(), version);
}

TEST_F(PolicyLearnerTest, AsyncStepsOnImportanceCorrectedStaleSetsWithinTheLag) {
  StopLearner();
  std::filesystem::remove_all(dir_);
  config_.set_schedule(v1::ExperimentConfig::ASYNC);
  config_.mutable_roles()->set_max_policy_lag(1);
  config_.mutable_mbmpo()->set_meta_steps_per_iteration(5);
  Start();
  ASSERT_THAT(Submit(Set(1, 1)), IsOk());
  ASSERT_TRUE(WaitForVersion(2));
  // A set of version 1 at version 2: within the lag, corrected with theta_1, stepped on.
  absl::StatusOr<v1::SubmitImaginedResponse> stale = Submit(Set(1, 1));
  ASSERT_THAT(stale, IsOk());
  EXPECT_EQ(stale->accepted_samples(), static_cast<uint64_t>(kTasks));
  ASSERT_TRUE(WaitForVersion(3));
  // Two versions behind: dropped.
  absl::StatusOr<v1::SubmitImaginedResponse> too_old = Submit(Set(1, 1));
  ASSERT_THAT(too_old, IsOk());
  EXPECT_EQ(too_old->dropped_stale_samples(), static_cast<uint64_t>(kTasks));

  // Restored, the learner no longer knows theta_2: a set of version 2 is not stepped on, one
  // of the current version is.
  StopLearner();
  Start();
  const uint64_t version = learner_->Latest()->version();
  ASSERT_EQ(version, 3u);
  ASSERT_THAT(Submit(Set(2, 1)), IsOk());
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(learner_->Latest()->version(), version);
  ASSERT_THAT(Submit(Set(3, 1)), IsOk());
  EXPECT_TRUE(WaitForVersion(4));
}

TEST_F(PolicyLearnerTest, StepsEvaluatesAndRestoresItsCheckpointExactly) {
  CollectIteration();
  // A set on a model of the wrong iteration waits in SYNC; the right one is stepped on.
  ASSERT_THAT(Submit(Set(1, 2)), IsOk());
  absl::StatusOr<v1::SubmitImaginedResponse> response = Submit(Set(1, 1));
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->accepted_samples(), static_cast<uint64_t>(kTasks));
  ASSERT_TRUE(WaitForVersion(2));
  // One meta step per iteration: iteration 0 is done; its evaluation is handed out next, and
  // iteration 1 (MB-MPO) first wants theta adapted for the tailored exploration.
  std::shared_ptr<const v1::PolicySnapshot> snapshot = learner_->Latest();
  EXPECT_EQ(snapshot->iteration(), 1u);
  EXPECT_TRUE(snapshot->imagination().adaptation_only());
  EXPECT_EQ(snapshot->adapted_size(), kTasks);
  const v1::WorkResponse evaluate = RequestWork();
  ASSERT_EQ(evaluate.kind(), v1::WorkResponse::EVALUATE);
  EXPECT_EQ(evaluate.iteration(), 0u);
  EXPECT_EQ(evaluate.evaluation_episodes(), 2u);
  EXPECT_EQ(evaluate.policy_version(), snapshot->version());
  v1::WorkReport evaluated;
  evaluated.set_kind(v1::WorkReport::EVALUATED);
  evaluated.set_iteration(0);
  evaluated.add_returns(-300);
  evaluated.add_returns(-100);
  RequestWork({evaluated}, 0);
  const v1::PolicyLearnerStatusResponse before = learner_->GetStatus();
  EXPECT_EQ(before.progress_rows(), 1u);

  std::ifstream csv(dir_ + "/progress.csv");
  std::stringstream text;
  text << csv.rdbuf();
  EXPECT_NE(text.str().find("\n0,40,"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find(",-200,"), std::string::npos) << text.str();

  const uint64_t revision = learner_->Latest()->revision();
  const std::string meta = learner_->Latest()->meta().SerializeAsString();
  StopLearner();
  Start();
  const v1::PolicyLearnerStatusResponse after = learner_->GetStatus();
  EXPECT_EQ(after.version(), before.version());
  EXPECT_EQ(after.iteration(), before.iteration());
  EXPECT_EQ(after.real_steps(), before.real_steps());
  EXPECT_EQ(after.imagined_steps(), before.imagined_steps());
  EXPECT_EQ(after.progress_rows(), 1u);
  EXPECT_EQ(learner_->Latest()->meta().SerializeAsString(), meta);
  // Above every revision the crashed learner could have published.
  EXPECT_GT(learner_->Latest()->revision(), revision + 1000);
  EXPECT_TRUE(learner_->Latest()->imagination().adaptation_only());
  // The evaluated row is not written twice.
  EXPECT_NE(RequestWork().kind(), v1::WorkResponse::EVALUATE);
}

TEST_F(PolicyLearnerTest, ACorruptCheckpointIsAnError) {
  StopLearner();
  std::ofstream(dir_ + "/checkpoint/policy_learner.binpb") << "not a checkpoint";
  PolicyLearnerOptions options;
  options.checkpoint_dir = dir_ + "/checkpoint";
  EXPECT_THAT(PolicyLearner::Create(config_, kObs, kAct, options).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  // A checkpoint of another policy shape does not fit.
  std::filesystem::remove_all(dir_ + "/checkpoint");
  absl::StatusOr<std::unique_ptr<PolicyLearner>> learner =
      PolicyLearner::Create(config_, kObs, kAct, options);
  ASSERT_THAT(learner, IsOk());
  (*learner)->Start();
  ASSERT_TRUE((*learner)->Stop(absl::Seconds(30)));
  learner->reset();
  EXPECT_THAT(PolicyLearner::Create(config_, kObs + 1, kAct, options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl::policy_learner
