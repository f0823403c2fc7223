#include "learner/returns.h"

#include <ATen/ATen.h>

namespace mbrl::learner {

at::Tensor DiscountedReturns(const at::Tensor& rewards, const at::Tensor& mask, double discount) {
  const int64_t horizon = rewards.size(1);
  const at::Tensor masked = rewards * mask;
  at::Tensor returns = at::zeros_like(masked);
  at::Tensor next = at::zeros({rewards.size(0)}, masked.options());
  for (int64_t t = horizon - 1; t >= 0; --t) {
    next = masked.select(1, t) + discount * next;
    returns.select(1, t).copy_(next);
  }
  return returns * mask;
}

at::Tensor GeneralizedAdvantages(const at::Tensor& rewards, const at::Tensor& values,
                                 const at::Tensor& mask, double discount, double lambda) {
  const int64_t horizon = rewards.size(1);
  const at::Tensor masked_values = values * mask;
  // V_{t+1}, 0 past the end of each trajectory (mask is a prefix, so padding values are 0).
  const at::Tensor next_values = at::cat(
      {masked_values.narrow(1, 1, horizon - 1), at::zeros_like(masked_values.narrow(1, 0, 1))}, 1);
  const at::Tensor deltas = (rewards + discount * next_values - masked_values) * mask;
  at::Tensor advantages = at::zeros_like(deltas);
  at::Tensor next = at::zeros({rewards.size(0)}, deltas.options());
  for (int64_t t = horizon - 1; t >= 0; --t) {
    next = deltas.select(1, t) + discount * lambda * next;
    advantages.select(1, t).copy_(next);
  }
  return advantages * mask;
}

}  // namespace mbrl::learner
