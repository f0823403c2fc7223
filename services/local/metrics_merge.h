// Merging the Prometheus metrics of several processes into one exposition, for `mbrl local`,
// which serves its children's metrics on its own --metrics_port (one scrape target for the
// whole topology, as the deploy checks and a laptop Prometheus expect).
//
// Merge rule, per metric family and label set: counters, histograms and untyped samples are
// summed (steps, returns and latencies of N env actors add up); gauges take the largest value
// (versions: the learner's newest; shard sizes carry a `shard` label and never collide). A
// child that restarts starts its counters from zero again, which Prometheus' rate() reads as a
// counter reset.
#ifndef MBRL_SERVICES_LOCAL_METRICS_MERGE_H_
#define MBRL_SERVICES_LOCAL_METRICS_MERGE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace mbrl::local {

// Parses the Prometheus text format (0.0.4) as prometheus-cpp writes it: # HELP / # TYPE
// lines, then samples `name{label="value",...} value`. Histograms become one ClientMetric per
// label set (buckets from the `_bucket` samples, `_sum`, `_count`). INVALID_ARGUMENT naming the
// line for anything else.
absl::StatusOr<std::vector<prometheus::MetricFamily>> ParseExposition(absl::string_view text);

// The families of `parts` merged by the rule above (in order of first appearance). Families
// named in `skip` are left out.
std::vector<prometheus::MetricFamily> MergeFamilies(
    const std::vector<std::vector<prometheus::MetricFamily>>& parts,
    const std::vector<std::string>& skip = {});

// A collectable that, at each scrape, fetches http://127.0.0.1:PORT/metrics of every port
// `ports()` returns (children that do not answer are left out) and merges them, without
// `mbrl_build_info` (the serving process has its own). Thread-safe.
class MergedMetrics : public prometheus::Collectable {
 public:
  explicit MergedMetrics(std::function<std::vector<int>()> ports);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<std::vector<int>()> ports_;
};

}  // namespace mbrl::local

#endif  // MBRL_SERVICES_LOCAL_METRICS_MERGE_H_
