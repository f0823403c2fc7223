// rllab's LinearFeatureBaseline (used by MB-MPO and RLlib's MBMPO): a ridge regression of the
// discounted returns on per-step features
//   [clip(o, -10, 10), clip(o, -10, 10)^2, t/100, (t/100)^2, (t/100)^3, 1],
// t the step index within the trajectory. The fit solves (F'F + c I) w = F'R in float64 with
// c = 1e-5, multiplying c by 10 (up to 5 tries) while the solution is not finite.
//
// Not thread-safe (Fit mutates); Predict is const.
#ifndef MBRL_LEARNER_LINEAR_BASELINE_H_
#define MBRL_LEARNER_LINEAR_BASELINE_H_

#include <ATen/core/Tensor.h>

#include "absl/status/status.h"

namespace mbrl::learner {

class LinearFeatureBaseline {
 public:
  explicit LinearFeatureBaseline(double regularization = 1e-5);

  // Features of observations [N, H, obs_dim] (step t of each row at index t): float64
  // [N, H, 2 * obs_dim + 4].
  static at::Tensor Features(const at::Tensor& observations);

  // Fits on the steps where mask [N, H] is 1. observations [N, H, obs_dim], returns [N, H].
  // INVALID_ARGUMENT for inconsistent shapes or no valid step; FAILED_PRECONDITION if the
  // solution stays non-finite after the regularization escalation (the old fit is kept).
  absl::Status Fit(const at::Tensor& observations, const at::Tensor& returns,
                   const at::Tensor& mask);

  // Predicted returns, float32 [N, H] (zeros before the first Fit).
  at::Tensor Predict(const at::Tensor& observations) const;

  // float64 [2 * obs_dim + 4], undefined before the first Fit.
  const at::Tensor& coefficients() const { return coefficients_; }

 private:
  double regularization_;
  at::Tensor coefficients_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_LINEAR_BASELINE_H_
