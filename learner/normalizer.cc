#include "learner/normalizer.h"

#include <ATen/ATen.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor_codec.h"

namespace mbrl::learner {

Normalizer::Normalizer(at::Tensor mean, at::Tensor std, uint64_t count)
    : mean_(std::move(mean)), std_(std::move(std)), count_(count) {}

Normalizer Normalizer::Identity(int64_t features) {
  return Normalizer(at::zeros({features}, at::kFloat), at::ones({features}, at::kFloat), 0);
}

absl::StatusOr<Normalizer> Normalizer::Fit(const at::Tensor& data) {
  if (!data.defined() || data.dim() != 2 || data.size(0) < 1 || !data.is_floating_point()) {
    return absl::InvalidArgumentError("normalizer data must be a float [N >= 1, features] tensor");
  }
  at::NoGradGuard no_grad;
  const at::Tensor rows = data.to(at::kDouble);
  if (!at::isfinite(rows).all().item<bool>()) {
    return absl::InvalidArgumentError("normalizer data has NaN or infinite values");
  }
  const at::Tensor mean = rows.mean(0);
  const at::Tensor std = rows.std(0, /*unbiased=*/false).clamp_min(kMinStd);
  return Normalizer(mean.to(at::kFloat), std.to(at::kFloat), static_cast<uint64_t>(data.size(0)));
}

absl::StatusOr<Normalizer> Normalizer::FromProto(const v1::NormalizerStats& stats,
                                                 int64_t features) {
  MBRL_ASSIGN_OR_RETURN(at::Tensor mean,
                        CheckedTensorView(stats.mean(), "mean", v1::DTYPE_FLOAT32, {features}));
  MBRL_ASSIGN_OR_RETURN(at::Tensor std,
                        CheckedTensorView(stats.std(), "std", v1::DTYPE_FLOAT32, {features}));
  if (!at::isfinite(mean).all().item<bool>() || !at::isfinite(std).all().item<bool>()) {
    return absl::InvalidArgumentError("normalizer statistics have NaN or infinite values");
  }
  if (!(std > 0).all().item<bool>()) {
    return absl::InvalidArgumentError("normalizer std has entries <= 0");
  }
  return Normalizer(mean.clone(), std.clone(), stats.count());
}

absl::Status Normalizer::ToProto(v1::NormalizerStats* stats) const {
  MBRL_RETURN_IF_ERROR(ToTensorProto(mean_, stats->mutable_mean()));
  MBRL_RETURN_IF_ERROR(ToTensorProto(std_, stats->mutable_std()));
  stats->set_count(count_);
  return absl::OkStatus();
}

at::Tensor Normalizer::Normalize(const at::Tensor& x) const { return (x - mean_) / std_; }

at::Tensor Normalizer::Denormalize(const at::Tensor& x) const { return x * std_ + mean_; }

int64_t Normalizer::features() const { return mean_.size(0); }

}  // namespace mbrl::learner
