// `mbrl model-learner --config=FILE --replay=ADDR[,ADDR...] --checkpoint_dir=DIR`: trains the
// dynamics-model ensemble on the replay data and serves ModelLearner
// (services/model_learner/model_learner.h).
#include "services/model_learner/model_learner.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "actors/envs/registry.h"
#include "cli/role_flags.h"
#include "cli/service_flags.h"
#include "cli/subcommands.h"
#include "services/replay/client.h"

namespace mbrl::cli {
namespace {

constexpr int kDefaultModelLearnerPort = 50071;

int RunModelLearner(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl model-learner: takes no arguments\n";
    return kExitUsage;
  }
  BlockShutdownSignals();
  absl::StatusOr<v1::ExperimentConfig> config = RoleConfigFromFlags();
  if (!config.ok()) {
    std::cerr << "mbrl model-learner: " << config.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<std::string> replay = ReplayTargetsFromFlags();
  if (replay.empty()) {
    std::cerr << "mbrl model-learner: --replay=HOST:PORT[,...] is required\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<envs::Env>> env = envs::MakeEnv(config->env());
  if (!env.ok()) {
    std::cerr << "mbrl model-learner: " << env.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<replay::ReplayClient>> client =
      replay::ReplayClient::Connect(replay, ChannelOptionsFromFlags());
  if (!client.ok()) {
    std::cerr << "mbrl model-learner: " << client.status().message() << "\n";
    return kExitUsage;
  }
  model_learner::ModelLearnerOptions options;
  options.checkpoint_dir = CheckpointDirFromFlags();
  options.threads = ThreadsFromFlags(static_cast<int>(config->topology().learner_threads()));
  absl::StatusOr<std::unique_ptr<model_learner::ModelLearner>> learner =
      model_learner::ModelLearner::Create(*config, (*env)->spec().observation.dim,
                                          (*env)->spec().action.dim, std::move(*client), options);
  if (!learner.ok()) {
    std::cerr << "mbrl model-learner: " << learner.status() << "\n";
    return kExitFailure;
  }
  model_learner::ModelLearner& role = **learner;
  bool drained = true;
  const int code = ServeRole(
      "model-learner", kDefaultModelLearnerPort, {{"mbrl.v1.ModelLearner", &role}},
      {role.metrics(), role.rpc_metrics()}, [&] { role.Start(); }, [] { return true; },
      [&](absl::Duration timeout) { return role.Stop(timeout); }, &drained);
  if (!drained) ExitNow(code);
  return code;
}

}  // namespace

Subcommand ModelLearnerSubcommand() {
  std::vector<std::string> flags = {"config"};
  for (const std::string& flag : RoleFlagNames()) flags.push_back(flag);
  for (const std::string& flag : ServerFlagNames()) flags.push_back(flag);
  flags.push_back("tls_server_name");
  return {
      /*name=*/"model-learner",
      /*arguments=*/"",
      /*summary=*/"Train the dynamics-model ensemble on replay data and serve its snapshots.",
      /*details=*/
      "Reads the real transitions from the replay shards (--replay, Scan), fits the ensemble\n"
      "of --config (SYNC: once per complete iteration; ASYNC: continuously) and publishes\n"
      "versioned snapshots on ModelLearner.WatchModel. Checkpoints after every fit into\n"
      "--checkpoint_dir and resumes from it; health is SERVING once restored. SIGTERM:\n"
      "not ready, finish the fit in progress, exit.",
      /*flags=*/flags,
      /*run=*/RunModelLearner,
  };
}

}  // namespace mbrl::cli
