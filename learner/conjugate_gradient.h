// Conjugate gradient for A x = b with A symmetric positive definite, given only the product
// v -> A v (rllab's `cg`, as TRPO uses it with A = the Fisher matrix).
#ifndef MBRL_LEARNER_CONJUGATE_GRADIENT_H_
#define MBRL_LEARNER_CONJUGATE_GRADIENT_H_

#include <ATen/core/Tensor.h>

#include <functional>

namespace mbrl::learner {

struct ConjugateGradientResult {
  at::Tensor solution;               // x, shaped like b
  int iterations = 0;                // products computed
  double residual_norm_squared = 0;  // |b - A x|^2 as tracked by the recursion
};

// Runs at most `iterations` steps from x = 0, stopping early once the squared residual falls
// below `residual_tolerance`. `matrix_vector` must not record autograd history into x.
ConjugateGradientResult ConjugateGradient(
    const std::function<at::Tensor(const at::Tensor&)>& matrix_vector, const at::Tensor& b,
    int iterations, double residual_tolerance = 1e-10);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_CONJUGATE_GRADIENT_H_
