#include "learner/linear_baseline.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

LinearFeatureBaseline::LinearFeatureBaseline(double regularization)
    : regularization_(regularization) {}

at::Tensor LinearFeatureBaseline::Features(const at::Tensor& observations) {
  const int64_t n = observations.size(0);
  const int64_t horizon = observations.size(1);
  const at::Tensor o = observations.to(at::kDouble).clamp(-10, 10);
  const at::Tensor t =
      (at::arange(horizon, at::kDouble) / 100.0).view({1, horizon, 1}).expand({n, horizon, 1});
  return at::cat({o, o.square(), t, t.square(), t.pow(3), at::ones_like(t)}, 2);
}

absl::Status LinearFeatureBaseline::Fit(const at::Tensor& observations, const at::Tensor& returns,
                                        const at::Tensor& mask) {
  if (observations.dim() != 3 || returns.dim() != 2 || mask.sizes() != returns.sizes() ||
      observations.size(0) != returns.size(0) || observations.size(1) != returns.size(1)) {
    return absl::InvalidArgumentError(
        "LinearFeatureBaseline::Fit: need observations [N, H, d], returns and mask [N, H]");
  }
  return CallTorch("LinearFeatureBaseline::Fit", [&]() -> absl::Status {
    at::NoGradGuard no_grad;
    const at::Tensor valid = mask.reshape({-1}) > 0;
    if (!valid.any().item<bool>()) {
      return absl::InvalidArgumentError("LinearFeatureBaseline::Fit: no valid step");
    }
    const at::Tensor all_features = Features(observations);
    const at::Tensor features = all_features.reshape({-1, all_features.size(2)}).index({valid});
    const at::Tensor targets = returns.reshape({-1}).to(at::kDouble).index({valid});
    const at::Tensor gram = at::matmul(features.t(), features);
    const at::Tensor rhs = at::matmul(features.t(), targets).unsqueeze(1);
    const at::Tensor eye = at::eye(gram.size(0), at::kDouble);
    double regularization = regularization_;
    for (int attempt = 0; attempt < 5; ++attempt, regularization *= 10) {
      const at::Tensor solution =
          std::get<0>(at::linalg_lstsq(gram + regularization * eye, rhs)).squeeze(1);
      if (at::isfinite(solution).all().item<bool>()) {
        coefficients_ = solution;
        return absl::OkStatus();
      }
    }
    return absl::FailedPreconditionError(
        absl::StrCat("LinearFeatureBaseline::Fit: no finite solution up to regularization ",
                     regularization / 10));
  });
}

at::Tensor LinearFeatureBaseline::Predict(const at::Tensor& observations) const {
  at::NoGradGuard no_grad;
  if (!coefficients_.defined()) {
    return at::zeros({observations.size(0), observations.size(1)}, at::kFloat);
  }
  return at::matmul(Features(observations), coefficients_).to(at::kFloat);
}

}  // namespace mbrl::learner
