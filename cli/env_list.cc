// `mbrl env list`: the registered environments (the names EnvConfig.name accepts).
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "actors/envs/registry.h"
#include "cli/subcommands.h"

namespace mbrl::cli {
namespace {

int RunEnvList(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl env list: takes no arguments\n";
    return kExitUsage;
  }
  std::cout << absl::StrFormat("%-22s %8s %8s\n", "name", "obs_dim", "act_dim");
  int exit_code = kExitOk;
  for (const std::string& name : envs::RegisteredEnvNames()) {
    v1::EnvConfig config;
    config.set_name(name);
    absl::StatusOr<std::unique_ptr<envs::Env>> env = envs::MakeEnv(config);
    if (!env.ok()) {
      std::cerr << name << ": " << env.status().message() << "\n";
      exit_code = kExitFailure;
      continue;
    }
    const envs::EnvSpec& spec = (*env)->spec();
    std::cout << absl::StrFormat("%-22s %8d %8d\n", name, spec.observation.dim, spec.action.dim);
  }
  return exit_code;
}

}  // namespace

Subcommand EnvListSubcommand() {
  return {
      /*name=*/"env list",
      /*arguments=*/"",
      /*summary=*/"List the registered environments with their observation and action sizes.",
      /*details=*/
      "These are the names EnvConfig.name accepts (actors/envs/registry.h). Any of them can\n"
      "also be served to remote actors with `mbrl env-server --env=NAME`.",
      /*flags=*/{},
      /*run=*/RunEnvList,
  };
}

}  // namespace mbrl::cli
