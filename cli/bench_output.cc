#include "cli/bench_output.h"

#include "absl/strings/str_format.h"
#include "cli/subcommand.h"

namespace mbrl::cli {

int ReportBenchResults(const std::string& subcommand,
                       const absl::StatusOr<std::vector<std::pair<std::string, double>>>& results,
                       std::ostream& out, std::ostream& err) {
  if (!results.ok()) {
    err << "mbrl " << subcommand << ": " << results.status().message() << "\n";
    return absl::IsInvalidArgument(results.status()) ? kExitUsage : kExitFailure;
  }
  std::string line;
  for (const auto& [name, value] : *results) {
    absl::StrAppendFormat(&line, "%s%s=%.6g", line.empty() ? "" : " ", name, value);
  }
  out << line << "\n";
  return kExitOk;
}

}  // namespace mbrl::cli
