// Discounted returns and generalized advantage estimation (Schulman et al. 2016) over padded
// trajectories [N, H]: `mask` is 1 for the steps a trajectory took (a prefix of each row) and
// 0 for padding. Nothing is bootstrapped past a trajectory's last step (the value there is 0,
// whether it terminated or hit the horizon), as rllab and MB-MPO do. Outputs are 0 in padding.
#ifndef MBRL_LEARNER_RETURNS_H_
#define MBRL_LEARNER_RETURNS_H_

#include <ATen/core/Tensor.h>

namespace mbrl::learner {

// R_t = sum_{u >= t} discount^(u - t) r_u, [N, H].
at::Tensor DiscountedReturns(const at::Tensor& rewards, const at::Tensor& mask, double discount);

// A_t = sum_{u >= t} (discount * lambda)^(u - t) delta_u, with
// delta_u = r_u + discount * V_{u+1} - V_u and V = 0 after the last step, [N, H].
// `values` [N, H] are the baseline's predictions.
at::Tensor GeneralizedAdvantages(const at::Tensor& rewards, const at::Tensor& values,
                                 const at::Tensor& mask, double discount, double lambda);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_RETURNS_H_
