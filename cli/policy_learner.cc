// `mbrl policy-learner --config=FILE --checkpoint_dir=DIR`: MB-MPO meta steps / ME-TRPO TRPO
// steps on imagined sample sets, the experiment's schedule, and the progress log
// (services/policy_learner/policy_learner.h).
#include "services/policy_learner/policy_learner.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "actors/envs/registry.h"
#include "cli/role_flags.h"
#include "cli/service_flags.h"
#include "cli/shared_flags.h"
#include "cli/subcommands.h"

namespace mbrl::cli {
namespace {

constexpr int kDefaultPolicyLearnerPort = 50072;

int RunPolicyLearner(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl policy-learner: takes no arguments\n";
    return kExitUsage;
  }
  BlockShutdownSignals();
  absl::StatusOr<v1::ExperimentConfig> config = RoleConfigFromFlags();
  if (!config.ok()) {
    std::cerr << "mbrl policy-learner: " << config.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<envs::Env>> env = envs::MakeEnv(config->env());
  if (!env.ok()) {
    std::cerr << "mbrl policy-learner: " << env.status().message() << "\n";
    return kExitUsage;
  }
  policy_learner::PolicyLearnerOptions options;
  options.checkpoint_dir = CheckpointDirFromFlags();
  options.progress_dir = absl::GetFlag(FLAGS_out);
  if (options.progress_dir.empty()) options.progress_dir = options.checkpoint_dir;
  options.terminal = &std::cout;
  options.threads = ThreadsFromFlags(static_cast<int>(config->topology().learner_threads()));
  absl::StatusOr<std::unique_ptr<policy_learner::PolicyLearner>> learner =
      policy_learner::PolicyLearner::Create(*config, (*env)->spec().observation.dim,
                                            (*env)->spec().action.dim, options);
  if (!learner.ok()) {
    std::cerr << "mbrl policy-learner: " << learner.status() << "\n";
    return kExitFailure;
  }
  policy_learner::PolicyLearner& role = **learner;
  bool drained = true;
  const int code = ServeRole(
      "policy-learner", kDefaultPolicyLearnerPort, {{"mbrl.v1.PolicyLearner", &role}},
      {role.metrics(), role.rpc_metrics()}, [&] { role.Start(); }, [] { return true; },
      [&](absl::Duration timeout) { return role.Stop(timeout); }, &drained);
  if (!drained) ExitNow(code);
  return code;
}

}  // namespace

Subcommand PolicyLearnerSubcommand() {
  std::vector<std::string> flags = {"config", "out"};
  for (const std::string& flag : RoleFlagNames()) flags.push_back(flag);
  for (const std::string& flag : ServerFlagNames()) flags.push_back(flag);
  return {
      /*name=*/"policy-learner",
      /*arguments=*/"",
      /*summary=*/"Take ME-TRPO/MB-MPO policy steps on imagined data and run the schedule.",
      /*details=*/
      "Serves PolicyLearner: WatchPolicy (versioned theta and theta'_k), SubmitImagined\n"
      "(sample sets from imagination actors) and RequestWork (env actors' collection and\n"
      "evaluation work). Writes progress.csv (the columns of `mbrl train`) and one progress\n"
      "line per iteration into --out (default: --checkpoint_dir). Checkpoints after every\n"
      "step into --checkpoint_dir and resumes from it. SIGTERM: not ready, finish the step in\n"
      "progress, checkpoint, exit.",
      /*flags=*/flags,
      /*run=*/RunPolicyLearner,
  };
}

}  // namespace mbrl::cli
