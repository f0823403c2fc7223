// `mbrl env-actor --config=FILE --replay=ADDR[,...] --policy_learner=ADDR`: steps real envs for
// the policy learner's work and streams the episodes to replay (actors/env_actor.h).
#include "actors/env_actor.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/role_flags.h"
#include "cli/service_flags.h"
#include "cli/subcommands.h"
#include "services/common/channel.h"
#include "services/replay/client.h"

namespace mbrl::cli {
namespace {

int RunEnvActor(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl env-actor: takes no arguments\n";
    return kExitUsage;
  }
  BlockShutdownSignals();
  absl::StatusOr<v1::ExperimentConfig> config = RoleConfigFromFlags();
  if (!config.ok()) {
    std::cerr << "mbrl env-actor: " << config.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<std::string> replay = ReplayTargetsFromFlags();
  const std::string policy_address = PolicyLearnerFromFlags();
  if (replay.empty() || policy_address.empty()) {
    std::cerr << "mbrl env-actor: --replay and --policy_learner are required\n";
    return kExitUsage;
  }
  const ChannelOptions channel_options = ChannelOptionsFromFlags();
  absl::StatusOr<std::unique_ptr<replay::ReplayClient>> client =
      replay::ReplayClient::Connect(replay, channel_options);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel(policy_address, channel_options);
  if (!client.ok() || !channel.ok()) {
    std::cerr << "mbrl env-actor: " << (client.ok() ? channel.status() : client.status()).message()
              << "\n";
    return kExitUsage;
  }
  actors::EnvActorOptions options;
  options.actor_id = ActorIdFromFlags();
  options.env_threads = ThreadsFromFlags(static_cast<int>(config->topology().env_threads()));
  options.threads = 1;
  absl::StatusOr<std::unique_ptr<actors::EnvActor>> actor = actors::EnvActor::Create(
      *config, std::move(*client), v1::PolicyLearner::NewStub(*channel), options);
  if (!actor.ok()) {
    std::cerr << "mbrl env-actor: " << actor.status() << "\n";
    return absl::IsNotFound(actor.status()) ? kExitUsage : kExitFailure;
  }
  return ServeActor("env-actor", **actor);
}

}  // namespace

Subcommand EnvActorSubcommand() {
  std::vector<std::string> flags = {"config"};
  for (const std::string& flag : RoleFlagNames()) flags.push_back(flag);
  for (const std::string& flag : ServerFlagNames()) flags.push_back(flag);
  flags.push_back("tls_server_name");
  return {
      /*name=*/"env-actor",
      /*arguments=*/"",
      /*summary=*/"Step real environments for the policy learner and stream them to replay.",
      /*details=*/
      "Asks the policy learner (--policy_learner) for work: real episodes to collect with the\n"
      "newest policy (MB-MPO: each with its task's adapted policy), streamed to the replay\n"
      "shards (--replay) and reported once durable; or evaluation episodes. Runs\n"
      "topology.envs_per_actor envs of --config at once. Serves health only (SERVING once a\n"
      "policy arrived). SIGTERM: finish the episodes in progress, exit.",
      /*flags=*/flags,
      /*run=*/RunEnvActor,
  };
}

}  // namespace mbrl::cli
