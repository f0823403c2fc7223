// Status conversions at the gRPC edge: absl::Status <-> grpc::Status, and absl::Status <->
// mbrl.v1.RpcStatus (a status inside a stream message). The one place codes are mapped; the
// numeric values of absl::StatusCode and grpc::StatusCode are both google.rpc.Code.
#ifndef MBRL_SERVICES_COMMON_STATUS_UTIL_H_
#define MBRL_SERVICES_COMMON_STATUS_UTIL_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "mbrl/v1/status.pb.h"

namespace mbrl {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

v1::RpcStatus ToRpcStatus(const absl::Status& status);
// Unknown numeric codes become UNKNOWN (keeping the message).
absl::Status FromRpcStatus(const v1::RpcStatus& status);

// Abseil's retry rule for a failed call: true for UNAVAILABLE (retry the call) and
// DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED (retry after backoff); false otherwise (ABORTED means
// restart the whole sequence, which only the caller can do).
bool IsRetryable(absl::StatusCode code);

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_STATUS_UTIL_H_
