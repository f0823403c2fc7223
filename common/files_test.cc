#include "common/files.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOkAndHolds;
using ::mbrl::testing::StatusIs;

std::string TempPath(const std::string& name) {
  return std::string(getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(FilesTest, WriteReplacesAndReadReturnsIt) {
  const std::string path = TempPath("state.bin");
  MBRL_ASSERT_OK(WriteFileAtomically(path, std::string("first\0second", 12)));
  EXPECT_THAT(ReadFile(path), IsOkAndHolds(std::string("first\0second", 12)));
  MBRL_ASSERT_OK(WriteFileAtomically(path, "new"));
  EXPECT_THAT(ReadFile(path), IsOkAndHolds(std::string("new")));
  EXPECT_THAT(ReadFile(path + ".tmp"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(FilesTest, Errors) {
  EXPECT_THAT(ReadFile(TempPath("missing")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(WriteFileAtomically(TempPath("no/such/dir/file"), "x"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace mbrl
