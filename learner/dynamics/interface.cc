#include "learner/dynamics/interface.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "c10/util/Exception.h"

namespace mbrl::learner {
namespace {

absl::Status CheckField(const at::Tensor& tensor, const char* name, int64_t rows, int64_t cols) {
  if (!tensor.defined()) return absl::InvalidArgumentError(absl::StrCat(name, ": missing"));
  if (tensor.scalar_type() != at::kFloat || tensor.dim() != 2 || tensor.size(0) != rows ||
      tensor.size(1) != cols) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": expected float32 [", rows, ", ", cols,
                                                   "], got ", c10::toString(tensor.scalar_type()),
                                                   " ", c10::str(tensor.sizes())));
  }
  if (!at::isfinite(tensor).all().item<bool>()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": has NaN or infinite values"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTransitions(const TransitionData& data, int64_t observation_dim,
                                 int64_t action_dim, int64_t min_rows) {
  const int64_t rows = data.size();
  if (rows < min_rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("need at least ", min_rows, " transitions, got ", rows));
  }
  if (absl::Status s = CheckField(data.observations, "observations", rows, observation_dim);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckField(data.actions, "actions", rows, action_dim); !s.ok()) return s;
  return CheckField(data.next_observations, "next_observations", rows, observation_dim);
}

}  // namespace mbrl::learner
