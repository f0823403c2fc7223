// The one way `mbrl bench ...` subcommands end: an error on stderr with its exit code, or the
// results as the last stdout line of `name=value` pairs (`%.6g`, space-separated).
#ifndef MBRL_CLI_BENCH_REPORT_H_
#define MBRL_CLI_BENCH_REPORT_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mbrl::cli {

using NameValues = std::vector<std::pair<std::string, double>>;

// Prints `results` (or "COMMAND: error message" to `err`) and returns the exit code: 0, 2 for
// INVALID_ARGUMENT / NOT_FOUND (bad flags), 1 otherwise.
int ReportBenchResults(absl::string_view command, const absl::StatusOr<NameValues>& results,
                       std::ostream& out, std::ostream& err);

}  // namespace mbrl::cli

#endif  // MBRL_CLI_BENCH_REPORT_H_
