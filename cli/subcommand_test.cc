#include "cli/subcommand.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, test_count, 1, "A count.");
ABSL_FLAG(bool, test_verbose, false, "Be verbose.");
ABSL_FLAG(std::string, test_out, "", "Output path.");
ABSL_FLAG(std::vector<std::string>, test_runs, {}, "Run directories.");

namespace mbrl::cli {
namespace {

using ::mbrl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

class SubcommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_test_count, 1);
    absl::SetFlag(&FLAGS_test_verbose, false);
    absl::SetFlag(&FLAGS_test_out, "");
    absl::SetFlag(&FLAGS_test_runs, {"stale"});
  }

  std::vector<Subcommand> table_ = {
      {/*name=*/"config", /*arguments=*/"", /*summary=*/"Config things.", /*details=*/"",
       /*flags=*/{}, /*run=*/nullptr},
      {/*name=*/"config check", /*arguments=*/"FILE...", /*summary=*/"Check configs.",
       /*details=*/"", /*flags=*/{"test_verbose"}, /*run=*/nullptr},
      {/*name=*/"train", /*arguments=*/"", /*summary=*/"Train.", /*details=*/"Trains a lot.",
       /*flags=*/{"test_count", "test_verbose", "test_out", "test_runs"}, /*run=*/nullptr},
  };
};

TEST_F(SubcommandTest, MatchesTheLongestMultiWordName) {
  MBRL_ASSERT_OK_AND_ASSIGN(Invocation invocation,
                            Parse(table_, {"config", "check", "a.txt", "b.txt"}));
  EXPECT_EQ(invocation.subcommand, &table_[1]);
  EXPECT_THAT(invocation.positional, ElementsAre("a.txt", "b.txt"));
  MBRL_ASSERT_OK_AND_ASSIGN(Invocation shorter, Parse(table_, {"config", "other"}));
  EXPECT_EQ(shorter.subcommand, &table_[0]);
  EXPECT_THAT(shorter.positional, ElementsAre("other"));
}

TEST_F(SubcommandTest, ParsesEveryFlagForm) {
  MBRL_ASSERT_OK_AND_ASSIGN(
      Invocation invocation,
      Parse(table_, {"train", "--test_count=7", "--test_verbose", "-test_out", "x.csv", "pos"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 7);
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_verbose));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_out), "x.csv");
  EXPECT_THAT(invocation.positional, ElementsAre("pos"));
  MBRL_ASSERT_OK_AND_ASSIGN(invocation,
                            Parse(table_, {"train", "--notest_verbose", "--test_count", "3"}));
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_verbose));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 3);
}

TEST_F(SubcommandTest, DoubleDashEndsFlags) {
  MBRL_ASSERT_OK_AND_ASSIGN(Invocation invocation,
                            Parse(table_, {"train", "--", "--test_count=9", "-"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 1);
  EXPECT_THAT(invocation.positional, ElementsAre("--test_count=9", "-"));
}

TEST_F(SubcommandTest, RejectsFlagsTheSubcommandDoesNotTake) {
  EXPECT_THAT(
      Parse(table_, {"config", "check", "--test_count=2"}).status(),
      StatusIs(
          kInvalid,
          HasSubstr("mbrl config check: unknown flag --test_count=2 (its flags: --test_verbose)")));
  EXPECT_THAT(Parse(table_, {"config", "--test_verbose"}).status(),
              StatusIs(kInvalid, HasSubstr("it takes no flags")));
  EXPECT_THAT(Parse(table_, {"train", "--undefined_flag"}).status(), StatusIs(kInvalid));
  EXPECT_THAT(Parse(table_, {"train", "--notest_count"}).status(), StatusIs(kInvalid));
}

TEST_F(SubcommandTest, RejectsBadAndMissingValues) {
  EXPECT_THAT(Parse(table_, {"train", "--test_count=many"}).status(),
              StatusIs(kInvalid, HasSubstr("bad value for --test_count")));
  EXPECT_THAT(Parse(table_, {"train", "--test_out"}).status(),
              StatusIs(kInvalid, HasSubstr("--test_out needs a value")));
  EXPECT_THAT(Parse(table_, {"train", "--test_verbose=maybe"}).status(), StatusIs(kInvalid));
}

TEST_F(SubcommandTest, UnknownSubcommandIsAnError) {
  EXPECT_THAT(Parse(table_, {"trian"}).status(),
              StatusIs(kInvalid, HasSubstr("unknown subcommand 'trian'")));
}

TEST_F(SubcommandTest, HelpForms) {
  MBRL_ASSERT_OK_AND_ASSIGN(Invocation overview, Parse(table_, {}));
  EXPECT_EQ(overview.subcommand, nullptr);
  MBRL_ASSERT_OK_AND_ASSIGN(overview, Parse(table_, {"--help"}));
  EXPECT_TRUE(overview.help);
  EXPECT_EQ(overview.subcommand, nullptr);
  MBRL_ASSERT_OK_AND_ASSIGN(Invocation help, Parse(table_, {"help", "config", "check"}));
  EXPECT_TRUE(help.help);
  EXPECT_EQ(help.subcommand, &table_[1]);
  MBRL_ASSERT_OK_AND_ASSIGN(help, Parse(table_, {"train", "-h"}));
  EXPECT_TRUE(help.help);
  EXPECT_THAT(help.positional, IsEmpty());
  EXPECT_THAT(Parse(table_, {"help", "nope"}).status(),
              StatusIs(kInvalid, HasSubstr("no subcommand 'nope'")));
}

TEST_F(SubcommandTest, RepeatedListFlagAppendsAndOtherFlagsKeepTheLast) {
  MBRL_ASSERT_OK_AND_ASSIGN(Invocation invocation,
                            Parse(table_, {"train", "--test_runs=a", "--test_runs", "b,c",
                                           "--test_count=2", "--test_count=3"}));
  EXPECT_THAT(absl::GetFlag(FLAGS_test_runs), ElementsAre("a", "b", "c"));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 3);
  // A new command line replaces the previous value (here the fixture's "stale").
  MBRL_ASSERT_OK_AND_ASSIGN(invocation, Parse(table_, {"train", "--test_runs=d"}));
  EXPECT_THAT(absl::GetFlag(FLAGS_test_runs), ElementsAre("d"));
}

TEST_F(SubcommandTest, HelpTextListsSubcommandsAndFlags) {
  std::ostringstream overview;
  PrintOverview(table_, overview);
  EXPECT_THAT(overview.str(), HasSubstr("  config check   Check configs.\n"));
  EXPECT_THAT(overview.str(), HasSubstr("  train          Train.\n"));
  std::ostringstream help;
  PrintSubcommandHelp(table_[2], help);
  EXPECT_THAT(help.str(), HasSubstr("usage: mbrl train [FLAGS]"));
  EXPECT_THAT(help.str(), HasSubstr("Trains a lot."));
  EXPECT_THAT(help.str(), HasSubstr("--test_count (default: 1)\n      A count."));
  EXPECT_THAT(help.str(), HasSubstr("--test_out (default: \"\")"));
}

}  // namespace
}  // namespace mbrl::cli
