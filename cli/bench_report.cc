#include "cli/bench_report.h"

#include "absl/strings/str_format.h"
#include "cli/subcommand.h"

namespace mbrl::cli {

int ReportBenchResults(absl::string_view command, const absl::StatusOr<NameValues>& results,
                       std::ostream& out, std::ostream& err) {
  if (!results.ok()) {
    err << command << ": " << results.status().message() << "\n";
    const absl::StatusCode code = results.status().code();
    return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound
               ? kExitUsage
               : kExitFailure;
  }
  std::string last_line;
  for (const auto& [name, value] : *results) {
    absl::StrAppendFormat(&last_line, "%s%s=%.6g", last_line.empty() ? "" : " ", name, value);
  }
  out << last_line << "\n";
  return kExitOk;
}

}  // namespace mbrl::cli
