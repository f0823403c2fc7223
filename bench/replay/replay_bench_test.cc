#include "bench/replay/replay_bench.h"

#include <map>
#include <sstream>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::bench {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

TEST(ReplayBenchTest, RunsEveryConfigurationAndReportsEveryFigure) {
  ReplayBenchOptions options;
  options.seconds = 0.1;
  options.data_dir = std::string(getenv("TEST_TMPDIR")) + "/bench";
  std::ostringstream log;
  absl::StatusOr<ReplayBenchResults> results = RunReplayBench(options, log);
  ASSERT_THAT(results, IsOk());
  std::map<std::string, double> values(results->begin(), results->end());
  for (const char* name :
       {"insert_transitions_per_s", "sample_transitions_per_s", "insert_vs_raw_grpc",
        "sample_vs_raw_grpc", "insert_transitions_per_s_c100_s1", "insert_mb_per_s_c1000_s2",
        "raw_insert_transitions_per_s_c100_s2", "sample_transitions_per_s_c1000_s1"}) {
    ASSERT_TRUE(values.count(name)) << name;
    EXPECT_GT(values[name], 0) << name;
  }
  EXPECT_EQ((*results)[0].first, "insert_transitions_per_s");
  EXPECT_THAT(log.str(), ::testing::HasSubstr("fsync on"));
}

TEST(ReplayBenchTest, RejectsBadOptions) {
  ReplayBenchOptions options;
  options.seconds = 0;
  std::ostringstream log;
  EXPECT_THAT(RunReplayBench(options, log), StatusIs(absl::StatusCode::kInvalidArgument));
  options = ReplayBenchOptions();
  options.shard_counts = {};
  EXPECT_THAT(RunReplayBench(options, log), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl::bench
