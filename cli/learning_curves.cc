#include "cli/learning_curves.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace mbrl::cli {
namespace {

constexpr char kStepsColumn[] = "real_steps";
constexpr char kWallColumn[] = "wall_seconds";
constexpr char kReturnColumn[] = "eval_return";

absl::Status ErrnoError(int error, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(what, ": ", std::strerror(error)));
}

std::string Basename(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A gnuplot double-quoted string.
std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

// Wall-clock axis unit so that the numbers stay readable.
struct TimeUnit {
  double seconds;
  const char* name;
};
TimeUnit ChooseTimeUnit(absl::Span<const LearningCurve> curves) {
  double longest = 0;
  for (const LearningCurve& curve : curves) {
    for (double t : curve.wall_seconds) longest = std::max(longest, t);
  }
  if (longest >= 3 * 3600) return {3600, "hours"};
  if (longest >= 5 * 60) return {60, "minutes"};
  return {1, "seconds"};
}

// Runs `gnuplot script_path`; gnuplot's stdout and stderr come back in `output`.
absl::Status RunGnuplot(const std::string& script_path, std::string& output) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return ErrnoError(errno, "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::string program = "gnuplot";
  std::vector<char*> argv = {program.data(), const_cast<char*>(script_path.c_str()), nullptr};
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawn_error != 0) {
    close(pipe_fds[0]);
    if (spawn_error == ENOENT) {
      return absl::FailedPreconditionError(
          "gnuplot is not installed: install Debian's gnuplot-nox (`./mbrl setup` does)");
    }
    return ErrnoError(spawn_error, "cannot start gnuplot");
  }
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoError(errno, "waitpid(gnuplot)");
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return absl::InternalError(absl::StrCat("gnuplot failed: ", output));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LearningCurve> ReadLearningCurve(const std::string& run_dir) {
  const std::string path = absl::StrCat(absl::StripSuffix(run_dir, "/"), "/progress.csv");
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, " (is ", run_dir,
                                            " the output directory of a training run?)"));
  }
  std::string line;
  if (!std::getline(file, line))
    return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  const std::vector<std::string> header = absl::StrSplit(absl::StripSuffix(line, "\r"), ',');
  int columns[3];
  const char* names[3] = {kStepsColumn, kWallColumn, kReturnColumn};
  for (int i = 0; i < 3; ++i) {
    const auto it = std::find(header.begin(), header.end(), names[i]);
    if (it == header.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":1: no column '", names[i], "' (columns: ", absl::StrJoin(header, ","), ")"));
    }
    columns[i] = static_cast<int>(it - header.begin());
  }
  LearningCurve curve;
  curve.label = Basename(run_dir);
  int line_number = 1;
  while (std::getline(file, line)) {
    ++line_number;
    line = std::string(absl::StripSuffix(line, "\r"));
    if (line.empty()) continue;
    const std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (cells.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %d cells, the header has %d", path,
                                                        line_number, cells.size(), header.size()));
    }
    double values[3];
    for (int i = 0; i < 3; ++i) {
      const std::string& cell = cells[columns[i]];
      if (cell.empty()) {
        values[i] = std::numeric_limits<double>::quiet_NaN();
      } else if (!absl::SimpleAtod(cell, &values[i]) || std::isinf(values[i])) {
        return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s '%s' is not a finite number",
                                                          path, line_number, names[i], cell));
      }
    }
    if (std::isnan(values[2])) continue;  // not evaluated this iteration
    if (std::isnan(values[0]) || std::isnan(values[1])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: an evaluated row needs real_steps and wall_seconds", path, line_number));
    }
    curve.real_steps.push_back(values[0]);
    curve.wall_seconds.push_back(values[1]);
    curve.eval_return.push_back(values[2]);
  }
  if (file.bad()) return ErrnoError(errno, absl::StrCat("reading ", path));
  if (curve.eval_return.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no row has an eval_return yet (nothing to plot)"));
  }
  return curve;
}

std::string LearningCurvesScript(absl::Span<const LearningCurve> curves,
                                 const std::string& png_path, int width, int height) {
  const TimeUnit unit = ChooseTimeUnit(curves);
  std::ostringstream script;
  script << "set terminal pngcairo noenhanced size " << width << "," << height << " font \",10\"\n"
         << "set output " << Quoted(png_path) << "\n"
         << "set datafile separator \",\"\n";
  for (size_t i = 0; i < curves.size(); ++i) {
    script << "$run" << i << " << EOD\n";
    for (size_t j = 0; j < curves[i].eval_return.size(); ++j) {
      script << absl::StrFormat("%.17g,%.17g,%.17g\n", curves[i].real_steps[j],
                                curves[i].wall_seconds[j], curves[i].eval_return[j]);
    }
    script << "EOD\n";
  }
  script << "set multiplot layout 1,2 title \"Evaluation return\"\n"
         << "set grid\nset key bottom right\nset ylabel \"evaluation return\"\n";
  const auto plot = [&](const std::string& x) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < curves.size(); ++i) {
      lines.push_back(absl::StrCat("$run", i, " using ", x,
                                   ":3 with linespoints pt 7 ps 0.5 title ",
                                   Quoted(curves[i].label)));
    }
    script << "plot " << absl::StrJoin(lines, ", \\\n     ") << "\n";
  };
  script << "set xlabel \"real environment steps\"\n";
  plot("1");
  script << "set xlabel \"wall-clock time (" << unit.name << ")\"\n";
  plot(absl::StrCat("($2/", unit.seconds, ")"));
  script << "unset multiplot\nunset output\n";
  return script.str();
}

absl::Status PlotLearningCurves(absl::Span<const LearningCurve> curves, const std::string& png_path,
                                int width, int height) {
  if (curves.empty()) return absl::InvalidArgumentError("no runs to plot");
  // Fail early, with the reason, if the output cannot be written (gnuplot would only warn).
  if (std::FILE* out = std::fopen(png_path.c_str(), "wb")) {
    std::fclose(out);
  } else {
    return ErrnoError(errno, absl::StrCat("cannot write ", png_path));
  }
  const char* tmpdir = std::getenv("TMPDIR");
  std::string script_template =
      absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp", "/mbrl-plot-XXXXXX.gp");
  const int fd = mkstemps(script_template.data(), 3);
  if (fd < 0) return ErrnoError(errno, "cannot create a temporary gnuplot script");
  const std::string script = LearningCurvesScript(curves, png_path, width, height);
  const bool written =
      write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size());
  const int write_error = errno;
  close(fd);
  absl::Status status =
      written ? absl::OkStatus() : ErrnoError(write_error, "cannot write the gnuplot script");
  std::string output;
  if (status.ok()) status = RunGnuplot(script_template, output);
  unlink(script_template.c_str());
  if (!status.ok()) return status;
  std::ifstream png(png_path, std::ios::binary | std::ios::ate);
  if (!png || png.tellg() <= 0) {
    return absl::InternalError(absl::StrCat("gnuplot wrote no image to ", png_path, ": ", output));
  }
  return absl::OkStatus();
}

}  // namespace mbrl::cli
