// `mbrl`: the one binary. Dispatches to the subcommands listed in AllSubcommands().
#include <iostream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cli/subcommand.h"
#include "cli/subcommands.h"

namespace {

std::vector<mbrl::cli::Subcommand> AllSubcommands() {
  return {
      mbrl::cli::VersionSubcommand(),      mbrl::cli::ConfigCheckSubcommand(),
      mbrl::cli::EnvListSubcommand(),      mbrl::cli::BenchEnvSubcommand(),
      mbrl::cli::EnvServerSubcommand(),    mbrl::cli::PlotSubcommand(),
      mbrl::cli::ReplaySubcommand(),       mbrl::cli::BenchReplaySubcommand(),
      mbrl::cli::TrainSubcommand(),        mbrl::cli::BenchImagineSubcommand(),
      mbrl::cli::ModelLearnerSubcommand(), mbrl::cli::PolicyLearnerSubcommand(),
      mbrl::cli::EnvActorSubcommand(),     mbrl::cli::ImagineSubcommand(),
      mbrl::cli::LocalSubcommand(),
  };
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil builds with mutex deadlock detection on: a lock-order graph update on every
  // acquisition of a contended mutex. The tests keep it (they catch lock-order bugs); the
  // production binary does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::vector<mbrl::cli::Subcommand> table = AllSubcommands();
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<mbrl::cli::Invocation> invocation = mbrl::cli::Parse(table, args);
  if (!invocation.ok()) {
    std::cerr << invocation.status().message() << "\n";
    return mbrl::cli::kExitUsage;
  }
  if (invocation->subcommand == nullptr) {
    mbrl::cli::PrintOverview(table, std::cout);
    return args.empty() ? mbrl::cli::kExitUsage : mbrl::cli::kExitOk;
  }
  if (invocation->help) {
    mbrl::cli::PrintSubcommandHelp(*invocation->subcommand, std::cout);
    return mbrl::cli::kExitOk;
  }
  return invocation->subcommand->run(invocation->positional);
}
