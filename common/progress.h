// One progress line per iteration on the terminal, and the same row in a CSV file.
//
//   MBRL_ASSIGN_OR_RETURN(auto log, ProgressLog::Create({"iteration", "real_steps", ...},
//                                                      out_dir + "/progress.csv", &std::cout));
//   MBRL_RETURN_IF_ERROR(log->Write({12, 52000, ...}));
//
// Terminal: `iteration=12 real_steps=52000 eval_return=-312.4 ...` (integers printed whole,
// other values with 4 significant digits, missing values (NaN) as `-`).
// CSV: a header row, then one row per Write with full precision; NaN is written as an empty
// cell. Not thread-safe: one writer.
#ifndef MBRL_COMMON_PROGRESS_H_
#define MBRL_COMMON_PROGRESS_H_

#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace mbrl {

class ProgressLog {
 public:
  enum class Mode {
    kTruncate,  // start a new CSV file
    kAppend,    // continue an existing file (resume); its header must equal `columns`
  };

  // `columns` must be non-empty, unique, and contain no ',' or newline. `csv_path` may be empty
  // (terminal only); its directory must exist. `terminal` may be null (CSV only); it must
  // outlive the log. Errors: INVALID_ARGUMENT for bad columns, FAILED_PRECONDITION for a
  // header mismatch on append, the errno-derived code if the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<ProgressLog>> Create(std::vector<std::string> columns,
                                                             const std::string& csv_path,
                                                             std::ostream* terminal,
                                                             Mode mode = Mode::kTruncate);
  ~ProgressLog();

  // Writes one row (flushed to disk before returning). INVALID_ARGUMENT if `values` does not
  // have one entry per column; the errno-derived code if the write fails.
  absl::Status Write(absl::Span<const double> values);

  // The terminal form of one row, without a newline.
  std::string FormatLine(absl::Span<const double> values) const;

  const std::vector<std::string>& columns() const { return columns_; }

 private:
  ProgressLog(std::vector<std::string> columns, std::FILE* csv, std::ostream* terminal);

  std::vector<std::string> columns_;
  std::FILE* csv_;  // owned; null when there is no CSV
  std::ostream* terminal_;
};

// Formats a value for humans: whole numbers without a fraction, others with 4 significant
// digits, NaN as "-".
std::string FormatProgressValue(double value);

}  // namespace mbrl

#endif  // MBRL_COMMON_PROGRESS_H_
