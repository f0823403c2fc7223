// End-to-end learning on real tasks (the registry's environments), through the same
// RunExperiment path as `mbrl train`: the returns must reach values that random or idle play
// cannot.
#include <string>

#include "absl/strings/str_cat.h"
#include "actors/envs/registry.h"
#include "common/config.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "learner/experiment.h"

namespace mbrl {
namespace {

learner::ExperimentSummary Train(const std::string& textproto, const std::string& name) {
  absl::StatusOr<ParsedConfig> parsed = ParseExperimentConfig(textproto, name);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  const v1::ExperimentConfig& config = parsed->config();
  learner::AlgorithmEnvironment environment;
  environment.make_env = [env = config.env()] { return envs::MakeEnv(env); };
  environment.functions = envs::MakeBatchedEnvFunctions(config.env().name()).value();
  absl::StatusOr<learner::ExperimentSummary> summary = learner::RunExperiment(
      config, std::move(environment), ::testing::TempDir() + "/" + name, nullptr);
  EXPECT_TRUE(summary.ok()) << summary.status();
  return summary.ok() ? *summary : learner::ExperimentSummary{};
}

// Pendulum swing-up (gym Pendulum-v1, 200 steps): a random or idle policy scores about -1000
// to -1500 from uniform starts; a swing-up controller about -150.
constexpr char kMetrpoPendulum[] = R"pb(
  seed: 1
  env { name: "Pendulum" horizon: 200 }
  model {
    ensemble_size: 5
    hidden_layers: 2
    hidden_units: 128
    weight_norm: false
    batch_size: 256
    max_epochs: 50
    early_stopping: NONE
  }
  metrpo {
    iterations: 1
    initial_random_steps: 2000
    imagined_steps_per_policy_step: 10000
    max_policy_steps_per_iteration: 40
    validation_every: 5
    patience: 25
  }
  topology { learner_threads: 1 }
  evaluation { episodes: 10 }
)pb";

TEST(LearningTest, MetrpoSwingsUpPendulum) {
  const learner::ExperimentSummary summary = Train(kMetrpoPendulum, "metrpo_pendulum");
  EXPECT_EQ(summary.real_steps, 2000);
  EXPECT_GT(summary.last_eval_return, -400);
}

// MockLine (mbrl-lib's test task, 30 steps): from x = 1, v = 0, reward -0.001 x^2. Doing
// nothing scores -0.03, random actions far less; mbrl-lib's bar for a working method is -0.02.
constexpr char kMbmpoMockLine[] = R"pb(
  seed: 1
  env { name: "MockLine" horizon: 30 }
  model {
    ensemble_size: 5
    hidden_layers: 2
    hidden_units: 64
    weight_norm: false
    batch_size: 64
    max_epochs: 50
    early_stopping: NONE
  }
  mbmpo {
    iterations: 1
    initial_random_steps: 300
    meta_batch_size: 5
    imagined_trajectories_per_task: 20
    meta_steps_per_iteration: 20
    discount: 1.0
  }
  topology { learner_threads: 1 }
  evaluation { episodes: 1 }
)pb";

TEST(LearningTest, MbmpoSolvesMockLine) {
  const learner::ExperimentSummary summary = Train(kMbmpoMockLine, "mbmpo_mockline");
  EXPECT_EQ(summary.real_steps, 300);
  EXPECT_GT(summary.last_eval_return, -0.02);
}

}  // namespace
}  // namespace mbrl
