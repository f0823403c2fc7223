#include "services/common/status_util.h"

#include <string>

namespace mbrl {
namespace {

constexpr int kMaxCode = static_cast<int>(absl::StatusCode::kUnauthenticated);  // 16

absl::StatusCode CodeFromInt(int code) {
  return code >= 0 && code <= kMaxCode ? static_cast<absl::StatusCode>(code)
                                       : absl::StatusCode::kUnknown;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(CodeFromInt(status.raw_code())),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(CodeFromInt(status.error_code()), status.error_message());
}

v1::RpcStatus ToRpcStatus(const absl::Status& status) {
  v1::RpcStatus proto;
  proto.set_code(status.raw_code());
  proto.set_message(std::string(status.message()));
  return proto;
}

absl::Status FromRpcStatus(const v1::RpcStatus& status) {
  if (status.code() == 0) return absl::OkStatus();
  return absl::Status(CodeFromInt(status.code()), status.message());
}

bool IsRetryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted;
}

}  // namespace mbrl
