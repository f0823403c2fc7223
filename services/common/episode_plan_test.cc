#include "services/common/episode_plan.h"

#include <set>

#include "common/config.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_config.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

v1::ExperimentConfig Config(const std::string& text) {
  return testing::EffectiveTestConfig(text);
}

TEST(EpisodePlanTest, MbmpoIterationsAndTasks) {
  MBRL_ASSERT_OK_AND_ASSIGN(
      EpisodePlan plan,
      EpisodePlan::Create(Config("seed: 3 env { horizon: 200 } model { ensemble_size: 2 } "
                                 "mbmpo { iterations: 4 initial_random_steps: 450 "
                                 "meta_batch_size: 4 real_episodes_per_task: 2 }")));
  EXPECT_TRUE(plan.mbmpo());
  EXPECT_EQ(plan.tasks(), 4);
  // 450 random steps are 3 whole episodes of 200; then 4 tasks x 2 episodes per iteration.
  EXPECT_EQ(plan.EpisodesIn(0), 3);
  EXPECT_EQ(plan.EpisodesIn(1), 8);
  EXPECT_EQ(plan.FirstEpisode(0), 0u);
  EXPECT_EQ(plan.FirstEpisode(1), 3u);
  EXPECT_EQ(plan.FirstEpisode(3), 19u);
  EXPECT_EQ(plan.IterationOf(2), 0);
  EXPECT_EQ(plan.IterationOf(3), 1);
  EXPECT_EQ(plan.IterationOf(10), 1);
  EXPECT_EQ(plan.IterationOf(11), 2);
  EXPECT_TRUE(plan.RandomActions(0));
  EXPECT_FALSE(plan.RandomActions(1));
  EXPECT_EQ(plan.MaxStepsThrough(0), 600);
  EXPECT_EQ(plan.MaxStepsThrough(1), 2200);
  // Episode k of an iteration explores with task k / real_episodes_per_task.
  EXPECT_EQ(plan.TaskOf(3), 0u);
  EXPECT_EQ(plan.TaskOf(4), 0u);
  EXPECT_EQ(plan.TaskOf(5), 1u);
  EXPECT_EQ(plan.TaskOf(10), 3u);
  EXPECT_EQ(plan.TaskOf(11), 0u);
  // The seeds of `mbrl train`.
  EXPECT_EQ(plan.EpisodeSeed(5), (uint64_t{3} << 32) + 5);
  EXPECT_EQ(plan.EvaluationSeed(2), ((uint64_t{3} << 32) | (uint64_t{1} << 31)) + 20);
}

TEST(EpisodePlanTest, MetrpoWithoutRandomSteps) {
  MBRL_ASSERT_OK_AND_ASSIGN(
      EpisodePlan plan,
      EpisodePlan::Create(Config("env { horizon: 100 } metrpo { iterations: 2 "
                                 "initial_random_steps: 0 real_steps_per_iteration: 250 }")));
  EXPECT_FALSE(plan.mbmpo());
  EXPECT_EQ(plan.tasks(), 1);
  EXPECT_EQ(plan.EpisodesIn(0), 3);
  EXPECT_EQ(plan.EpisodesIn(1), 3);
  EXPECT_FALSE(plan.RandomActions(0));
  EXPECT_EQ(plan.TaskOf(1), 0u);
}

TEST(EpisodePlanTest, EpisodeIdsAreDistinctAndDependOnTheSeed) {
  MBRL_ASSERT_OK_AND_ASSIGN(EpisodePlan a, EpisodePlan::Create(Config("seed: 1 mbmpo {}")));
  MBRL_ASSERT_OK_AND_ASSIGN(EpisodePlan b, EpisodePlan::Create(Config("seed: 2 mbmpo {}")));
  std::set<uint64_t> ids;
  for (uint64_t e = 0; e < 10000; ++e) {
    ids.insert(a.EpisodeId(e));
    ids.insert(b.EpisodeId(e));
  }
  EXPECT_EQ(ids.size(), 20000u);
  EXPECT_EQ(a.EpisodeId(7), a.EpisodeId(7));
}

TEST(EpisodePlanTest, StableHashIsPinned) {
  // Pinned: other processes and builds must agree on it.
  EXPECT_EQ(StableHash(""), Mix64(0xCBF29CE484222325ULL));
  EXPECT_NE(StableHash("env-actor-0"), StableHash("env-actor-1"));
  EXPECT_EQ(Mix64(0), 0xE220A8397B1DCDAFULL);
}

TEST(EpisodePlanTest, NeedsAnAlgorithm) {
  v1::ExperimentConfig config;
  EXPECT_FALSE(EpisodePlan::Create(config).ok());
}

}  // namespace
}  // namespace mbrl
