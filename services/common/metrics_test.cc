#include "services/common/metrics.h"

#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/metrics_scrape.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::IsOkAndHolds;
using ::mbrl::testing::MetricValue;
using ::mbrl::testing::ScrapeMetrics;
using ::testing::DoubleNear;
using ::testing::HasSubstr;

TEST(LatencyHistogramTest, CountsIntoTheRightBucketsAndSums) {
  LatencyHistogram histogram({0.001, 0.01, 0.1});
  histogram.Observe(0.0005);  // <= 1 ms
  histogram.Observe(0.001);   // == bound: counts in that bucket (le)
  histogram.Observe(0.005);
  histogram.Observe(absl::Milliseconds(50));
  histogram.Observe(2.0);  // +Inf
  const prometheus::ClientMetric::Histogram snapshot = histogram.Snapshot();
  ASSERT_EQ(snapshot.bucket.size(), 4u);
  EXPECT_EQ(snapshot.bucket[0].cumulative_count, 2u);
  EXPECT_EQ(snapshot.bucket[1].cumulative_count, 3u);
  EXPECT_EQ(snapshot.bucket[2].cumulative_count, 4u);
  EXPECT_EQ(snapshot.bucket[3].cumulative_count, 5u);
  EXPECT_TRUE(std::isinf(snapshot.bucket[3].upper_bound));
  EXPECT_EQ(snapshot.sample_count, 5u);
  EXPECT_NEAR(snapshot.sample_sum, 0.0005 + 0.001 + 0.005 + 0.05 + 2.0, 1e-9);
}

TEST(LatencyHistogramTest, ConcurrentObservationsAreAllCounted) {
  LatencyHistogram histogram;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kPerThread; ++i) histogram.Observe(1e-4 * (t + 1));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(histogram.count(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_NEAR(histogram.Snapshot().sample_sum, kPerThread * 1e-4 * (1 + 2 + 3 + 4), 1e-6);
}

TEST(RpcMetricsTest, RendersOneHistogramPerMethod) {
  RpcMetrics metrics("mbrl.v1.Test", {"Insert", "Info"});
  metrics.method("Insert").Observe(0.002);
  metrics.method("Insert").Observe(0.004);
  metrics.method("Info").Observe(0.0001);
  const std::vector<prometheus::MetricFamily> families = metrics.Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name, "mbrl_rpc_latency_seconds");
  EXPECT_EQ(families[0].type, prometheus::MetricType::Histogram);
  ASSERT_EQ(families[0].metric.size(), 2u);
  EXPECT_EQ(families[0].metric[0].histogram.sample_count, 2u);
  EXPECT_EQ(families[0].metric[1].histogram.sample_count, 1u);
}

TEST(RpcMetricsDeathTest, UnknownMethodIsAProgrammingError) {
  RpcMetrics metrics("mbrl.v1.Test", {"Insert"});
  EXPECT_DEATH(metrics.method("Sample"), "has no method 'Sample'");
}

class FixedCollectable : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily items = GaugeFamily("mbrl_test_items", "Items.");
    AddSample(items, 42, {{"table", "real"}});
    prometheus::MetricFamily inserts = CounterFamily("mbrl_test_inserts_total", "Inserts.");
    AddSample(inserts, 7);
    return {items, inserts};
  }
};

TEST(MetricsExporterTest, ServesRegisteredCollectablesOverHttp) {
  absl::StatusOr<std::unique_ptr<MetricsExporter>> exporter =
      MetricsExporter::Create("127.0.0.1:0");
  ASSERT_THAT(exporter, IsOk());
  ASSERT_GT((*exporter)->port(), 0);
  auto rpc = std::make_shared<RpcMetrics>("mbrl.v1.Test", std::vector<std::string>{"Insert"});
  rpc->method("Insert").Observe(0.003);
  (*exporter)->Register(rpc);
  (*exporter)->Register(std::make_shared<FixedCollectable>());

  absl::StatusOr<std::string> text = ScrapeMetrics((*exporter)->port());
  ASSERT_THAT(text, IsOk());
  EXPECT_THAT(*text, HasSubstr("# TYPE mbrl_rpc_latency_seconds histogram"));
  EXPECT_THAT(*text, HasSubstr("# TYPE mbrl_test_inserts_total counter"));
  EXPECT_THAT(MetricValue(*text, "mbrl_test_items{table=\"real\"}"), IsOkAndHolds(42));
  EXPECT_THAT(MetricValue(*text, "mbrl_test_inserts_total"), IsOkAndHolds(7));
  EXPECT_THAT(MetricValue(*text,
                          "mbrl_rpc_latency_seconds_count{method=\"Insert\",service=\"mbrl.v1."
                          "Test\"}"),
              IsOkAndHolds(1));
  EXPECT_THAT(MetricValue(*text,
                          "mbrl_rpc_latency_seconds_bucket{method=\"Insert\",service=\"mbrl.v1."
                          "Test\",le=\"0.005\"}"),
              IsOkAndHolds(1));
  EXPECT_THAT(MetricValue(*text,
                          "mbrl_rpc_latency_seconds_bucket{method=\"Insert\",service=\"mbrl.v1."
                          "Test\",le=\"0.0025\"}"),
              IsOkAndHolds(0));
  EXPECT_THAT(*text, HasSubstr("mbrl_build_info{"));
}

TEST(MetricsExporterTest, ReportsAPortInUse) {
  absl::StatusOr<std::unique_ptr<MetricsExporter>> first = MetricsExporter::Create("127.0.0.1:0");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(MetricsExporter::Create("127.0.0.1:" + std::to_string((*first)->port())),
              ::mbrl::testing::StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace mbrl
