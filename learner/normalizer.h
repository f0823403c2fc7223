// Per-feature standardization (x - mean) / std, as the dynamics models use for their inputs
// and targets, with the NormalizerStats proto for snapshots.
//
// Immutable after construction; thread-safe.
#ifndef MBRL_LEARNER_NORMALIZER_H_
#define MBRL_LEARNER_NORMALIZER_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "mbrl/v1/snapshot.pb.h"

namespace mbrl::learner {

class Normalizer {
 public:
  // Standard deviations are floored at this value, so constant features normalize to 0
  // instead of dividing by zero.
  static constexpr double kMinStd = 1e-6;

  // mean 0, std 1 over `features` features (float32).
  static Normalizer Identity(int64_t features);

  // Mean and (population) standard deviation of the rows of `data` (float [N, features],
  // N >= 1, finite). INVALID_ARGUMENT otherwise.
  static absl::StatusOr<Normalizer> Fit(const at::Tensor& data);

  // From snapshot statistics: `features` entries each, finite, std > 0; INVALID_ARGUMENT
  // otherwise.
  static absl::StatusOr<Normalizer> FromProto(const v1::NormalizerStats& stats, int64_t features);
  absl::Status ToProto(v1::NormalizerStats* stats) const;

  // (x - mean) / std and its inverse, over the last dimension of `x` (any leading shape).
  at::Tensor Normalize(const at::Tensor& x) const;
  at::Tensor Denormalize(const at::Tensor& x) const;

  const at::Tensor& mean() const { return mean_; }  // float32 [features]
  const at::Tensor& std() const { return std_; }    // float32 [features]
  uint64_t count() const { return count_; }
  int64_t features() const;

 private:
  Normalizer(at::Tensor mean, at::Tensor std, uint64_t count);

  at::Tensor mean_;
  at::Tensor std_;
  uint64_t count_ = 0;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_NORMALIZER_H_
