#include "learner/policy/diag_gaussian.h"

#include <ATen/ATen.h>

#include <cmath>

namespace mbrl::learner {
namespace {
constexpr double kLogTwoPi = 1.8378770664093453;  // log(2 pi)
}  // namespace

at::Tensor DiagGaussian::LogProb(const at::Tensor& actions) const {
  const at::Tensor z = (actions - mean) * at::exp(-log_std);
  const at::Tensor per_dim = -0.5 * z.square() - log_std - 0.5 * kLogTwoPi;
  return per_dim.sum(-1);
}

at::Tensor DiagGaussian::Entropy() const {
  return (log_std + 0.5 * (kLogTwoPi + 1.0)).expand_as(mean).sum(-1);
}

at::Tensor DiagGaussian::Sample(at::Generator& generator) const {
  at::NoGradGuard no_grad;
  return mean + at::exp(log_std) * at::randn(mean.sizes(), generator, mean.options());
}

at::Tensor KlDivergence(const DiagGaussian& p, const DiagGaussian& q) {
  const at::Tensor p_var = at::exp(2 * p.log_std);
  const at::Tensor q_var = at::exp(2 * q.log_std);
  const at::Tensor per_dim =
      q.log_std - p.log_std + (p_var + (p.mean - q.mean).square()) / (2 * q_var) - 0.5;
  return per_dim.sum(-1);
}

}  // namespace mbrl::learner
