#include "learner/conjugate_gradient.h"

#include <ATen/ATen.h>

namespace mbrl::learner {

ConjugateGradientResult ConjugateGradient(
    const std::function<at::Tensor(const at::Tensor&)>& matrix_vector, const at::Tensor& b,
    int iterations, double residual_tolerance) {
  at::Tensor p = b.detach().clone();
  at::Tensor r = b.detach().clone();
  at::Tensor x = at::zeros_like(p);
  double r_dot_r = r.dot(r).item<double>();
  ConjugateGradientResult result;
  for (int i = 0; i < iterations && r_dot_r >= residual_tolerance; ++i) {
    const at::Tensor z = matrix_vector(p).detach();
    ++result.iterations;
    const double step = r_dot_r / p.dot(z).item<double>();
    x.add_(p, step);
    r.sub_(z, step);
    const double new_r_dot_r = r.dot(r).item<double>();
    p = r + (new_r_dot_r / r_dot_r) * p;
    r_dot_r = new_r_dot_r;
  }
  result.solution = x;
  result.residual_norm_squared = r_dot_r;
  return result;
}

}  // namespace mbrl::learner
