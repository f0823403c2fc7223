#include "learner/parameters.h"

#include <ATen/ATen.h>

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/tensor_codec.h"
#include "common/tensor_proto.h"

namespace mbrl::learner {

int64_t TotalElements(absl::Span<const at::Tensor> tensors) {
  int64_t total = 0;
  for (const at::Tensor& tensor : tensors) total += tensor.numel();
  return total;
}

at::Tensor Flatten(absl::Span<const at::Tensor> tensors) {
  std::vector<at::Tensor> pieces;
  pieces.reserve(tensors.size());
  for (const at::Tensor& tensor : tensors) pieces.push_back(tensor.reshape({-1}));
  return at::cat(pieces);
}

std::vector<at::Tensor> UnflattenLike(const at::Tensor& flat, absl::Span<const at::Tensor> like) {
  MBRL_CHECK(flat.dim() == 1 && flat.numel() == TotalElements(like))
      << "flat vector of " << flat.numel() << " elements for " << TotalElements(like);
  std::vector<at::Tensor> out;
  out.reserve(like.size());
  int64_t offset = 0;
  for (const at::Tensor& shape_of : like) {
    out.push_back(flat.narrow(0, offset, shape_of.numel()).view(shape_of.sizes()));
    offset += shape_of.numel();
  }
  return out;
}

void AssignTensors(absl::Span<const at::Tensor> source, absl::Span<const at::Tensor> targets) {
  MBRL_CHECK(source.size() == targets.size()) << source.size() << " vs " << targets.size();
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < source.size(); ++i) {
    MBRL_CHECK(source[i].sizes() == targets[i].sizes()) << "tensor " << i;
    at::Tensor target = targets[i];
    target.copy_(source[i]);
  }
}

std::vector<at::Tensor> CloneDetached(absl::Span<const at::Tensor> tensors) {
  std::vector<at::Tensor> out;
  out.reserve(tensors.size());
  for (const at::Tensor& tensor : tensors) out.push_back(tensor.detach().clone());
  return out;
}

absl::Status WriteParameterSet(absl::Span<const std::string> names,
                               absl::Span<const at::Tensor> tensors, v1::ParameterSet* out) {
  if (names.size() != tensors.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(names.size(), " parameter names for ", tensors.size(), " tensors"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    v1::NamedTensor* named = out->add_tensors();
    named->set_name(names[i]);
    MBRL_RETURN_IF_ERROR(ToTensorProto(tensors[i].detach(), named->mutable_tensor()));
  }
  return absl::OkStatus();
}

absl::Status ReadParameterSet(const v1::ParameterSet& set, absl::Span<const std::string> names,
                              absl::Span<const at::Tensor> targets) {
  if (names.size() != targets.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(names.size(), " parameter names for ", targets.size(), " tensors"));
  }
  absl::flat_hash_map<std::string, const v1::NamedTensor*> by_name;
  for (const v1::NamedTensor& named : set.tensors()) {
    if (!by_name.emplace(named.name(), &named).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", named.name(), "' appears twice"));
    }
  }
  if (by_name.size() != names.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", names.size(), " parameters, got ", by_name.size()));
  }
  // Validate everything before changing anything.
  std::vector<at::Tensor> views;
  views.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = by_name.find(names[i]);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", names[i], "' is missing"));
    }
    const v1::Tensor& proto = it->second->tensor();
    MBRL_RETURN_IF_ERROR(ValidateTensor(proto, names[i]));
    MBRL_RETURN_IF_ERROR(CheckFinite(proto, names[i]));
    MBRL_ASSIGN_OR_RETURN(at::Tensor view, TensorView(proto, names[i]));
    if (view.scalar_type() != targets[i].scalar_type() || view.sizes() != targets[i].sizes()) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", names[i], "': expected ",
                       c10::toString(targets[i].scalar_type()), " ", c10::str(targets[i].sizes()),
                       ", got ", c10::toString(view.scalar_type()), " ", c10::str(view.sizes())));
    }
    views.push_back(std::move(view));
  }
  AssignTensors(views, targets);
  return absl::OkStatus();
}

}  // namespace mbrl::learner
