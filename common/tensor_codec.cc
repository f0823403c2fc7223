#include "common/tensor_codec.h"

#include <ATen/Functions.h>
#include <ATen/ops/from_blob.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/tensor_proto.h"

namespace mbrl {
namespace {

absl::StatusOr<at::ScalarType> ScalarTypeOf(v1::DType dtype) {
  switch (dtype) {
    case v1::DTYPE_FLOAT32:
      return at::kFloat;
    case v1::DTYPE_FLOAT64:
      return at::kDouble;
    case v1::DTYPE_INT32:
      return at::kInt;
    case v1::DTYPE_INT64:
      return at::kLong;
    case v1::DTYPE_UINT8:
      return at::kByte;
    case v1::DTYPE_BOOL:
      return at::kBool;
    default:
      return absl::InvalidArgumentError(absl::StrCat("invalid dtype ", DTypeName(dtype)));
  }
}

absl::StatusOr<v1::DType> DTypeOfScalarType(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return v1::DTYPE_FLOAT32;
    case at::kDouble:
      return v1::DTYPE_FLOAT64;
    case at::kInt:
      return v1::DTYPE_INT32;
    case at::kLong:
      return v1::DTYPE_INT64;
    case at::kByte:
      return v1::DTYPE_UINT8;
    case at::kBool:
      return v1::DTYPE_BOOL;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("tensor dtype ", c10::toString(type), " has no wire encoding"));
  }
}

// `deleter` runs when the view's storage is freed (it may release an owner).
absl::StatusOr<at::Tensor> MakeView(const v1::Tensor& proto, absl::string_view name,
                                    std::function<void(void*)> deleter) {
  if (absl::Status status = ValidateTensor(proto, name); !status.ok()) return status;
  const at::ScalarType type = ScalarTypeOf(proto.dtype()).value();
  const std::vector<int64_t> shape(proto.shape().begin(), proto.shape().end());
  const auto options = at::TensorOptions().dtype(type).device(at::kCPU);
  void* data = const_cast<char*>(proto.data().data());
  if (reinterpret_cast<uintptr_t>(data) % DTypeSize(proto.dtype()) != 0) {
    // Misaligned bytes cannot be viewed safely: copy into fresh (aligned) storage.
    at::Tensor copy = at::empty(shape, options);
    std::memcpy(copy.data_ptr(), data, proto.data().size());
    return copy;
  }
  return at::from_blob(data, shape, std::move(deleter), options);
}

}  // namespace

absl::StatusOr<at::Tensor> TensorView(const v1::Tensor& proto, absl::string_view name) {
  return MakeView(proto, name, [](void*) {});
}

absl::StatusOr<at::Tensor> TensorView(const v1::Tensor& proto, absl::string_view name,
                                      std::shared_ptr<const void> owner) {
  return MakeView(proto, name, [owner = std::move(owner)](void*) mutable { owner.reset(); });
}

absl::StatusOr<at::Tensor> CheckedTensorView(const v1::Tensor& proto, absl::string_view name,
                                             v1::DType dtype, absl::Span<const int64_t> shape) {
  if (absl::Status status = CheckTensor(proto, name, dtype, shape); !status.ok()) return status;
  return TensorView(proto, name);
}

absl::Status ToTensorProto(const at::Tensor& tensor, v1::Tensor* proto) {
  if (!tensor.defined()) return absl::InvalidArgumentError("cannot encode an undefined tensor");
  absl::StatusOr<v1::DType> dtype = DTypeOfScalarType(tensor.scalar_type());
  if (!dtype.ok()) return dtype.status();
  const at::Tensor dense = tensor.to(at::kCPU).contiguous();
  proto->set_dtype(*dtype);
  proto->mutable_shape()->Assign(dense.sizes().begin(), dense.sizes().end());
  proto->set_data(static_cast<const char*>(dense.data_ptr()), dense.nbytes());
  return absl::OkStatus();
}

absl::StatusOr<v1::Tensor> ToTensorProto(const at::Tensor& tensor) {
  v1::Tensor proto;
  if (absl::Status status = ToTensorProto(tensor, &proto); !status.ok()) return status;
  return proto;
}

}  // namespace mbrl
