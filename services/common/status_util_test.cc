#include "services/common/status_util.h"

#include "absl/status/status.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

TEST(StatusUtilTest, EveryCodeRoundTripsThroughGrpc) {
  for (int code = 1; code <= 16; ++code) {
    const absl::Status status(static_cast<absl::StatusCode>(code),
                              "message " + std::to_string(code));
    const grpc::Status grpc_status = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(grpc_status.error_code()), code);
    EXPECT_EQ(grpc_status.error_message(), "message " + std::to_string(code));
    EXPECT_EQ(FromGrpcStatus(grpc_status), status);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_THAT(FromGrpcStatus(grpc::Status::OK), IsOk());
}

TEST(StatusUtilTest, NamedCodesMapToTheirGrpcNames) {
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError("x")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("x")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcStatus(absl::FailedPreconditionError("x")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "late")),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "late"));
}

TEST(StatusUtilTest, RpcStatusRoundTripsAndUnknownCodesBecomeUnknown) {
  const absl::Status status = absl::ResourceExhaustedError("full");
  const v1::RpcStatus proto = ToRpcStatus(status);
  EXPECT_EQ(proto.code(), 8);
  EXPECT_EQ(proto.message(), "full");
  EXPECT_EQ(FromRpcStatus(proto), status);
  EXPECT_THAT(FromRpcStatus(ToRpcStatus(absl::OkStatus())), IsOk());

  v1::RpcStatus bogus;
  bogus.set_code(99);
  bogus.set_message("from the future");
  EXPECT_THAT(FromRpcStatus(bogus), StatusIs(absl::StatusCode::kUnknown, "from the future"));
  bogus.set_code(-3);
  EXPECT_THAT(FromRpcStatus(bogus), StatusIs(absl::StatusCode::kUnknown));
}

TEST(StatusUtilTest, RetryRulesFollowAbseil) {
  EXPECT_TRUE(IsRetryable(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(IsRetryable(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kAborted));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kOk));
}

}  // namespace
}  // namespace mbrl
