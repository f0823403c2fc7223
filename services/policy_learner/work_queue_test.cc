#include "services/policy_learner/work_queue.h"

#include "common/config.h"
#include "common/testing/test_config.h"
#include "gtest/gtest.h"

namespace mbrl::policy_learner {
namespace {

EpisodePlan Plan() {
  // Iteration 0: 3 random episodes; then 4 episodes per iteration; 3 iterations: 11 episodes.
  return *EpisodePlan::Create(testing::EffectiveTestConfig(
      "env { horizon: 10 } model { ensemble_size: 1 } mbmpo { iterations: 3 "
      "initial_random_steps: 30 meta_batch_size: 4 }"));
}

const absl::Time kNow = absl::FromUnixSeconds(1000);

TEST(WorkQueueTest, ClaimsReleasedEpisodesOfOneIterationAtATime) {
  WorkQueue queue(Plan(), absl::Seconds(10));
  EXPECT_FALSE(queue.ClaimEpisodes(8, kNow).has_value());
  queue.ReleaseThrough(5);
  auto claim = queue.ClaimEpisodes(8, kNow);
  ASSERT_TRUE(claim.has_value());
  // Stops at the end of iteration 0.
  EXPECT_EQ(claim->first_episode, 0u);
  EXPECT_EQ(claim->episodes, 3u);
  EXPECT_EQ(claim->iteration, 0);
  claim = queue.ClaimEpisodes(8, kNow);
  ASSERT_TRUE(claim.has_value());
  EXPECT_EQ(claim->first_episode, 3u);
  EXPECT_EQ(claim->episodes, 2u);  // released through 5
  EXPECT_EQ(claim->iteration, 1);
  EXPECT_FALSE(queue.ClaimEpisodes(8, kNow).has_value());
  queue.ReleaseThrough(100);  // capped at the plan's 11 episodes
  EXPECT_EQ(queue.released(), 11u);
  claim = queue.ClaimEpisodes(1, kNow);
  EXPECT_EQ(claim->first_episode, 5u);
  EXPECT_EQ(claim->episodes, 1u);
}

TEST(WorkQueueTest, CollectCountsEachEpisodeOnceAndCompletesIterations) {
  WorkQueue queue(Plan(), absl::Seconds(10));
  queue.ReleaseThrough(11);
  queue.ClaimEpisodes(3, kNow);
  EXPECT_EQ(queue.Collect(0, 2, {10, 7}), 17u);
  EXPECT_FALSE(queue.IterationCollected(0));
  EXPECT_EQ(queue.Collect(0, 3, {10, 7, 9}), 9u);  // 0 and 1 counted before
  EXPECT_TRUE(queue.IterationCollected(0));
  EXPECT_FALSE(queue.IterationCollected(1));
  EXPECT_EQ(queue.collected_episodes(), 3u);
  EXPECT_EQ(queue.Collect(50, 2, {1, 1}), 0u);  // outside the plan
}

TEST(WorkQueueTest, ExpiredLeasesAreHandedOutAgain) {
  WorkQueue queue(Plan(), absl::Seconds(10));
  queue.ReleaseThrough(3);
  ASSERT_TRUE(queue.ClaimEpisodes(3, kNow).has_value());
  queue.Collect(1, 1, {10});
  EXPECT_FALSE(queue.ClaimEpisodes(3, kNow + absl::Seconds(5)).has_value());
  // After the lease: episode 0 first (the lease's first not collected), up to the lease's end.
  auto again = queue.ClaimEpisodes(3, kNow + absl::Seconds(11));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->first_episode, 0u);
  EXPECT_EQ(again->episodes, 1u);
  // Episode 2 is still in the old lease's range: claimable once that expires too.
  auto rest = queue.ClaimEpisodes(3, kNow + absl::Seconds(11));
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->first_episode, 2u);
  queue.Collect(0, 3, {10, 10, 10});
  EXPECT_FALSE(queue.ClaimEpisodes(3, kNow + absl::Seconds(100)).has_value());
}

TEST(WorkQueueTest, CollectedRangesRoundTrip) {
  WorkQueue queue(Plan(), absl::Seconds(10));
  queue.Collect(0, 3, {});
  queue.Collect(5, 2, {});
  const std::vector<v1::EpisodeRange> ranges = queue.CollectedRanges();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[1].first(), 5u);
  EXPECT_EQ(ranges[1].count(), 2u);
  WorkQueue restored(Plan(), absl::Seconds(10));
  restored.RestoreCollected(ranges);
  EXPECT_TRUE(restored.IterationCollected(0));
  EXPECT_TRUE(restored.IsCollected(6));
  EXPECT_FALSE(restored.IsCollected(4));
  // A restored queue hands out only what is missing.
  restored.ReleaseThrough(7);
  auto claim = restored.ClaimEpisodes(8, kNow);
  ASSERT_TRUE(claim.has_value());
  EXPECT_EQ(claim->first_episode, 3u);
  EXPECT_EQ(claim->episodes, 2u);
}

}  // namespace
}  // namespace mbrl::policy_learner
