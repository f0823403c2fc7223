// Learning curves from training runs' progress.csv files, drawn with gnuplot (Debian's
// gnuplot-nox) for `mbrl plot`: evaluation return against real environment steps and against
// wall-clock time, one line per run.
//
//   MBRL_ASSIGN_OR_RETURN(LearningCurve run, ReadLearningCurve("runs/pendulum_mbmpo"));
//   MBRL_RETURN_IF_ERROR(PlotLearningCurves({run, ...}, "curves.png"));
//
// progress.csv (common/progress.h) has a header row naming its columns, of which these are read:
// real_steps, wall_seconds, eval_return. An empty cell is a missing value (NaN): rows without an
// eval_return (iterations that did not evaluate) are skipped.
#ifndef MBRL_CLI_LEARNING_CURVES_H_
#define MBRL_CLI_LEARNING_CURVES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace mbrl::cli {

struct LearningCurve {
  std::string label;  // the run directory's name
  // One entry per evaluated iteration, in file order.
  std::vector<double> real_steps;
  std::vector<double> wall_seconds;
  std::vector<double> eval_return;
};

// Reads `run_dir`/progress.csv. Errors: NOT_FOUND if the file is missing; INVALID_ARGUMENT
// (naming FILE:LINE) for a missing column, a row with the wrong number of cells, a cell that is
// not a number, or a file without any evaluated row.
absl::StatusOr<LearningCurve> ReadLearningCurve(const std::string& run_dir);

// The gnuplot script that draws `curves` side by side (vs real steps, vs wall-clock) into a
// `width` x `height` PNG at `png_path`. The data is inlined; the script reads no other file.
std::string LearningCurvesScript(absl::Span<const LearningCurve> curves,
                                 const std::string& png_path, int width, int height);

// Writes the plot with the `gnuplot` found on PATH; blocks until gnuplot exits.
// Errors: INVALID_ARGUMENT for no curves; the errno-derived code if `png_path` cannot be
// written; FAILED_PRECONDITION if gnuplot is not installed; INTERNAL with gnuplot's messages if
// it fails.
absl::Status PlotLearningCurves(absl::Span<const LearningCurve> curves, const std::string& png_path,
                                int width = 1400, int height = 500);

}  // namespace mbrl::cli

#endif  // MBRL_CLI_LEARNING_CURVES_H_
