// mbrl.v1.Tensor <-> torch::Tensor.
//
// Decoding does not copy: the returned tensor views the message's bytes. Encoding copies once
// (into the message). Errors are INVALID_ARGUMENT and name the tensor.
#ifndef MBRL_COMMON_TENSOR_CODEC_H_
#define MBRL_COMMON_TENSOR_CODEC_H_

#include <ATen/core/Tensor.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/tensor_proto.h"
#include "mbrl/v1/tensor.pb.h"

namespace mbrl {

// A CPU tensor viewing `proto`'s bytes without a copy (checked with ValidateTensor first).
// The view is valid only while `proto` is alive and unmodified, and must not be written to;
// `.clone()` it to keep or modify it. If the bytes are not aligned for the dtype (never for
// protobuf-owned strings on supported platforms) the result is a copy instead.
absl::StatusOr<at::Tensor> TensorView(const v1::Tensor& proto, absl::string_view name);

// As TensorView, but the returned tensor holds `owner` (typically the message containing
// `proto`) alive until the tensor's storage is freed, so the view may outlive the caller.
absl::StatusOr<at::Tensor> TensorView(const v1::Tensor& proto, absl::string_view name,
                                      std::shared_ptr<const void> owner);

// TensorView, then checks the dtype and shape (kAnyDim from common/tensor_proto.h matches
// any size): one call for "decode this field, which must be float32 [N, 17]".
absl::StatusOr<at::Tensor> CheckedTensorView(const v1::Tensor& proto, absl::string_view name,
                                             v1::DType dtype, absl::Span<const int64_t> shape);

// Writes `tensor` (any layout; moved to CPU and made contiguous first) into `proto`.
// INVALID_ARGUMENT for dtypes the protocol has no tag for (e.g. complex, float16).
absl::Status ToTensorProto(const at::Tensor& tensor, v1::Tensor* proto);
absl::StatusOr<v1::Tensor> ToTensorProto(const at::Tensor& tensor);

}  // namespace mbrl

#endif  // MBRL_COMMON_TENSOR_CODEC_H_
