// `mbrl plot --run=DIR [--run=DIR2 ...] --out=FILE.png`: learning curves of training runs
// without a cluster: evaluation return against real steps and against wall-clock time, the runs
// overlaid (cli/learning_curves.h; gnuplot from Debian's gnuplot-nox).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "cli/learning_curves.h"
#include "cli/shared_flags.h"
#include "cli/subcommands.h"

ABSL_FLAG(std::vector<std::string>, run, {},
          "A run's output directory (holding progress.csv); repeat --run to overlay runs.");

namespace mbrl::cli {
namespace {

int RunPlot(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl plot: takes no arguments (give runs with --run=DIR)\n";
    return kExitUsage;
  }
  const std::vector<std::string> runs = absl::GetFlag(FLAGS_run);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (runs.empty() || out.empty()) {
    std::cerr << "mbrl plot: give at least one --run=DIR and --out=FILE.png\n";
    return kExitUsage;
  }
  if (!absl::EndsWithIgnoreCase(out, ".png")) {
    std::cerr << "mbrl plot: --out must name a .png file, got '" << out << "'\n";
    return kExitUsage;
  }
  std::vector<LearningCurve> curves;
  for (const std::string& run : runs) {
    absl::StatusOr<LearningCurve> curve = ReadLearningCurve(run);
    if (!curve.ok()) {
      std::cerr << "mbrl plot: " << curve.status().message() << "\n";
      return kExitFailure;
    }
    curves.push_back(*std::move(curve));
  }
  if (absl::Status status = PlotLearningCurves(curves, out); !status.ok()) {
    std::cerr << "mbrl plot: " << status.message() << "\n";
    return kExitFailure;
  }
  size_t points = 0;
  for (const LearningCurve& curve : curves) points += curve.eval_return.size();
  std::cout << "wrote " << out << " (" << curves.size() << " run(s), " << points
            << " evaluations)\n";
  return kExitOk;
}

}  // namespace

Subcommand PlotSubcommand() {
  return {
      /*name=*/"plot",
      /*arguments=*/"",
      /*summary=*/"Draw learning curves of runs (progress.csv) into a PNG.",
      .details =
          "Plots eval_return against real_steps and against wall_seconds from each run's\n"
          "progress.csv, one line per run, with gnuplot (Debian's gnuplot-nox):\n"
          "  mbrl plot --run=runs/a --run=runs/b --out=curves.png\n"
          "Exit code 0 on success, 1 if a run cannot be read or plotted, 2 on bad usage.",
      /*flags=*/{"run", "out"},
      /*run=*/RunPlot,
  };
}

}  // namespace mbrl::cli
