#include "services/common/retry.h"

#include <vector>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::IsOkAndHolds;
using ::mbrl::testing::StatusIs;

TEST(BackoffTest, GrowsExponentiallyWithinJitterUpToTheMaximum) {
  BackoffOptions options;
  options.initial_delay = absl::Milliseconds(100);
  options.max_delay = absl::Seconds(1);
  options.multiplier = 2.0;
  options.jitter = 0.25;
  Backoff backoff(options, /*seed=*/7);
  const double bases_ms[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (double base : bases_ms) {
    const double delay_ms = absl::ToDoubleMilliseconds(backoff.NextDelay());
    EXPECT_GE(delay_ms, base * 0.75);
    EXPECT_LE(delay_ms, base * 1.25);
  }
  EXPECT_EQ(backoff.attempts(), 7);
  backoff.Reset();
  const double first_ms = absl::ToDoubleMilliseconds(backoff.NextDelay());
  EXPECT_GE(first_ms, 75);
  EXPECT_LE(first_ms, 125);
}

TEST(BackoffTest, IsDeterministicUnderASeedAndJittersAcrossSeeds) {
  BackoffOptions options;
  Backoff a(options, /*seed=*/42), b(options, /*seed=*/42), c(options, /*seed=*/43);
  bool any_difference = false;
  for (int i = 0; i < 10; ++i) {
    const absl::Duration da = a.NextDelay();
    EXPECT_EQ(da, b.NextDelay());
    any_difference |= da != c.NextDelay();
  }
  EXPECT_TRUE(any_difference);
}

TEST(BackoffTest, ZeroJitterGivesTheExactSchedule) {
  BackoffOptions options;
  options.initial_delay = absl::Milliseconds(10);
  options.max_delay = absl::Milliseconds(35);
  options.multiplier = 3.0;
  options.jitter = 0;
  Backoff backoff(options, /*seed=*/1);
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(10));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(30));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(35));
}

// A fake clock that only moves when the retrier sleeps.
struct FakeTime {
  absl::Time now = absl::FromUnixSeconds(1000);
  std::vector<absl::Duration> sleeps;

  RetryOptions Options() {
    RetryOptions options;
    options.seed = 5;
    options.sleep = [this](absl::Duration d) {
      sleeps.push_back(d);
      now += d;
    };
    options.now = [this] { return now; };
    return options;
  }
};

TEST(RetryTest, RetriesUnavailableUntilSuccess) {
  FakeTime time;
  int calls = 0;
  absl::StatusOr<int> result = Retry(time.Options(), [&]() -> absl::StatusOr<int> {
    if (++calls < 4) return absl::UnavailableError("shard restarting");
    return 17;
  });
  EXPECT_THAT(result, IsOkAndHolds(17));
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(time.sleeps.size(), 3u);
  EXPECT_LT(time.sleeps[0], time.sleeps[2]);  // exponential: 50ms*~1, then ~200ms
}

TEST(RetryTest, DoesNotRetryOtherCodesByDefault) {
  FakeTime time;
  int calls = 0;
  absl::Status status = Retry(time.Options(), [&] {
    ++calls;
    return absl::InvalidArgumentError("bad chunk");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(time.sleeps.empty());

  // DEADLINE_EXCEEDED is not retried by default either (the caller's deadline decides).
  calls = 0;
  status = Retry(time.Options(), [&] {
    ++calls;
    return absl::DeadlineExceededError("late");
  });
  EXPECT_EQ(calls, 1);
}

TEST(RetryTest, StopsAtMaxAttemptsAndReturnsTheLastError) {
  FakeTime time;
  RetryOptions options = time.Options();
  options.max_attempts = 3;
  int calls = 0;
  absl::Status status =
      Retry(options, [&] { return absl::UnavailableError("attempt " + std::to_string(++calls)); });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable, "attempt 3"));
  EXPECT_EQ(calls, 3);
}

TEST(RetryTest, StopsWhenTheNextDelayWouldPassTheTotalTimeout) {
  FakeTime time;
  RetryOptions options = time.Options();
  options.backoff.jitter = 0;
  options.backoff.initial_delay = absl::Milliseconds(100);
  options.backoff.multiplier = 2;
  options.total_timeout = absl::Milliseconds(750);
  int calls = 0;
  absl::Status status = Retry(options, [&] {
    ++calls;
    return absl::UnavailableError("down");
  });
  // Sleeps 100 + 200 + 400 = 700 ms; the next (800 ms) would end past 750 ms.
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(time.sleeps.size(), 3u);
}

TEST(RetryTest, CustomPredicateAndResetRestartTheSchedule) {
  FakeTime time;
  RetryOptions options = time.Options();
  options.backoff.jitter = 0;
  options.retryable = [](const absl::Status& s) {
    return s.code() == absl::StatusCode::kResourceExhausted;
  };
  Retrier retrier(options);
  EXPECT_TRUE(retrier.ShouldRetry(absl::ResourceExhaustedError("busy")));
  EXPECT_TRUE(retrier.ShouldRetry(absl::ResourceExhaustedError("busy")));
  EXPECT_FALSE(retrier.ShouldRetry(absl::UnavailableError("down")));
  EXPECT_FALSE(retrier.ShouldRetry(absl::OkStatus()));
  EXPECT_EQ(retrier.attempts(), 3);
  retrier.Reset();
  EXPECT_EQ(retrier.attempts(), 1);
  EXPECT_TRUE(retrier.ShouldRetry(absl::ResourceExhaustedError("busy")));
  ASSERT_EQ(time.sleeps.size(), 3u);
  EXPECT_EQ(time.sleeps[0], absl::Milliseconds(50));
  EXPECT_EQ(time.sleeps[1], absl::Milliseconds(100));
  EXPECT_EQ(time.sleeps[2], absl::Milliseconds(50));  // after Reset
}

TEST(RetryTest, RealSleepsAreShortByDefault) {
  RetryOptions options;
  options.backoff.initial_delay = absl::Milliseconds(1);
  options.max_attempts = 2;
  int calls = 0;
  EXPECT_THAT(
      Retry(options, [&] { return ++calls == 2 ? absl::OkStatus() : absl::UnavailableError("x"); }),
      IsOk());
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace mbrl
