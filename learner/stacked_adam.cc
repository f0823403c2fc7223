#include "learner/stacked_adam.h"

#include <ATen/ATen.h>

#include <utility>

#include "common/logging.h"

namespace mbrl::learner {
namespace {

// Reshapes a [members] tensor to broadcast against a [members, ...] parameter.
at::Tensor PerMember(const at::Tensor& values, const at::Tensor& like) {
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = like.size(0);
  return values.view(shape);
}

}  // namespace

StackedAdam::StackedAdam(std::vector<at::Tensor> parameters, int64_t members, AdamOptions options)
    : parameters_(std::move(parameters)), members_(members), options_(options) {
  for (const at::Tensor& parameter : parameters_) {
    MBRL_CHECK(parameter.dim() >= 1 && parameter.size(0) == members_)
        << "parameter of shape " << parameter.sizes() << " for " << members_ << " members";
  }
  Reset();
}

void StackedAdam::Reset() {
  first_moments_.clear();
  second_moments_.clear();
  for (const at::Tensor& parameter : parameters_) {
    first_moments_.push_back(at::zeros_like(parameter).detach());
    second_moments_.push_back(at::zeros_like(parameter).detach());
  }
  steps_ = at::zeros({members_}, at::kLong);
}

std::vector<at::Tensor> StackedAdam::StateTensors() const {
  std::vector<at::Tensor> state = first_moments_;
  state.insert(state.end(), second_moments_.begin(), second_moments_.end());
  state.push_back(steps_);
  return state;
}

void StackedAdam::Step(const at::Tensor& active) {
  MBRL_CHECK(active.scalar_type() == at::kBool && active.numel() == members_)
      << "active must be bool [" << members_ << "]";
  at::NoGradGuard no_grad;
  steps_ += active.to(at::kLong);
  // Per-member coefficients that leave a frozen member exactly as it is: its moments decay by
  // 1 and gain 0, and its parameters move by 0. A member that never stepped keeps t = 1 so
  // nothing divides by zero.
  const at::Tensor on = active.to(at::kFloat);
  const at::Tensor t = steps_.clamp_min(1).to(at::kDouble);
  const at::Tensor decay1 = 1 - on * (1 - options_.beta1);
  const at::Tensor gain1 = on * (1 - options_.beta1);
  const at::Tensor decay2 = 1 - on * (1 - options_.beta2);
  const at::Tensor gain2 = on * (1 - options_.beta2);
  const at::Tensor correction2 = (1 - at::pow(options_.beta2, t)).to(at::kFloat);
  const at::Tensor step_size =
      on * (options_.learning_rate / (1 - at::pow(options_.beta1, t))).to(at::kFloat);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    at::Tensor& parameter = parameters_[i];
    const at::Tensor grad = parameter.grad();
    if (!grad.defined()) continue;
    at::Tensor& m = first_moments_[i];
    at::Tensor& v = second_moments_[i];
    m.mul_(PerMember(decay1, parameter)).addcmul_(grad, PerMember(gain1, parameter));
    v.mul_(PerMember(decay2, parameter)).addcmul_(grad * PerMember(gain2, parameter), grad);
    const at::Tensor denominator =
        (v / PerMember(correction2, parameter)).sqrt_().add_(options_.epsilon);
    parameter.addcdiv_(m * PerMember(-step_size, parameter), denominator);
  }
}

}  // namespace mbrl::learner
