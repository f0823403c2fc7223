// The samples-per-insert rate limiter of a replay table (Reverb's semantics, at chunk and batch
// granularity).
//
// It tracks the cursor  diff = inserted_transitions * samples_per_insert - sampled_transitions.
//   - An insert of any size may start while diff <= max_diff (it may overshoot by one chunk, so
//     a chunk larger than the window cannot deadlock).
//   - A sample batch of B may start while the table holds >= min_size_to_sample transitions and
//     diff - B >= min_diff.
// Presets: no limit (the default: only min_size_to_sample), a samples-per-insert ratio with an
// error buffer around it (SampleToInsertRatio), and a queue-like max_diff.
//
// Not thread-safe: the table's mutex guards it.
#ifndef MBRL_SERVICES_REPLAY_RATE_LIMITER_H_
#define MBRL_SERVICES_REPLAY_RATE_LIMITER_H_

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mbrl/v1/replay.pb.h"

namespace mbrl::replay {

struct RateLimiterOptions {
  double samples_per_insert = 1.0;
  uint64_t min_size_to_sample = 1;
  double min_diff = -std::numeric_limits<double>::infinity();
  double max_diff = std::numeric_limits<double>::infinity();

  // Reverb's SampleToInsertRatio: each inserted transition allows `samples_per_insert` sampled
  // ones, within +-error_buffer, once `min_size_to_sample` transitions are in.
  static RateLimiterOptions SampleToInsertRatio(double samples_per_insert,
                                                uint64_t min_size_to_sample, double error_buffer);
};

class RateLimiter {
 public:
  // INVALID_ARGUMENT for options that could deadlock or make no sense: samples_per_insert <= 0,
  // min_diff > max_diff, or max_diff < min_size_to_sample * samples_per_insert (inserts would
  // stop before sampling may start).
  static absl::Status Validate(const RateLimiterOptions& options);

  // `options` must be valid.
  explicit RateLimiter(const RateLimiterOptions& options);

  bool CanInsert() const { return Diff() <= options_.max_diff; }
  bool CanSample(uint64_t batch, uint64_t table_size) const {
    return table_size >= options_.min_size_to_sample && table_size > 0 &&
           Diff() - static_cast<double>(batch) >= options_.min_diff;
  }
  void Inserted(uint64_t transitions) { inserted_ += transitions; }
  void Sampled(uint64_t transitions) { sampled_ += transitions; }

  // After recovery: `transitions` count as inserted and the cursor starts at min(diff,
  // max_diff), so the shard accepts inserts at once and samplers may draw the recovered data.
  void Restore(uint64_t transitions);

  // Blocked-time bookkeeping: call with whether an operation is waiting on the limiter.
  void SetInsertsBlocked(bool blocked, absl::Time now);
  void SetSamplesBlocked(bool blocked, absl::Time now);
  double insert_blocked_seconds(absl::Time now) const;
  double sample_blocked_seconds(absl::Time now) const;

  v1::RateLimiterInfo Info(absl::Time now) const;
  const RateLimiterOptions& options() const { return options_; }

 private:
  double Diff() const {
    return static_cast<double>(inserted_) * options_.samples_per_insert -
           static_cast<double>(sampled_);
  }

  RateLimiterOptions options_;
  uint64_t inserted_ = 0;
  uint64_t sampled_ = 0;
  absl::Time insert_blocked_since_ = absl::InfiniteFuture();  // InfiniteFuture = not blocked
  absl::Time sample_blocked_since_ = absl::InfiniteFuture();
  absl::Duration insert_blocked_ = absl::ZeroDuration();
  absl::Duration sample_blocked_ = absl::ZeroDuration();
};

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_RATE_LIMITER_H_
