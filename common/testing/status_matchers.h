// GoogleTest matchers for absl::Status / absl::StatusOr (Abseil 20220623 ships none).
//
//   EXPECT_THAT(DoIt(), IsOk());
//   EXPECT_THAT(Parse("x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3")));
//   EXPECT_THAT(Compute(), IsOkAndHolds(42));
//   MBRL_ASSERT_OK_AND_ASSIGN(auto value, Compute());
#ifndef MBRL_COMMON_TESTING_STATUS_MATCHERS_H_
#define MBRL_COMMON_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

MATCHER_P(StatusIs, code, "has code " + absl::StatusCodeToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

}  // namespace mbrl::testing

#define MBRL_ASSERT_OK(expr) ASSERT_THAT((expr), ::mbrl::testing::IsOk())
#define MBRL_EXPECT_OK(expr) EXPECT_THAT((expr), ::mbrl::testing::IsOk())

#define MBRL_ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  MBRL_ASSERT_OK_AND_ASSIGN_IMPL_(MBRL_TESTING_CONCAT_(mbrl_statusor_, __LINE__), lhs, rexpr)
#define MBRL_TESTING_CONCAT_INNER_(x, y) x##y
#define MBRL_TESTING_CONCAT_(x, y) MBRL_TESTING_CONCAT_INNER_(x, y)
#define MBRL_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  ASSERT_TRUE(statusor.ok()) << statusor.status();            \
  lhs = std::move(statusor).value()

#endif  // MBRL_COMMON_TESTING_STATUS_MATCHERS_H_
