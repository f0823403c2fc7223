// Named parameter lists: the flat-vector view the optimizers use (TRPO, CG) and the
// ParameterSet proto (mbrl.v1) that snapshots and checkpoints carry.
//
// Learner modules (ensembles, policies) keep their parameters as an ordered list of tensors
// with a parallel list of names ("layers.0.weight", ...). Thread-compatible free functions.
#ifndef MBRL_LEARNER_PARAMETERS_H_
#define MBRL_LEARNER_PARAMETERS_H_

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "mbrl/v1/snapshot.pb.h"

namespace mbrl::learner {

// Total number of elements of `tensors`.
int64_t TotalElements(absl::Span<const at::Tensor> tensors);

// The 1-D concatenation of `tensors` (flattened in order). Differentiable; a new tensor.
at::Tensor Flatten(absl::Span<const at::Tensor> tensors);

// Splits the 1-D `flat` into tensors shaped like `like` (views into `flat`, in order).
// Precondition (checked, aborts): flat.numel() == TotalElements(like).
std::vector<at::Tensor> UnflattenLike(const at::Tensor& flat, absl::Span<const at::Tensor> like);

// Copies `source` into `targets` element-wise without recording autograd history.
// Precondition (checked): same count and shapes.
void AssignTensors(absl::Span<const at::Tensor> source, absl::Span<const at::Tensor> targets);

// Detached copies of `tensors` (no autograd history, independent storage).
std::vector<at::Tensor> CloneDetached(absl::Span<const at::Tensor> tensors);

// Appends one NamedTensor per (name, tensor) to `out`. INVALID_ARGUMENT if the lists differ in
// length or a dtype has no wire encoding.
absl::Status WriteParameterSet(absl::Span<const std::string> names,
                               absl::Span<const at::Tensor> tensors, v1::ParameterSet* out);

// Copies `set` into `targets` in place (no autograd history). `set` must hold exactly the
// names `names` (any order), each with the target's shape and dtype and only finite values;
// otherwise INVALID_ARGUMENT naming the offending tensor, and no target is changed.
absl::Status ReadParameterSet(const v1::ParameterSet& set, absl::Span<const std::string> names,
                              absl::Span<const at::Tensor> targets);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_PARAMETERS_H_
