// The `mbrl` command line: a table of subcommands, each with the absl flags it accepts.
//
// Flags are defined (ABSL_FLAG) only in the cli/*.cc file of the subcommand that reads them.
// Parse() accepts a flag only if the chosen subcommand lists it, so `mbrl version --config=x`
// is a usage error instead of a silently ignored flag.
#ifndef MBRL_CLI_SUBCOMMAND_H_
#define MBRL_CLI_SUBCOMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace mbrl::cli {

// Process exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the work failed (I/O, a peer, a runtime error)
inline constexpr int kExitUsage = 2;    // bad command line or bad config

struct Subcommand {
  // One or more words, e.g. "version" or "config check".
  std::string name;
  // Arguments after the name, for the usage line, e.g. "FILE...".
  std::string arguments;
  // One line for the overview.
  std::string summary;
  // Longer help (may be empty).
  std::string details;
  // Names of the absl flags (defined in the subcommand's file) it accepts.
  std::vector<std::string> flags;
  // Runs with the positional arguments; flags are already set. Returns an exit code.
  std::function<int(const std::vector<std::string>& args)> run;
};

// The result of matching argv against the table.
struct Invocation {
  const Subcommand* subcommand = nullptr;  // null: print the overview
  bool help = false;                       // --help / -h / `mbrl help NAME`
  std::vector<std::string> positional;
};

// Matches the longest subcommand name at the start of `args` (argv without the program name),
// then parses the remaining flags into their absl flags:
//   --name=value, --name value, --bool_flag, --nobool_flag, and `--` to end flags.
// A list flag (std::vector<std::string>) takes comma-separated values, and repeating it
// appends: `--run=a --run=b,c` is {a, b, c}. Any other flag given twice keeps the last value.
// INVALID_ARGUMENT (with a message for the user) for an unknown subcommand, a flag the
// subcommand does not accept, a missing or unparsable value.
absl::StatusOr<Invocation> Parse(absl::Span<const Subcommand> table,
                                 const std::vector<std::string>& args);

// `mbrl` overview: usage and one line per subcommand.
void PrintOverview(absl::Span<const Subcommand> table, std::ostream& out);
// One subcommand: usage, details, and each flag with its default and help text.
void PrintSubcommandHelp(const Subcommand& subcommand, std::ostream& out);

}  // namespace mbrl::cli

#endif  // MBRL_CLI_SUBCOMMAND_H_
