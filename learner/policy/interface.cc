#include "learner/policy/interface.h"

#include <ATen/ATen.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "learner/parameters.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

bool IsBatchedParameters(const Policy& policy, absl::Span<const at::Tensor> params) {
  return !params.empty() && params[0].dim() == policy.parameters()[0].dim() + 1;
}

at::Tensor Act(const Policy& policy, absl::Span<const at::Tensor> params,
               const at::Tensor& observations, at::Generator* generator) {
  at::NoGradGuard no_grad;
  const DiagGaussian distribution = policy.Distribution(params, observations);
  return generator == nullptr ? distribution.mean : distribution.Sample(*generator);
}

absl::Status WritePolicySnapshot(const Policy& policy, absl::Span<const at::Tensor> adapted,
                                 v1::PolicySnapshot* snapshot) {
  return CallTorch("WritePolicySnapshot", [&]() -> absl::Status {
    MBRL_RETURN_IF_ERROR(
        WriteParameterSet(policy.parameter_names(), policy.parameters(), snapshot->mutable_meta()));
    snapshot->clear_adapted();
    if (adapted.empty()) return absl::OkStatus();
    if (!IsBatchedParameters(policy, adapted) || adapted.size() != policy.parameters().size()) {
      return absl::InvalidArgumentError("adapted parameters need a leading task dimension");
    }
    const int64_t tasks = adapted[0].size(0);
    for (int64_t task = 0; task < tasks; ++task) {
      std::vector<at::Tensor> one;
      for (const at::Tensor& tensor : adapted) one.push_back(tensor.select(0, task));
      MBRL_RETURN_IF_ERROR(
          WriteParameterSet(policy.parameter_names(), one, snapshot->add_adapted()));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<at::Tensor>> ReadPolicySnapshot(const v1::PolicySnapshot& snapshot,
                                                           const Policy& policy) {
  return CallTorch("ReadPolicySnapshot", [&]() -> absl::StatusOr<std::vector<at::Tensor>> {
    const std::vector<at::Tensor>& theta = policy.parameters();
    // Decode the adapted policies into fresh tensors first, so an error changes nothing.
    std::vector<std::vector<at::Tensor>> per_task;
    for (int task = 0; task < snapshot.adapted_size(); ++task) {
      std::vector<at::Tensor> one;
      for (const at::Tensor& tensor : theta) one.push_back(at::empty_like(tensor.detach()));
      if (absl::Status status =
              ReadParameterSet(snapshot.adapted(task), policy.parameter_names(), one);
          !status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("adapted policy ", task, ": ", status.message()));
      }
      per_task.push_back(std::move(one));
    }
    // Validate meta into scratch tensors, then copy.
    std::vector<at::Tensor> meta;
    for (const at::Tensor& tensor : theta) meta.push_back(at::empty_like(tensor.detach()));
    MBRL_RETURN_IF_ERROR(ReadParameterSet(snapshot.meta(), policy.parameter_names(), meta));
    AssignTensors(meta, theta);
    std::vector<at::Tensor> adapted;
    if (!per_task.empty()) {
      for (size_t i = 0; i < theta.size(); ++i) {
        std::vector<at::Tensor> slices;
        for (const auto& one : per_task) slices.push_back(one[i]);
        adapted.push_back(at::stack(slices));
      }
    }
    return adapted;
  });
}

}  // namespace mbrl::learner
