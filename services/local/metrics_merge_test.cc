#include "services/local/metrics_merge.h"

#include <map>
#include <memory>
#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "services/common/metrics.h"
#include "services/common/metrics_scrape.h"

namespace mbrl::local {
namespace {

using ::mbrl::testing::StatusIs;

// What a role's exporter serves: a counter with labels, a gauge, a histogram.
std::string Exposition(double steps, double version, double latency) {
  auto exporter = MetricsExporter::Create("127.0.0.1:0").value();
  auto rpc = std::make_shared<RpcMetrics>("mbrl.v1.Test", std::vector<std::string>{"Call"});
  rpc->method("Call").Observe(latency);
  exporter->Register(rpc);
  class Role : public prometheus::Collectable {
   public:
    Role(double steps, double version) : steps_(steps), version_(version) {}
    std::vector<prometheus::MetricFamily> Collect() const override {
      prometheus::MetricFamily counter = CounterFamily("mbrl_env_steps_total", "Steps.");
      AddSample(counter, steps_, {{"source", "real"}});
      prometheus::MetricFamily gauge = GaugeFamily("mbrl_policy_version", "Version.");
      AddSample(gauge, version_);
      return {counter, gauge};
    }

   private:
    double steps_, version_;
  };
  exporter->Register(std::make_shared<Role>(steps, version));
  return exporter->Render();
}

std::map<std::string, prometheus::MetricFamily> ByName(
    const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, prometheus::MetricFamily> out;
  for (const auto& family : families) out[family.name] = family;
  return out;
}

TEST(MetricsMergeTest, ParsesWhatTheExporterWrites) {
  const std::string text = Exposition(200, 3, 0.002);
  MBRL_ASSERT_OK_AND_ASSIGN(auto families, ParseExposition(text));
  auto by_name = ByName(families);
  ASSERT_EQ(by_name.count("mbrl_env_steps_total"), 1u);
  EXPECT_EQ(by_name["mbrl_env_steps_total"].type, prometheus::MetricType::Counter);
  EXPECT_EQ(by_name["mbrl_env_steps_total"].metric[0].counter.value, 200);
  EXPECT_EQ(by_name["mbrl_env_steps_total"].metric[0].label[0].value, "real");
  EXPECT_EQ(by_name["mbrl_policy_version"].metric[0].gauge.value, 3);
  const auto& latency = by_name["mbrl_rpc_latency_seconds"];
  ASSERT_EQ(latency.type, prometheus::MetricType::Histogram);
  ASSERT_EQ(latency.metric.size(), 1u);
  EXPECT_EQ(latency.metric[0].histogram.sample_count, 1u);
  EXPECT_NEAR(latency.metric[0].histogram.sample_sum, 0.002, 1e-9);
  EXPECT_EQ(latency.metric[0].histogram.bucket.back().cumulative_count, 1u);
  // Serialized again, it is the same text (what the roles served).
  prometheus::TextSerializer serializer;
  std::vector<prometheus::MetricFamily> without_info;
  for (const auto& family : families) {
    if (family.name != "mbrl_build_info") without_info.push_back(family);
  }
  const std::string again = serializer.Serialize(without_info);
  EXPECT_NE(again.find("mbrl_env_steps_total{source=\"real\"} 200"), std::string::npos) << again;
  EXPECT_NE(again.find("le=\"+Inf\"} 1"), std::string::npos) << again;
}

TEST(MetricsMergeTest, SumsCountersAndHistogramsAndTakesTheLargestGauge) {
  MBRL_ASSERT_OK_AND_ASSIGN(auto a, ParseExposition(Exposition(200, 3, 0.002)));
  MBRL_ASSERT_OK_AND_ASSIGN(auto b, ParseExposition(Exposition(50, 7, 0.5)));
  auto merged = ByName(MergeFamilies({a, b}, {"mbrl_build_info"}));
  EXPECT_EQ(merged.count("mbrl_build_info"), 0u);
  EXPECT_EQ(merged["mbrl_env_steps_total"].metric[0].counter.value, 250);
  EXPECT_EQ(merged["mbrl_policy_version"].metric[0].gauge.value, 7);
  const auto& histogram = merged["mbrl_rpc_latency_seconds"].metric[0].histogram;
  EXPECT_EQ(histogram.sample_count, 2u);
  EXPECT_NEAR(histogram.sample_sum, 0.502, 1e-9);
  EXPECT_EQ(histogram.bucket.back().cumulative_count, 2u);
}

TEST(MetricsMergeTest, MalformedTextIsAnError) {
  EXPECT_THAT(ParseExposition("# TYPE x fancy\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseExposition("x{a=\"unterminated} 1\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseExposition("x notanumber\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MetricsMergeTest, MergedMetricsScrapesLivePortsAndSkipsDeadOnes) {
  auto first = MetricsExporter::Create("127.0.0.1:0").value();
  auto second = MetricsExporter::Create("127.0.0.1:0").value();
  for (MetricsExporter* exporter : {first.get(), second.get()}) {
    class Steps : public prometheus::Collectable {
      std::vector<prometheus::MetricFamily> Collect() const override {
        prometheus::MetricFamily counter = CounterFamily("mbrl_env_steps_total", "Steps.");
        AddSample(counter, 10, {{"source", "imagined"}});
        return {counter};
      }
    };
    exporter->Register(std::make_shared<Steps>());
  }
  const std::vector<int> ports = {first->port(), second->port(), 1};
  MergedMetrics merged([ports] { return ports; });
  auto families = ByName(merged.Collect());
  EXPECT_EQ(families["mbrl_env_steps_total"].metric[0].counter.value, 20);
  EXPECT_EQ(families.count("mbrl_build_info"), 0u);
}

}  // namespace
}  // namespace mbrl::local
