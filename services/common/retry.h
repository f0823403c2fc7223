// Exponential backoff with jitter, and retrying calls that failed with a retryable status.
//
//   RetryOptions options;                       // UNAVAILABLE only, up to 30 s in total
//   absl::StatusOr<InfoResponse> info = Retry(options, [&] { return CallInfo(stub); });
//
// Deterministic under a seed (tests pass a fixed `seed`, a fake `sleep` and `now`). Not
// thread-safe: one Backoff / Retrier per caller thread.
#ifndef MBRL_SERVICES_COMMON_RETRY_H_
#define MBRL_SERVICES_COMMON_RETRY_H_

#include <cstdint>
#include <functional>
#include <random>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mbrl {

struct BackoffOptions {
  // Delay before the first retry, growing by `multiplier` per attempt up to `max_delay`.
  absl::Duration initial_delay = absl::Milliseconds(50);
  absl::Duration max_delay = absl::Seconds(5);
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [base * (1 - jitter), base * (1 + jitter)], so clients
  // that failed together do not retry together. In [0, 1].
  double jitter = 0.2;
};

// The delays of successive attempts. Not thread-safe.
class Backoff {
 public:
  Backoff(const BackoffOptions& options, uint64_t seed);

  // The delay before the next attempt; advances the schedule.
  absl::Duration NextDelay();
  // Back to the initial delay (after a success).
  void Reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  int attempt_ = 0;
};

// A seed that differs between processes and calls (for production Backoffs).
uint64_t RandomSeed();

struct RetryOptions {
  BackoffOptions backoff;
  // Which failures to retry. By default UNAVAILABLE only (the server is down, restarting or
  // unreachable); DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are the caller's call.
  std::function<bool(const absl::Status&)> retryable = [](const absl::Status& status) {
    return absl::IsUnavailable(status);
  };
  // Give up once the next attempt would start later than this after the first one
  // (the last error is returned). Infinite = retry for ever.
  absl::Duration total_timeout = absl::Seconds(30);
  // Give up after this many attempts in total; 0 = no limit.
  int max_attempts = 0;
  // 0 = RandomSeed().
  uint64_t seed = 0;
  // Injected for tests.
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) { absl::SleepFor(d); };
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// The state of one retried operation, for loops that are not a single call (e.g. reopening a
// stream and resending what was not acknowledged).
class Retrier {
 public:
  explicit Retrier(RetryOptions options);

  // After a failed attempt: if `status` is retryable and the budget allows another attempt,
  // sleeps the backoff delay and returns true; otherwise returns false at once.
  bool ShouldRetry(const absl::Status& status);
  // After progress was made (e.g. a message was acknowledged): restarts the backoff and the
  // time budget.
  void Reset();
  int attempts() const { return attempts_; }

 private:
  RetryOptions options_;
  Backoff backoff_;
  absl::Time start_;
  int attempts_ = 1;
};

// Calls `attempt` (returning absl::Status or absl::StatusOr<T>) until it succeeds or fails in a
// way `options` does not retry; returns the last result.
template <typename F>
auto Retry(const RetryOptions& options, F&& attempt) -> std::invoke_result_t<F&> {
  Retrier retrier(options);
  while (true) {
    auto result = attempt();
    if constexpr (std::is_same_v<decltype(result), absl::Status>) {
      if (result.ok() || !retrier.ShouldRetry(result)) return result;
    } else {
      if (result.ok() || !retrier.ShouldRetry(result.status())) return result;
    }
  }
}

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_RETRY_H_
