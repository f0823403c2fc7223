#include "bench/imagine_bench.h"

#include <map>
#include <sstream>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::bench {
namespace {

using ::mbrl::testing::StatusIs;

// Small and short: the test checks what is reported, not how fast.
ImagineBenchOptions TinyOptions() {
  ImagineBenchOptions options;
  options.hidden = {32, 32};
  options.batch = 64;
  options.horizon = 5;
  options.threads = 1;
  options.seconds = 0.05;
  return options;
}

TEST(ImagineBenchTest, ReportsThroughputAgainstTheCeiling) {
  const ImagineBenchOptions options = TinyOptions();
  std::ostringstream log;
  MBRL_ASSERT_OK_AND_ASSIGN(ImagineBenchResults results, RunImagineBench(options, log));
  std::map<std::string, double> by_name(results.begin(), results.end());
  EXPECT_GT(by_name.at("steps_per_s"), 0);
  EXPECT_GT(by_name.at("ceiling_flops_per_s"), 0);
  EXPECT_GT(by_name.at("gemm_fraction_of_ceiling"), 0);
  // 2 * (23*32 + 32*32 + 32*17) + 2 * (17*32 + 32*32 + 32*6).
  EXPECT_EQ(by_name.at("flops_per_step"), 2.0 * (736 + 1024 + 544) + 2.0 * (544 + 1024 + 192));
  EXPECT_NEAR(by_name.at("flops_fraction_of_ceiling"),
              by_name.at("flops_per_s") / by_name.at("ceiling_flops_per_s"), 1e-12);
  EXPECT_THAT(log.str(), ::testing::HasSubstr("imagine: batch 64"));
  EXPECT_GE(by_name.at("ceiling_flops_per_s"), by_name.at("blas_ceiling_flops_per_s"));
  EXPECT_GE(by_name.at("ceiling_flops_per_s"), by_name.at("kernel_ceiling_flops_per_s"));
}

TEST(ImagineBenchTest, ComparesWithTheModelOnTheBlas) {
  ImagineBenchOptions options = TinyOptions();
  options.packed_model = false;
  std::ostringstream log;
  MBRL_ASSERT_OK_AND_ASSIGN(ImagineBenchResults results, RunImagineBench(options, log));
  std::map<std::string, double> by_name(results.begin(), results.end());
  EXPECT_GT(by_name.at("steps_per_s"), 0);
  EXPECT_THAT(log.str(), ::testing::HasSubstr("model kernel: the BLAS (--model_kernel=blas)"));
}

TEST(ImagineBenchTest, RejectsDimensionsTheEnvDoesNotHave) {
  ImagineBenchOptions options;
  options.observation_dim = 3;
  std::ostringstream log;
  EXPECT_THAT(RunImagineBench(options, log),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("HalfCheetah")));
  options = ImagineBenchOptions();
  options.batch = 0;
  EXPECT_THAT(RunImagineBench(options, log), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl::bench
