// The wire tensor (mbrl.v1.Tensor) without LibTorch: validation, typed read-only views and
// builders. Servers that only check and store tensors (replay, env server) use this; learner
// code converts to torch::Tensor with common/tensor_codec.h.
//
// Every function returning a Status reports bad input as INVALID_ARGUMENT with a message that
// names the tensor (the `name` argument), e.g. "observations: expected shape [?, 17], got [4, 3]".
#ifndef MBRL_COMMON_TENSOR_PROTO_H_
#define MBRL_COMMON_TENSOR_PROTO_H_

#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mbrl/v1/tensor.pb.h"

namespace mbrl {

// Matches any size in CheckTensor's expected shape.
inline constexpr int64_t kAnyDim = -1;

// Bytes per element; 0 for DTYPE_UNSPECIFIED or an unknown value.
size_t DTypeSize(v1::DType dtype);
// "float32", "int64", ...; "unspecified" / "dtype(N)" for invalid values.
std::string DTypeName(v1::DType dtype);
// Renders a shape as "[4, 17]" (kAnyDim as "?").
std::string ShapeString(absl::Span<const int64_t> shape);

// The element type tag of a C++ type (float, double, int32_t, int64_t, uint8_t, bool).
template <typename T>
constexpr v1::DType DTypeOf();

// Checks the structural invariant of the wire format: a known dtype, every dimension >= 0,
// no element-count overflow, and data size == elements * itemsize.
absl::Status ValidateTensor(const v1::Tensor& tensor, absl::string_view name);

// ValidateTensor, then checks the dtype and the shape against `shape` (kAnyDim matches any
// size in that dimension; the rank must match exactly).
absl::Status CheckTensor(const v1::Tensor& tensor, absl::string_view name, v1::DType dtype,
                         absl::Span<const int64_t> shape);

// Checks every element of a float32/float64 tensor is finite (no NaN or Inf); other dtypes
// pass. Names the first bad element's flat index. Requires a valid tensor.
absl::Status CheckFinite(const v1::Tensor& tensor, absl::string_view name);

// Number of elements of a valid tensor.
int64_t NumElements(const v1::Tensor& tensor);

// A read-only typed view of a tensor's bytes (no copy), valid while `tensor` is alive and
// unmodified. INVALID_ARGUMENT if the tensor is invalid or its dtype is not T's;
// FAILED_PRECONDITION if the bytes are not aligned for T (never the case for protobuf-owned
// strings on supported platforms).
template <typename T>
absl::StatusOr<absl::Span<const T>> TensorData(const v1::Tensor& tensor, absl::string_view name);

// Builds a tensor by copying `values` (row-major) with the given shape.
// Precondition (checked, aborts): product(shape) == values.size().
template <typename T>
v1::Tensor MakeTensor(absl::Span<const T> values, absl::Span<const int64_t> shape);

// ---- implementation details ----

template <>
constexpr v1::DType DTypeOf<float>() {
  return v1::DTYPE_FLOAT32;
}
template <>
constexpr v1::DType DTypeOf<double>() {
  return v1::DTYPE_FLOAT64;
}
template <>
constexpr v1::DType DTypeOf<int32_t>() {
  return v1::DTYPE_INT32;
}
template <>
constexpr v1::DType DTypeOf<int64_t>() {
  return v1::DTYPE_INT64;
}
template <>
constexpr v1::DType DTypeOf<uint8_t>() {
  return v1::DTYPE_UINT8;
}
template <>
constexpr v1::DType DTypeOf<bool>() {
  return v1::DTYPE_BOOL;
}

namespace tensor_proto_internal {
absl::Status CheckViewable(const v1::Tensor& tensor, absl::string_view name, v1::DType dtype,
                           size_t alignment);
void FillTensor(const void* data, size_t bytes, v1::DType dtype, absl::Span<const int64_t> shape,
                int64_t elements, v1::Tensor* out);
}  // namespace tensor_proto_internal

template <typename T>
absl::StatusOr<absl::Span<const T>> TensorData(const v1::Tensor& tensor, absl::string_view name) {
  absl::Status status =
      tensor_proto_internal::CheckViewable(tensor, name, DTypeOf<T>(), alignof(T));
  if (!status.ok()) return status;
  return absl::Span<const T>(reinterpret_cast<const T*>(tensor.data().data()),
                             tensor.data().size() / sizeof(T));
}

template <typename T>
v1::Tensor MakeTensor(absl::Span<const T> values, absl::Span<const int64_t> shape) {
  static_assert(std::is_arithmetic_v<T>, "MakeTensor needs an arithmetic element type");
  v1::Tensor out;
  tensor_proto_internal::FillTensor(values.data(), values.size() * sizeof(T), DTypeOf<T>(), shape,
                                    static_cast<int64_t>(values.size()), &out);
  return out;
}

}  // namespace mbrl

#endif  // MBRL_COMMON_TENSOR_PROTO_H_
