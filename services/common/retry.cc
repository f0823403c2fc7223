#include "services/common/retry.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"

namespace mbrl {

Backoff::Backoff(const BackoffOptions& options, uint64_t seed) : options_(options), rng_(seed) {
  MBRL_CHECK(options.initial_delay >= absl::ZeroDuration()) << "negative initial delay";
  MBRL_CHECK(options.max_delay >= options.initial_delay) << "max_delay < initial_delay";
  MBRL_CHECK(options.multiplier >= 1.0) << "multiplier " << options.multiplier << " < 1";
  MBRL_CHECK(options.jitter >= 0.0 && options.jitter <= 1.0) << "jitter " << options.jitter;
}

absl::Duration Backoff::NextDelay() {
  absl::Duration base = options_.initial_delay;
  for (int i = 0; i < attempt_ && base < options_.max_delay; ++i) base *= options_.multiplier;
  base = std::min(base, options_.max_delay);
  ++attempt_;
  std::uniform_real_distribution<double> factor(1.0 - options_.jitter, 1.0 + options_.jitter);
  return base * factor(rng_);
}

uint64_t RandomSeed() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  absl::MutexLock lock(&mu);
  return absl::Uniform<uint64_t>(*gen);
}

Retrier::Retrier(RetryOptions options)
    : options_(std::move(options)),
      backoff_(options_.backoff, options_.seed != 0 ? options_.seed : RandomSeed()),
      start_(options_.now()) {}

bool Retrier::ShouldRetry(const absl::Status& status) {
  if (status.ok() || !options_.retryable(status)) return false;
  if (options_.max_attempts > 0 && attempts_ >= options_.max_attempts) return false;
  const absl::Duration delay = backoff_.NextDelay();
  if (options_.now() + delay - start_ > options_.total_timeout) return false;
  options_.sleep(delay);
  ++attempts_;
  return true;
}

void Retrier::Reset() {
  backoff_.Reset();
  start_ = options_.now();
  attempts_ = 1;
}

}  // namespace mbrl
