// `mbrl imagine --config=FILE --replay=ADDR[,...] --model_learner=ADDR --policy_learner=ADDR`:
// the imagination actor (actors/imagination_actor.h).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "actors/imagination_actor.h"
#include "cli/role_flags.h"
#include "cli/service_flags.h"
#include "cli/subcommands.h"
#include "services/common/channel.h"

namespace mbrl::cli {
namespace {

int RunImagine(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl imagine: takes no arguments\n";
    return kExitUsage;
  }
  BlockShutdownSignals();
  absl::StatusOr<v1::ExperimentConfig> config = RoleConfigFromFlags();
  if (!config.ok()) {
    std::cerr << "mbrl imagine: " << config.status().message() << "\n";
    return kExitUsage;
  }
  const std::string model_address = ModelLearnerFromFlags();
  const std::string policy_address = PolicyLearnerFromFlags();
  if (model_address.empty() || policy_address.empty()) {
    std::cerr << "mbrl imagine: --model_learner and --policy_learner are required\n";
    return kExitUsage;
  }
  const ChannelOptions channel_options = ChannelOptionsFromFlags();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> model_channel =
      CreateChannel(model_address, channel_options);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> policy_channel =
      CreateChannel(policy_address, channel_options);
  if (!model_channel.ok() || !policy_channel.ok()) {
    std::cerr << "mbrl imagine: "
              << (model_channel.ok() ? policy_channel.status() : model_channel.status()).message()
              << "\n";
    return kExitUsage;
  }
  actors::ImaginationActorOptions options;
  options.actor_id = ActorIdFromFlags();
  options.threads = ThreadsFromFlags(static_cast<int>(config->topology().imagination_threads()));
  absl::StatusOr<std::unique_ptr<actors::ImaginationActor>> actor =
      actors::ImaginationActor::Create(*config, v1::ModelLearner::NewStub(*model_channel),
                                       v1::PolicyLearner::NewStub(*policy_channel), options);
  if (!actor.ok()) {
    std::cerr << "mbrl imagine: " << actor.status() << "\n";
    return absl::IsNotFound(actor.status()) ? kExitUsage : kExitFailure;
  }
  return ServeActor("imagine", **actor);
}

}  // namespace

Subcommand ImagineSubcommand() {
  std::vector<std::string> flags = {"config"};
  for (const std::string& flag : RoleFlagNames()) flags.push_back(flag);
  for (const std::string& flag : ServerFlagNames()) flags.push_back(flag);
  flags.push_back("tls_server_name");
  return {
      /*name=*/"imagine",
      /*arguments=*/"",
      /*summary=*/"The imagination actor: roll the policy out in the learned models.",
      /*details=*/
      "Holds the newest model (--model_learner, WatchModel) and policy (--policy_learner,\n"
      "WatchPolicy) and submits sample sets to the policy learner: MB-MPO's pre-update\n"
      "rollouts, inner step theta'_k and post-update rollouts per task, or ME-TRPO's TRPO\n"
      "batch and member returns. Start states come from the env's reset distribution (--replay\n"
      "is accepted for the roles contract). Serves health only (SERVING once a policy\n"
      "arrived).",
      /*flags=*/flags,
      /*run=*/RunImagine,
  };
}

}  // namespace mbrl::cli
