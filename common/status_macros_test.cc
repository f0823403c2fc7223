#include "common/status_macros.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::IsOkAndHolds;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status FailIf(bool fail) {
  return fail ? absl::InvalidArgumentError("bad") : absl::OkStatus();
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

absl::Status Chain(bool fail, int* steps) {
  MBRL_RETURN_IF_ERROR(FailIf(fail));
  ++*steps;
  return absl::OkStatus();
}

absl::StatusOr<int> Quarter(int x) {
  MBRL_ASSIGN_OR_RETURN(int half, Half(x));
  MBRL_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusMacrosTest, ReturnIfErrorStopsAtTheFirstError) {
  int steps = 0;
  EXPECT_THAT(Chain(/*fail=*/false, &steps), IsOk());
  EXPECT_EQ(steps, 1);
  EXPECT_THAT(Chain(/*fail=*/true, &steps), StatusIs(absl::StatusCode::kInvalidArgument, "bad"));
  EXPECT_EQ(steps, 1);
}

TEST(StatusMacrosTest, AssignOrReturnUnwrapsOrPropagates) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("odd: 3")));
  EXPECT_THAT(Quarter(5), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("odd: 5")));
}

TEST(StatusMatchersTest, MatchersRejectWhatTheyShould) {
  EXPECT_THAT(absl::InternalError("x"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(3), Not(IsOkAndHolds(4)));
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("y")), Not(IsOkAndHolds(4)));
  EXPECT_THAT(absl::NotFoundError("y"), Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(absl::NotFoundError("y"), Not(StatusIs(absl::StatusCode::kNotFound, "z")));
}

}  // namespace
}  // namespace mbrl
