// A diagonal Gaussian over actions, the distribution of every policy here: log-probabilities,
// entropy, sampling and the KL divergence that TRPO constrains.
#ifndef MBRL_LEARNER_POLICY_DIAG_GAUSSIAN_H_
#define MBRL_LEARNER_POLICY_DIAG_GAUSSIAN_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace mbrl::learner {

// Every function is differentiable in mean and log_std and reduces over the last (action)
// dimension; leading dimensions broadcast.
struct DiagGaussian {
  at::Tensor mean;     // [..., act_dim]
  at::Tensor log_std;  // broadcastable to mean

  // log N(actions; mean, exp(log_std)^2), [...].
  at::Tensor LogProb(const at::Tensor& actions) const;
  // Differential entropy, [...] (shaped like mean without its last dimension).
  at::Tensor Entropy() const;
  // mean + exp(log_std) * eps, eps ~ N(0, I) from `generator`; no autograd history.
  at::Tensor Sample(at::Generator& generator) const;
};

// KL(p || q), [...].
at::Tensor KlDivergence(const DiagGaussian& p, const DiagGaussian& q);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_POLICY_DIAG_GAUSSIAN_H_
