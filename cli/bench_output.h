// The ending every `mbrl bench ...` subcommand shares: the error, or the last line of
// name=value pairs, and the exit code.
#ifndef MBRL_CLI_BENCH_OUTPUT_H_
#define MBRL_CLI_BENCH_OUTPUT_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace mbrl::cli {

// Prints `results` as one line `name=value name=value ...` to `out` and returns kExitOk, or
// prints "mbrl <subcommand>: <error>" to `err` and returns kExitUsage for INVALID_ARGUMENT,
// kExitFailure otherwise.
int ReportBenchResults(const std::string& subcommand,
                       const absl::StatusOr<std::vector<std::pair<std::string, double>>>& results,
                       std::ostream& out, std::ostream& err);

}  // namespace mbrl::cli

#endif  // MBRL_CLI_BENCH_OUTPUT_H_
