#include "common/progress.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/" + name;
}

TEST(ProgressTest, FormatsValuesForHumans) {
  EXPECT_EQ(FormatProgressValue(52000), "52000");
  EXPECT_EQ(FormatProgressValue(-312.4567), "-312.5");
  EXPECT_EQ(FormatProgressValue(0.012345), "0.01235");
  EXPECT_EQ(FormatProgressValue(1.5e20), "1.5e+20");
  EXPECT_EQ(FormatProgressValue(kNaN), "-");
}

TEST(ProgressTest, WritesTheTerminalLineAndTheCsvRow) {
  const std::string path = TempPath("progress.csv");
  std::ostringstream terminal;
  MBRL_ASSERT_OK_AND_ASSIGN(
      auto log, ProgressLog::Create({"iteration", "real_steps", "eval_return"}, path, &terminal));
  EXPECT_THAT(log->Write({1, 4000, -1234.5678}), IsOk());
  EXPECT_THAT(log->Write({2, 8000, kNaN}), IsOk());
  EXPECT_EQ(terminal.str(),
            "iteration=1 real_steps=4000 eval_return=-1235\n"
            "iteration=2 real_steps=8000 eval_return=-\n");
  EXPECT_EQ(ReadFile(path), "iteration,real_steps,eval_return\n1,4000,-1234.5678\n2,8000,\n");
}

TEST(ProgressTest, AppendContinuesAMatchingFileAndRejectsAnother) {
  const std::string path = TempPath("resume.csv");
  {
    MBRL_ASSERT_OK_AND_ASSIGN(auto log, ProgressLog::Create({"a", "b"}, path, nullptr));
    EXPECT_THAT(log->Write({1, 2}), IsOk());
  }
  {
    MBRL_ASSERT_OK_AND_ASSIGN(
        auto log, ProgressLog::Create({"a", "b"}, path, nullptr, ProgressLog::Mode::kAppend));
    EXPECT_THAT(log->Write({3, 4}), IsOk());
  }
  EXPECT_EQ(ReadFile(path), "a,b\n1,2\n3,4\n");
  EXPECT_THAT(ProgressLog::Create({"a", "c"}, path, nullptr, ProgressLog::Mode::kAppend).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("header 'a,b' differs")));
}

TEST(ProgressTest, RejectsBadColumnsAndRowWidths) {
  EXPECT_THAT(ProgressLog::Create({}, "", nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ProgressLog::Create({"a", "a"}, "", nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  EXPECT_THAT(ProgressLog::Create({"a,b"}, "", nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad progress column")));
  MBRL_ASSERT_OK_AND_ASSIGN(auto log, ProgressLog::Create({"a", "b"}, "", nullptr));
  EXPECT_THAT(log->Write({1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 values for 2 columns")));
}

TEST(ProgressTest, ReportsUnwritableFiles) {
  EXPECT_THAT(ProgressLog::Create({"a"}, "/nonexistent-dir/progress.csv", nullptr).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot open /nonexistent-dir/progress.csv")));
}

}  // namespace
}  // namespace mbrl
