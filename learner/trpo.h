// Policy optimizers on parameter lists: the vanilla policy-gradient step, Fisher-vector
// products through the KL Hessian, and the TRPO step (Schulman et al. 2015, rllab's
// ConjugateGradientOptimizer): natural-gradient direction by conjugate gradient, scaled to the
// KL bound, then a backtracking line search that accepts the first step that improves the
// surrogate and satisfies the KL bound (otherwise the parameters are left unchanged).
//
// The objective and the constraint come from one closure that recomputes both from the current
// parameters, so the same step serves ME-TRPO (surrogate of theta) and MB-MPO's outer step
// (surrogate of theta'_k(theta), differentiating through the inner step, which both terms
// share).
#ifndef MBRL_LEARNER_TRPO_H_
#define MBRL_LEARNER_TRPO_H_

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "learner/policy/interface.h"
#include "learner/policy_batch.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::learner {

// theta + learning_rate * grad objective(theta), one tensor per parameter. With
// `create_graph` the result stays differentiable in `params` (second-order MAML); otherwise
// the gradient is detached (the result still depends on params through the identity term).
std::vector<at::Tensor> PolicyGradientStep(const at::Tensor& objective,
                                           absl::Span<const at::Tensor> params,
                                           double learning_rate, bool create_graph);

// Fisher-vector products F v + damping * v, F the Hessian of a KL at `params` (evaluated once
// on construction with create_graph). Each call is one more backward pass.
class FisherVectorProduct {
 public:
  FisherVectorProduct(const at::Tensor& kl, absl::Span<const at::Tensor> params, double damping);
  at::Tensor operator()(const at::Tensor& vector) const;

 private:
  std::vector<at::Tensor> params_;
  at::Tensor flat_kl_gradient_;
  double damping_;
};

struct TrpoOptions {
  double max_kl = 0.01;
  int cg_iterations = 10;
  double cg_damping = 1e-5;
  double backtrack_ratio = 0.8;
  int max_backtracks = 15;
  // Fisher-vector products on every fisher_stride-th step slot (TrpoTerms::fisher_kl).
  int64_t fisher_stride = 1;

  static TrpoOptions FromConfig(const v1::TrpoConfig& config);
};

struct TrpoReport {
  double surrogate_before = 0;
  double surrogate_after = 0;
  double kl = 0;  // of the accepted step (0 if rejected)
  int backtracks = 0;
  bool accepted = false;
};

// The two scalars a TRPO step needs, at the current parameters.
struct TrpoTerms {
  at::Tensor surrogate;  // to maximize
  at::Tensor kl;         // mean KL from the pre-step policy (0 with zero gradient before it)
  // Optional: the same KL on a subset of the samples, whose Hessian the Fisher-vector products
  // use instead of kl's (TrpoOptions::fisher_stride); only needed from evaluate(true).
  at::Tensor fisher_kl;
};

// The terms of a policy's TRPO step on `batch` at `params`: SurrogateObjective and MeanKl, and,
// when `differentiable` and fisher_stride > 1, fisher_kl = MeanKl on every fisher_stride-th slot
// (StrideSlots).
TrpoTerms PolicyTrpoTerms(const Policy& policy, absl::Span<const at::Tensor> params,
                          const PolicyBatch& batch, int64_t fisher_stride, bool differentiable);

// One TRPO step on `params` (leaf tensors, updated in place). `evaluate(true)` must return
// terms differentiable in `params` (called once, autograd enabled); the line search calls
// `evaluate(false)` under a no-grad guard for values only (a closure that needs autograd
// inside, like MB-MPO's inner step, enables it itself). Returns without a step (accepted =
// false, parameters unchanged) when the gradient or the natural-gradient direction vanishes
// or no backtracked step improves the surrogate within the KL bound. INTERNAL if LibTorch
// fails (parameters restored).
absl::StatusOr<TrpoReport> TrpoStep(absl::Span<const at::Tensor> params,
                                    const std::function<TrpoTerms(bool differentiable)>& evaluate,
                                    const TrpoOptions& options);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_TRPO_H_
