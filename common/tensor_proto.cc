#include "common/tensor_proto.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace mbrl {
namespace {

template <typename T>
absl::Status CheckFiniteValues(absl::string_view bytes, absl::string_view name) {
  const size_t count = bytes.size() / sizeof(T);
  for (size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));  // no alignment assumption
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": element ", i, " is ", std::isnan(value) ? "NaN" : "infinite"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

size_t DTypeSize(v1::DType dtype) {
  switch (dtype) {
    case v1::DTYPE_FLOAT32:
    case v1::DTYPE_INT32:
      return 4;
    case v1::DTYPE_FLOAT64:
    case v1::DTYPE_INT64:
      return 8;
    case v1::DTYPE_UINT8:
    case v1::DTYPE_BOOL:
      return 1;
    default:
      return 0;
  }
}

std::string DTypeName(v1::DType dtype) {
  switch (dtype) {
    case v1::DTYPE_FLOAT32:
      return "float32";
    case v1::DTYPE_FLOAT64:
      return "float64";
    case v1::DTYPE_INT32:
      return "int32";
    case v1::DTYPE_INT64:
      return "int64";
    case v1::DTYPE_UINT8:
      return "uint8";
    case v1::DTYPE_BOOL:
      return "bool";
    case v1::DTYPE_UNSPECIFIED:
      return "unspecified";
    default:
      return absl::StrCat("dtype(", static_cast<int>(dtype), ")");
  }
}

std::string ShapeString(absl::Span<const int64_t> shape) {
  return absl::StrCat("[",
                      absl::StrJoin(shape, ", ",
                                    [](std::string* out, int64_t dim) {
                                      out->append(dim == kAnyDim ? "?" : std::to_string(dim));
                                    }),
                      "]");
}

absl::Status ValidateTensor(const v1::Tensor& tensor, absl::string_view name) {
  const size_t itemsize = DTypeSize(tensor.dtype());
  if (itemsize == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": invalid dtype ", DTypeName(tensor.dtype())));
  }
  // Elements are bounded by the byte size, which protobuf caps far below 2^62.
  constexpr int64_t kMaxElements = int64_t{1} << 62;
  int64_t elements = 1;
  for (int64_t dim : tensor.shape()) {
    if (dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": negative dimension in shape ", ShapeString(tensor.shape())));
    }
    if (dim != 0 && elements > kMaxElements / dim) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": shape ", ShapeString(tensor.shape()), " is too large"));
    }
    elements *= dim;
  }
  const uint64_t expected_bytes = static_cast<uint64_t>(elements) * itemsize;
  if (tensor.data().size() != expected_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": ", DTypeName(tensor.dtype()), " tensor of shape ", ShapeString(tensor.shape()),
        " needs ", expected_bytes, " bytes, got ", tensor.data().size()));
  }
  return absl::OkStatus();
}

absl::Status CheckTensor(const v1::Tensor& tensor, absl::string_view name, v1::DType dtype,
                         absl::Span<const int64_t> shape) {
  if (absl::Status status = ValidateTensor(tensor, name); !status.ok()) return status;
  if (tensor.dtype() != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": expected dtype ", DTypeName(dtype),
                                                   ", got ", DTypeName(tensor.dtype())));
  }
  bool matches = tensor.shape_size() == static_cast<int>(shape.size());
  for (size_t i = 0; matches && i < shape.size(); ++i) {
    matches = shape[i] == kAnyDim || shape[i] == tensor.shape(static_cast<int>(i));
  }
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": expected shape ", ShapeString(shape),
                                                   ", got ", ShapeString(tensor.shape())));
  }
  return absl::OkStatus();
}

absl::Status CheckFinite(const v1::Tensor& tensor, absl::string_view name) {
  switch (tensor.dtype()) {
    case v1::DTYPE_FLOAT32:
      return CheckFiniteValues<float>(tensor.data(), name);
    case v1::DTYPE_FLOAT64:
      return CheckFiniteValues<double>(tensor.data(), name);
    default:
      return absl::OkStatus();
  }
}

int64_t NumElements(const v1::Tensor& tensor) {
  int64_t elements = 1;
  for (int64_t dim : tensor.shape()) elements *= dim;
  return elements;
}

namespace tensor_proto_internal {

absl::Status CheckViewable(const v1::Tensor& tensor, absl::string_view name, v1::DType dtype,
                           size_t alignment) {
  if (absl::Status status = ValidateTensor(tensor, name); !status.ok()) return status;
  if (tensor.dtype() != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": expected dtype ", DTypeName(dtype),
                                                   ", got ", DTypeName(tensor.dtype())));
  }
  if (reinterpret_cast<uintptr_t>(tensor.data().data()) % alignment != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(name, ": data is not ", alignment, "-byte aligned"));
  }
  return absl::OkStatus();
}

void FillTensor(const void* data, size_t bytes, v1::DType dtype, absl::Span<const int64_t> shape,
                int64_t elements, v1::Tensor* out) {
  int64_t shape_elements = 1;
  for (int64_t dim : shape) shape_elements *= dim;
  MBRL_CHECK(shape_elements == elements)
      << "MakeTensor: shape " << ShapeString(shape) << " holds " << shape_elements
      << " elements, got " << elements << " values";
  out->set_dtype(dtype);
  out->mutable_shape()->Assign(shape.begin(), shape.end());
  out->set_data(static_cast<const char*>(data), bytes);
}

}  // namespace tensor_proto_internal
}  // namespace mbrl
