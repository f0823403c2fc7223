// Adam (Kingma & Ba 2015, PyTorch's form) over parameters whose first dimension indexes the
// members of an ensemble. Each member has its own step count, and members can be frozen: a
// frozen member's parameters, moments and step count do not change, which is what per-member
// early stopping needs (a stopped member must not drift on Adam's momentum).
//
// Not thread-safe: one trainer owns an instance.
#ifndef MBRL_LEARNER_STACKED_ADAM_H_
#define MBRL_LEARNER_STACKED_ADAM_H_

#include <ATen/core/Tensor.h>

#include <vector>

namespace mbrl::learner {

struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

class StackedAdam {
 public:
  // `parameters` are leaf tensors of shape [members, ...] (updated in place).
  // Precondition (checked): every parameter's first dimension is `members`.
  StackedAdam(std::vector<at::Tensor> parameters, int64_t members, AdamOptions options);

  // One Adam update from each parameter's .grad() for the members where `active`
  // (bool [members]) is true. Parameters without a gradient are skipped (as torch.optim.Adam
  // does). Does not clear the gradients.
  void Step(const at::Tensor& active);

  // Forgets the moments and step counts (e.g. after re-initialising the weights).
  void Reset();

  // Adam steps taken by each member (int64 [members]).
  const at::Tensor& steps() const { return steps_; }

  // The optimizer's whole state, for checkpoints: the first moments of every parameter (in
  // parameter order), then the second moments, then the step counts. These are the live
  // tensors: copying values into them (without autograd) restores a saved state.
  std::vector<at::Tensor> StateTensors() const;

 private:
  std::vector<at::Tensor> parameters_;
  std::vector<at::Tensor> first_moments_;
  std::vector<at::Tensor> second_moments_;
  at::Tensor steps_;
  int64_t members_;
  AdamOptions options_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_STACKED_ADAM_H_
