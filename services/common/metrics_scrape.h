// Fetches the Prometheus text exposition from http://127.0.0.1:PORT/metrics (tests, and `mbrl
// local`, which serves its children's metrics merged).
#ifndef MBRL_SERVICES_COMMON_METRICS_SCRAPE_H_
#define MBRL_SERVICES_COMMON_METRICS_SCRAPE_H_

#include <string>

#include "absl/status/statusor.h"

namespace mbrl::testing {

// The body of GET `path` (5 s timeout). UNAVAILABLE if nothing answers, INTERNAL (with the
// status line) for a non-200 response.
absl::StatusOr<std::string> ScrapeMetrics(int port, const std::string& path = "/metrics");

// The value of the first sample line that starts with `series` (e.g.
// `mbrl_replay_items{table="real"}`), or NOT_FOUND.
absl::StatusOr<double> MetricValue(const std::string& exposition, const std::string& series);

}  // namespace mbrl::testing

#endif  // MBRL_SERVICES_COMMON_METRICS_SCRAPE_H_
