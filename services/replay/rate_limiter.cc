#include "services/replay/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace mbrl::replay {

RateLimiterOptions RateLimiterOptions::SampleToInsertRatio(double samples_per_insert,
                                                           uint64_t min_size_to_sample,
                                                           double error_buffer) {
  RateLimiterOptions options;
  options.samples_per_insert = samples_per_insert;
  options.min_size_to_sample = min_size_to_sample;
  const double offset = samples_per_insert * static_cast<double>(min_size_to_sample);
  options.min_diff = offset - error_buffer;
  options.max_diff = offset + error_buffer;
  return options;
}

absl::Status RateLimiter::Validate(const RateLimiterOptions& options) {
  if (!(options.samples_per_insert > 0) || std::isinf(options.samples_per_insert)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "samples_per_insert must be finite and > 0, got ", options.samples_per_insert));
  }
  if (std::isnan(options.min_diff) || std::isnan(options.max_diff) ||
      options.min_diff > options.max_diff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_diff (", options.min_diff, ") must be <= max_diff (", options.max_diff, ")"));
  }
  const double needed =
      options.samples_per_insert * static_cast<double>(options.min_size_to_sample);
  if (options.max_diff < needed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_diff (", options.max_diff, ") < min_size_to_sample * samples_per_insert (", needed,
        "): inserts would stop before sampling may start"));
  }
  return absl::OkStatus();
}

RateLimiter::RateLimiter(const RateLimiterOptions& options) : options_(options) {}

void RateLimiter::Restore(uint64_t transitions) {
  inserted_ = transitions;
  const double diff = Diff();
  sampled_ = diff > options_.max_diff && std::isfinite(options_.max_diff)
                 ? static_cast<uint64_t>(std::ceil(diff - options_.max_diff))
                 : 0;
}

void RateLimiter::SetInsertsBlocked(bool blocked, absl::Time now) {
  const bool was_blocked = insert_blocked_since_ != absl::InfiniteFuture();
  if (blocked && !was_blocked) insert_blocked_since_ = now;
  if (!blocked && was_blocked) {
    insert_blocked_ += now - insert_blocked_since_;
    insert_blocked_since_ = absl::InfiniteFuture();
  }
}

void RateLimiter::SetSamplesBlocked(bool blocked, absl::Time now) {
  const bool was_blocked = sample_blocked_since_ != absl::InfiniteFuture();
  if (blocked && !was_blocked) sample_blocked_since_ = now;
  if (!blocked && was_blocked) {
    sample_blocked_ += now - sample_blocked_since_;
    sample_blocked_since_ = absl::InfiniteFuture();
  }
}

double RateLimiter::insert_blocked_seconds(absl::Time now) const {
  absl::Duration total = insert_blocked_;
  if (insert_blocked_since_ != absl::InfiniteFuture()) total += now - insert_blocked_since_;
  return absl::ToDoubleSeconds(total);
}

double RateLimiter::sample_blocked_seconds(absl::Time now) const {
  absl::Duration total = sample_blocked_;
  if (sample_blocked_since_ != absl::InfiniteFuture()) total += now - sample_blocked_since_;
  return absl::ToDoubleSeconds(total);
}

v1::RateLimiterInfo RateLimiter::Info(absl::Time now) const {
  v1::RateLimiterInfo info;
  info.set_samples_per_insert(options_.samples_per_insert);
  info.set_min_diff(options_.min_diff);
  info.set_max_diff(options_.max_diff);
  info.set_min_size_to_sample(options_.min_size_to_sample);
  info.set_inserts_blocked(insert_blocked_since_ != absl::InfiniteFuture());
  info.set_samples_blocked(sample_blocked_since_ != absl::InfiniteFuture());
  info.set_blocked_seconds_total(insert_blocked_seconds(now) + sample_blocked_seconds(now));
  return info;
}

}  // namespace mbrl::replay
