#include "learner/experiment.h"

#include <ATen/ATen.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "learner/dynamics/mlp_ensemble.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/testing/fakes.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;

constexpr int kHorizon = 10;

AlgorithmEnvironment LineEnvironment() {
  AlgorithmEnvironment environment;
  environment.make_env = []() -> absl::StatusOr<std::unique_ptr<envs::Env>> {
    return std::make_unique<testing::LineEnv>(kHorizon);
  };
  environment.functions = std::make_shared<testing::LineFunctions>();
  return environment;
}

v1::ExperimentConfig SmallConfig(bool mbmpo) {
  v1::ExperimentConfig config;
  config.set_seed(3);
  config.mutable_env()->set_horizon(kHorizon);
  v1::DynamicsModelConfig* model = config.mutable_model();
  model->set_ensemble_size(2);
  model->set_hidden_units(16);
  model->set_batch_size(32);
  model->set_max_epochs(5);
  if (mbmpo) {
    v1::MbmpoConfig* m = config.mutable_mbmpo();
    m->set_iterations(2);
    m->set_initial_random_steps(100);
    m->set_meta_batch_size(4);
    m->set_imagined_trajectories_per_task(5);
    m->set_meta_steps_per_iteration(2);
  } else {
    v1::MetrpoConfig* m = config.mutable_metrpo();
    m->set_iterations(10);
    m->set_initial_random_steps(100);
    m->set_real_steps_per_iteration(100);
    m->set_imagined_steps_per_policy_step(200);
    m->set_max_policy_steps_per_iteration(3);
    m->set_validation_every(1);
  }
  config.mutable_topology()->set_learner_threads(1);
  config.mutable_evaluation()->set_episodes(3);
  return config;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
}

template <typename Message>
Message ReadProto(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Message message;
  EXPECT_TRUE(message.ParseFromIstream(&in)) << path;
  return message;
}

TEST(RunExperimentTest, WritesProgressConfigAndACheckpointThatLoads) {
  const std::string dir = ::testing::TempDir() + "/metrpo";
  std::ostringstream terminal;
  MBRL_ASSERT_OK_AND_ASSIGN(
      ExperimentSummary summary,
      RunExperiment(SmallConfig(/*mbmpo=*/false), LineEnvironment(), dir, &terminal));
  EXPECT_EQ(summary.iterations, 10);
  EXPECT_EQ(summary.real_steps, 1000);
  EXPECT_EQ(summary.stopped_by, "iterations");

  const std::vector<std::string> lines = ReadLines(dir + "/progress.csv");
  ASSERT_EQ(lines.size(), 11u);
  EXPECT_EQ(lines[0], absl::StrJoin(kProgressColumns, ","));
  EXPECT_THAT(lines[0],
              ::testing::StartsWith("iteration,real_steps,imagined_steps,wall_seconds,eval_return,"
                                    "model_val_loss"));
  EXPECT_THAT(lines[1], ::testing::StartsWith("0,100,"));
  EXPECT_THAT(lines[10], ::testing::StartsWith("9,1000,"));
  EXPECT_THAT(terminal.str(), ::testing::HasSubstr("iteration=9 real_steps=1000"));

  const auto model_snapshot = ReadProto<v1::ModelSnapshot>(dir + "/checkpoint/model.binpb");
  const auto policy_snapshot = ReadProto<v1::PolicySnapshot>(dir + "/checkpoint/policy.binpb");
  EXPECT_EQ(model_snapshot.version(), 10u);
  EXPECT_EQ(model_snapshot.trained_on_transitions(), 1000u);
  EXPECT_EQ(policy_snapshot.adapted_size(), 0);
  MBRL_ASSERT_OK_AND_ASSIGN(
      auto model,
      MlpEnsemble::Create(MlpEnsembleOptions::FromConfig(SmallConfig(false).model(), 1, 1), 9));
  MBRL_EXPECT_OK(model->Load(model_snapshot));
  MBRL_ASSERT_OK_AND_ASSIGN(
      auto policy,
      GaussianMlpPolicy::Create(GaussianMlpOptions::FromConfig(v1::PolicyConfig(), 1, 1), 9));
  MBRL_EXPECT_OK(ReadPolicySnapshot(policy_snapshot, *policy).status());
  std::ifstream config_file(dir + "/config.textproto");
  EXPECT_TRUE(config_file.good());
}

