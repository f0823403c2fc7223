// Prometheus metrics of every role: the /metrics exporter (prometheus-cpp's pull Exposer), a
// lock-free latency histogram for hot paths, per-RPC latency histograms, and helpers for
// collectables that read a role's own counters at scrape time.
//
// Names follow Prometheus conventions: the `mbrl_` prefix, base units (`_seconds`, `_bytes`),
// `_total` on counters, no high-cardinality labels (never an actor id).
//
// Why not prometheus::Histogram on hot paths: its Observe() takes a mutex per call
// (jupp0r/prometheus-cpp#731). LatencyHistogram::Observe() is a few relaxed atomic adds, and
// its state is rendered only when Prometheus scrapes.
#ifndef MBRL_SERVICES_COMMON_METRICS_H_
#define MBRL_SERVICES_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace mbrl {

// Serves GET /metrics for every registered collectable, plus `mbrl_build_info{version}`.
// Thread-safe.
class MetricsExporter {
 public:
  // Listens on `address` ("0.0.0.0:9464"; port 0 picks a free port).
  // UNAVAILABLE if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<MetricsExporter>> Create(const std::string& address);
  ~MetricsExporter();

  // The bound port.
  int port() const { return port_; }

  // Exposes `collectable` (kept alive by the exporter) at /metrics.
  void Register(std::shared_ptr<prometheus::Collectable> collectable) ABSL_LOCKS_EXCLUDED(mu_);
  // A registry for ordinary prometheus-cpp families (counters and gauges are lock-free there;
  // do not use its Histogram on hot paths).
  prometheus::Registry& registry() { return *registry_; }

 private:
  MetricsExporter() = default;

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  int port_ = 0;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_ ABSL_GUARDED_BY(mu_);
};

// Upper bounds (seconds) from 50 us to 10 s, roughly x2.5 apart: RPC and per-message latencies.
std::vector<double> DefaultLatencyBuckets();

// A histogram with fixed buckets whose Observe() is lock-free and wait-free (relaxed atomics),
// for hot paths. A scrape reads each counter atomically but not all at once, so a scrape that
// races with observations may see the sum and the counts one observation apart.
class LatencyHistogram {
 public:
  // `upper_bounds` strictly increasing; +Inf is implicit.
  explicit LatencyHistogram(std::vector<double> upper_bounds = DefaultLatencyBuckets());

  void Observe(double seconds);
  void Observe(absl::Duration duration) { Observe(absl::ToDoubleSeconds(duration)); }

  // The Prometheus form: cumulative bucket counts, count and sum.
  prometheus::ClientMetric::Histogram Snapshot() const;
  uint64_t count() const;

 private:
  const std::vector<double> upper_bounds_;
  // counts_[i] observations <= upper_bounds_[i] (and > the previous bound); the last is +Inf.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<int64_t> sum_nanos_{0};
};

// `mbrl_rpc_latency_seconds{service, method}`: the time from a request (message) to its response
// (message) — a unary call's duration, or per message on a stream (e.g. a chunk read to its
// durable acknowledgement). The methods are fixed at construction so lookups never lock.
class RpcMetrics : public prometheus::Collectable {
 public:
  RpcMetrics(std::string service, const std::vector<std::string>& methods);

  // The histogram of `method` (one of the constructor's; a programming error otherwise).
  LatencyHistogram& method(absl::string_view method);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string service_;
  std::vector<std::pair<std::string, std::unique_ptr<LatencyHistogram>>> histograms_;
};

// Measures from construction to Stop() (or destruction) into a LatencyHistogram.
class ScopedLatency {
 public:
  explicit ScopedLatency(LatencyHistogram& histogram)
      : histogram_(&histogram), start_(absl::Now()) {}
  ScopedLatency(const ScopedLatency&) = delete;
  ScopedLatency& operator=(const ScopedLatency&) = delete;
  ~ScopedLatency() { Stop(); }
  void Stop() {
    if (histogram_ == nullptr) return;
    histogram_->Observe(absl::Now() - start_);
    histogram_ = nullptr;
  }

 private:
  LatencyHistogram* histogram_;
  absl::Time start_;
};

// Builders for collectables that report a role's own state at scrape time.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;
prometheus::MetricFamily GaugeFamily(std::string name, std::string help);
prometheus::MetricFamily CounterFamily(std::string name, std::string help);
// Appends one sample (a gauge or counter value, by the family's type) with `labels`.
void AddSample(prometheus::MetricFamily& family, double value, const MetricLabels& labels = {});

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_METRICS_H_
