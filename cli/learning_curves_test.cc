#include "cli/learning_curves.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::cli {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kHeader[] =
    "iteration,real_steps,imagined_steps,wall_seconds,eval_return,model_val_loss\n";

// A run directory under TEST_TMPDIR holding `csv` as progress.csv.
std::string RunDir(const std::string& name, const std::string& csv) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  mkdir(dir.c_str(), 0755);
  std::ofstream(dir + "/progress.csv") << csv;
  return dir;
}

TEST(ReadLearningCurveTest, ReadsEvaluatedRowsAndSkipsTheOthers) {
  const std::string dir = RunDir("ok", std::string(kHeader) +
                                           "0,2000,0,12.5,-1200.25,\n"
                                           "1,4000,80000,30,,0.5\n"  // not evaluated
                                           "2,6000,160000,47.75,-800,0.25\n");
  MBRL_ASSERT_OK_AND_ASSIGN(LearningCurve curve, ReadLearningCurve(dir + "/"));
  EXPECT_EQ(curve.label, "ok");
  EXPECT_THAT(curve.real_steps, ElementsAre(2000, 6000));
  EXPECT_THAT(curve.wall_seconds, ElementsAre(12.5, 47.75));
  EXPECT_THAT(curve.eval_return, ElementsAre(-1200.25, -800));
}

TEST(ReadLearningCurveTest, ColumnsAreFoundByName) {
  const std::string dir = RunDir("reordered", "eval_return,wall_seconds,real_steps\n-5,1,10\n");
  MBRL_ASSERT_OK_AND_ASSIGN(LearningCurve curve, ReadLearningCurve(dir));
  EXPECT_THAT(curve.real_steps, ElementsAre(10));
  EXPECT_THAT(curve.wall_seconds, ElementsAre(1));
  EXPECT_THAT(curve.eval_return, ElementsAre(-5));
}

TEST(ReadLearningCurveTest, BadFilesAreClearErrors) {
  EXPECT_THAT(ReadLearningCurve(std::string(std::getenv("TEST_TMPDIR")) + "/missing").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing/progress.csv")));
  EXPECT_THAT(ReadLearningCurve(RunDir("no_column", "iteration,real_steps\n1,2\n")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("progress.csv:1: no column 'wall_seconds'")));
  EXPECT_THAT(ReadLearningCurve(RunDir("ragged", std::string(kHeader) + "0,1,2\n")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("progress.csv:2: 3 cells, the header has 6")));
  EXPECT_THAT(
      ReadLearningCurve(RunDir("garbage", std::string(kHeader) + "0,1,0,2,abc,\n")).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("progress.csv:2: eval_return 'abc' is not a finite number")));
  EXPECT_THAT(
      ReadLearningCurve(RunDir("infinite", std::string(kHeader) + "0,1,0,inf,3,\n")).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("wall_seconds 'inf'")));
  EXPECT_THAT(
      ReadLearningCurve(RunDir("unevaluated", std::string(kHeader) + "0,1,0,2,,\n")).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no row has an eval_return")));
  EXPECT_THAT(ReadLearningCurve(RunDir("empty", "")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty file")));
}

TEST(LearningCurvesScriptTest, InlinesEveryRunAndPicksTheTimeUnit) {
  LearningCurve a{"run \"a\"", {1000, 2000}, {60, 7200}, {-900, -300.5}};
  LearningCurve b{"b", {1000}, {30}, {-1000}};
  const std::string script = LearningCurvesScript({a, b}, "/x/out's.png", 800, 300);
  EXPECT_THAT(script, HasSubstr("set terminal pngcairo noenhanced size 800,300"));
  EXPECT_THAT(script, HasSubstr("set output \"/x/out's.png\"\n"));
  EXPECT_THAT(script, HasSubstr("$run0 << EOD\n1000,60,-900\n2000,7200,-300.5\nEOD\n"));
  EXPECT_THAT(script, HasSubstr("$run1 << EOD\n1000,30,-1000\nEOD\n"));
  EXPECT_THAT(script, HasSubstr("title \"run \\\"a\\\"\""));  // quotes escaped
  // The longest run lasts 2 hours: the wall-clock axis is in minutes.
  EXPECT_THAT(script, HasSubstr("wall-clock time (minutes)"));
  EXPECT_THAT(script, HasSubstr("$run1 using ($2/60):3"));
  EXPECT_THAT(script, HasSubstr("$run0 using 1:3"));
}

TEST(PlotLearningCurvesTest, WritesAPngOrSaysWhyNot) {
  LearningCurve a{"a", {1000, 2000, 3000}, {10, 20, 30}, {-900, -500, -200}};
  const std::string png = std::string(std::getenv("TEST_TMPDIR")) + "/curves.png";
  ASSERT_THAT(PlotLearningCurves({a}, png, 640, 240), IsOk());
  std::ifstream file(png, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR: width and height, big-endian, at bytes 16..23.
  const auto be32 = [&](size_t i) {
    return (static_cast<unsigned char>(bytes[i]) << 24) |
           (static_cast<unsigned char>(bytes[i + 1]) << 16) |
           (static_cast<unsigned char>(bytes[i + 2]) << 8) |
           static_cast<unsigned char>(bytes[i + 3]);
  };
  EXPECT_EQ(be32(16), 640u);
  EXPECT_EQ(be32(20), 240u);

  EXPECT_THAT(PlotLearningCurves({}, png), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      PlotLearningCurves({a}, "/nonexistent-dir/x.png"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot write /nonexistent-dir/x.png")));
}

}  // namespace
}  // namespace mbrl::cli