TEST(RunExperimentTest, LearnsToHoldTheLineEnvNearZero) {
  // Reward -(x')^2 after x' = x + a, from x0 in [-1, 1]: doing nothing scores about -3.3 over
  // 10 steps; steering to 0 at once and staying there scores 0.
  const std::string dir = ::testing::TempDir() + "/learn";
  v1::ExperimentConfig config = SmallConfig(false);
  config.mutable_metrpo()->set_iterations(2);
  config.mutable_metrpo()->set_max_policy_steps_per_iteration(10);
  config.mutable_metrpo()->set_imagined_steps_per_policy_step(1000);
  config.mutable_model()->set_max_epochs(30);
  config.mutable_evaluation()->set_episodes(20);
  MBRL_ASSERT_OK_AND_ASSIGN(ExperimentSummary summary,
                            RunExperiment(config, LineEnvironment(), dir, nullptr));
  EXPECT_GT(summary.last_eval_return, -0.3);
}

TEST(RunExperimentTest, MbmpoStoresTheAdaptedPolicies) {
  const std::string dir = ::testing::TempDir() + "/mbmpo";
  MBRL_ASSERT_OK_AND_ASSIGN(
      ExperimentSummary summary,
      RunExperiment(SmallConfig(/*mbmpo=*/true), LineEnvironment(), dir, nullptr));
  EXPECT_EQ(summary.iterations, 2);
  // Iteration 0: 100 random steps; iteration 1: one episode per task (4 x 10).
  EXPECT_EQ(summary.real_steps, 140);
  const auto policy_snapshot = ReadProto<v1::PolicySnapshot>(dir + "/checkpoint/policy.binpb");
  EXPECT_EQ(policy_snapshot.adapted_size(), 4);
  const std::vector<std::string> lines = ReadLines(dir + "/progress.csv");
  ASSERT_EQ(lines.size(), 3u);
}

TEST(RunExperimentTest, NeverExceedsTheRealStepBudget) {
  v1::ExperimentConfig config = SmallConfig(false);
  config.mutable_budget()->set_max_real_steps(350);
  MBRL_ASSERT_OK_AND_ASSIGN(
      ExperimentSummary summary,
      RunExperiment(config, LineEnvironment(), ::testing::TempDir() + "/budget", nullptr));
  EXPECT_EQ(summary.real_steps, 300);
  EXPECT_EQ(summary.stopped_by, "max_real_steps");
}

TEST(RunExperimentTest, StopsAtTheWallClockBudget) {
  v1::ExperimentConfig config = SmallConfig(false);
  config.mutable_metrpo()->set_iterations(100000);
  config.mutable_budget()->set_max_wall_seconds(1.0);
  MBRL_ASSERT_OK_AND_ASSIGN(
      ExperimentSummary summary,
      RunExperiment(config, LineEnvironment(), ::testing::TempDir() + "/wall", nullptr));
  EXPECT_EQ(summary.stopped_by, "max_wall_seconds");
  EXPECT_LT(summary.iterations, 100000);
}

TEST(RunExperimentTest, RejectsAConfigWithoutAnAlgorithmOrEnvironment) {
  v1::ExperimentConfig config;
  EXPECT_THAT(CreateAlgorithm(config, LineEnvironment()),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("no algorithm")));
  EXPECT_THAT(CreateAlgorithm(SmallConfig(false), AlgorithmEnvironment{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RunExperiment(SmallConfig(false), LineEnvironment(), "/proc/forbidden/x", nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace mbrl::learner
