#include "services/common/metrics.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/version.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"

namespace mbrl {

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Create(
    const std::string& address) {
  std::unique_ptr<MetricsExporter> exporter(new MetricsExporter());
  try {
    exporter->exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on '", address, "': ", e.what()));
  }
  const std::vector<int> ports = exporter->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on '", address, "'"));
  }
  exporter->port_ = ports.front();
  exporter->registry_ = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge()
      .Name("mbrl_build_info")
      .Help("Always 1; the labels name the running build.")
      .Register(*exporter->registry_)
      .Add({{"version", kMbrlVersion}, {"protocol", kProtocolPackage}})
      .Set(1);
  exporter->exposer_->RegisterCollectable(exporter->registry_);
  return exporter;
}

MetricsExporter::~MetricsExporter() {
  // Stop serving before the collectables go away.
  exposer_.reset();
}

void MetricsExporter::Register(std::shared_ptr<prometheus::Collectable> collectable) {
  exposer_->RegisterCollectable(collectable);
  absl::MutexLock lock(&mu_);
  collectables_.push_back(std::move(collectable));
}

std::vector<double> DefaultLatencyBuckets() {
  return {50e-6, 100e-6, 250e-6, 500e-6, 1e-3,   2.5e-3, 5e-3, 10e-3,
          25e-3, 50e-3,  100e-3, 250e-3, 500e-3, 1.0,    2.5,  10.0};
}

LatencyHistogram::LatencyHistogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 1; i < upper_bounds_.size(); ++i) {
    MBRL_CHECK(upper_bounds_[i - 1] < upper_bounds_[i]) << "bucket bounds must increase";
  }
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void LatencyHistogram::Observe(double seconds) {
  const size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), seconds) - upper_bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  const double nanos = std::clamp(seconds * 1e9, -9e18, 9e18);
  sum_nanos_.fetch_add(static_cast<int64_t>(std::llround(nanos)), std::memory_order_relaxed);
}

uint64_t LatencyHistogram::count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
  }
  return total;
}

prometheus::ClientMetric::Histogram LatencyHistogram::Snapshot() const {
  prometheus::ClientMetric::Histogram histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound =
        i < upper_bounds_.size() ? upper_bounds_[i] : std::numeric_limits<double>::infinity();
    histogram.bucket.push_back(bucket);
  }
  histogram.sample_count = cumulative;
  histogram.sample_sum = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) * 1e-9;
  return histogram;
}

RpcMetrics::RpcMetrics(std::string service, const std::vector<std::string>& methods)
    : service_(std::move(service)) {
  for (const std::string& name : methods) {
    histograms_.emplace_back(name, std::make_unique<LatencyHistogram>());
  }
}

LatencyHistogram& RpcMetrics::method(absl::string_view method) {
  for (auto& [name, histogram] : histograms_) {
    if (name == method) return *histogram;
  }
  MBRL_LOG(FATAL) << "RpcMetrics of " << service_ << " has no method '" << method << "'";
  abort();
}

std::vector<prometheus::MetricFamily> RpcMetrics::Collect() const {
  prometheus::MetricFamily family;
  family.name = "mbrl_rpc_latency_seconds";
  family.help =
      "Time from a request to its response: a unary call's duration, or per message on a "
      "stream (e.g. an insert request to its durable acknowledgement).";
  family.type = prometheus::MetricType::Histogram;
  for (const auto& [name, histogram] : histograms_) {
    prometheus::ClientMetric metric;
    metric.label = {{"method", name}, {"service", service_}};
    metric.histogram = histogram->Snapshot();
    family.metric.push_back(std::move(metric));
  }
  return {std::move(family)};
}

prometheus::MetricFamily GaugeFamily(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  return family;
}

prometheus::MetricFamily CounterFamily(std::string name, std::string help) {
  prometheus::MetricFamily family = GaugeFamily(std::move(name), std::move(help));
  family.type = prometheus::MetricType::Counter;
  return family;
}

void AddSample(prometheus::MetricFamily& family, double value, const MetricLabels& labels) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
  if (family.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

}  // namespace mbrl
