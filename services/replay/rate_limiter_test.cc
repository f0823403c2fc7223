#include "services/replay/rate_limiter.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl::replay {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

TEST(RateLimiterTest, DefaultOnlyNeedsMinSize) {
  RateLimiter limiter{RateLimiterOptions()};
  EXPECT_TRUE(limiter.CanInsert());
  EXPECT_FALSE(limiter.CanSample(1, 0));  // nothing to sample
  limiter.Inserted(5);
  EXPECT_TRUE(limiter.CanSample(1000000, 5));
  limiter.Sampled(1000000);
  EXPECT_TRUE(limiter.CanInsert());
}

TEST(RateLimiterTest, SampleToInsertRatioKeepsTheCursorInTheWindow) {
  // 2 samples per insert, from 10 transitions, +-5: min_diff 15, max_diff 25.
  const RateLimiterOptions options = RateLimiterOptions::SampleToInsertRatio(2.0, 10, 5.0);
  EXPECT_DOUBLE_EQ(options.min_diff, 15);
  EXPECT_DOUBLE_EQ(options.max_diff, 25);
  ASSERT_THAT(RateLimiter::Validate(options), IsOk());
  RateLimiter limiter(options);
  limiter.Inserted(9);                      // diff 18
  EXPECT_FALSE(limiter.CanSample(1, 9));    // below min size
  EXPECT_TRUE(limiter.CanInsert());         // 18 <= 25
  limiter.Inserted(4);                      // diff 26
  EXPECT_FALSE(limiter.CanInsert());        // 26 > 25
  EXPECT_TRUE(limiter.CanSample(11, 13));   // 26 - 11 = 15 >= 15
  EXPECT_FALSE(limiter.CanSample(12, 13));  // 14 < 15
  limiter.Sampled(1);                       // diff 25
  EXPECT_TRUE(limiter.CanInsert());
}

TEST(RateLimiterTest, RestoreStartsInsertable) {
  const RateLimiterOptions options = RateLimiterOptions::SampleToInsertRatio(4.0, 100, 50.0);
  RateLimiter limiter(options);
  limiter.Restore(1000);  // diff would be 4000 > max_diff 450
  EXPECT_TRUE(limiter.CanInsert());
  EXPECT_TRUE(limiter.CanSample(1, 1000));
  EXPECT_FALSE(limiter.CanSample(451 - 350 + 1, 1000));  // 450 - 102 < 350
}

TEST(RateLimiterTest, ValidateRejectsDeadlocksAndNonsense) {
  RateLimiterOptions options;
  options.samples_per_insert = -1;
  EXPECT_THAT(RateLimiter::Validate(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options = RateLimiterOptions();
  options.min_diff = 5;
  options.max_diff = 4;
  EXPECT_THAT(RateLimiter::Validate(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options = RateLimiterOptions();
  options.min_size_to_sample = 10;
  options.max_diff = 9;
  EXPECT_THAT(RateLimiter::Validate(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RateLimiterTest, AccumulatesBlockedTime) {
  RateLimiter limiter{RateLimiterOptions()};
  const absl::Time t0 = absl::FromUnixSeconds(100);
  limiter.SetInsertsBlocked(true, t0);
  limiter.SetInsertsBlocked(true, t0 + absl::Seconds(1));  // still the same episode
  EXPECT_DOUBLE_EQ(limiter.insert_blocked_seconds(t0 + absl::Seconds(2)), 2.0);
  limiter.SetInsertsBlocked(false, t0 + absl::Seconds(3));
  limiter.SetSamplesBlocked(true, t0 + absl::Seconds(3));
  limiter.SetSamplesBlocked(false, t0 + absl::Milliseconds(3500));
  EXPECT_DOUBLE_EQ(limiter.insert_blocked_seconds(t0 + absl::Seconds(10)), 3.0);
  EXPECT_DOUBLE_EQ(limiter.sample_blocked_seconds(t0 + absl::Seconds(10)), 0.5);
  const v1::RateLimiterInfo info = limiter.Info(t0 + absl::Seconds(10));
  EXPECT_DOUBLE_EQ(info.blocked_seconds_total(), 3.5);
  EXPECT_FALSE(info.inserts_blocked());
  EXPECT_FALSE(info.samples_blocked());
}

}  // namespace
}  // namespace mbrl::replay
