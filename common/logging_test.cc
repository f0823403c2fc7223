#include "common/logging.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(LoggingTest, WritesOneFormattedLinePerMessage) {
  ::testing::internal::CaptureStderr();
  MBRL_LOG(INFO) << "recovered " << 12 << " chunks";
  MBRL_LOG(WARNING) << "shard 1 is down";
  const std::string output = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(output, ContainsRegex(
                          "^I[0-9]{4} [0-9:.]+ logging_test\\.cc:[0-9]+\\] recovered 12 chunks\n"));
  EXPECT_THAT(output,
              ContainsRegex("\nW[0-9]{4} [0-9:.]+ logging_test\\.cc:[0-9]+\\] shard 1 is down\n$"));
}

TEST(LoggingTest, DropsMessagesBelowTheMinimumSeverity) {
  SetMinLogSeverity(LogSeverity::kWarning);
  int evaluated = 0;
  ::testing::internal::CaptureStderr();
  MBRL_LOG(INFO) << "hidden " << ++evaluated;
  const std::string output = ::testing::internal::GetCapturedStderr();
  SetMinLogSeverity(LogSeverity::kInfo);
  EXPECT_THAT(output, IsEmpty());
  EXPECT_EQ(evaluated, 0) << "a dropped message must not evaluate its arguments";
}

TEST(LoggingDeathTest, CheckAbortsWithTheConditionAndMessage) {
  const int size = 3;
  EXPECT_DEATH(MBRL_CHECK(size > 5) << "size was " << size, "Check failed: size > 5 size was 3");
  MBRL_CHECK(size == 3) << "never printed";
}

TEST(LoggingDeathTest, FatalAbortsEvenWhenSeverityIsFiltered) {
  SetMinLogSeverity(LogSeverity::kError);
  EXPECT_DEATH(MBRL_LOG(FATAL) << "unrecoverable", HasSubstr("unrecoverable"));
  SetMinLogSeverity(LogSeverity::kInfo);
}

}  // namespace
}  // namespace mbrl
