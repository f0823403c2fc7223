// `mbrl env-server --env=NAME --port=P`: serves a registered environment over the Environment
// service (services/environment) until SIGTERM or SIGINT.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "actors/envs/registry.h"
#include "cli/service_flags.h"
#include "cli/shared_flags.h"
#include "cli/subcommands.h"
#include "services/common/server.h"
#include "services/environment/environment_service.h"

ABSL_FLAG(int, max_sessions, 1024,
          "Concurrent sessions (one env instance each); more are refused with "
          "RESOURCE_EXHAUSTED.");

namespace mbrl::cli {
namespace {

int RunEnvServer(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl env-server: takes no arguments\n";
    return kExitUsage;
  }
  BlockShutdownSignals();  // before gRPC starts any thread
  v1::EnvConfig config;
  config.set_name(absl::GetFlag(FLAGS_env));
  config.set_horizon(absl::GetFlag(FLAGS_horizon));
  if (config.name().empty() || absl::GetFlag(FLAGS_horizon) < 1) {
    std::cerr << "mbrl env-server: give --env=NAME (see `mbrl env list`) and --horizon >= 1\n";
    return kExitUsage;
  }
  EnvironmentServiceOptions options;
  options.max_sessions = absl::GetFlag(FLAGS_max_sessions);
  options.seed = absl::GetFlag(FLAGS_seed).value_or(0);
  absl::StatusOr<std::unique_ptr<EnvironmentService>> service =
      EnvironmentService::Create([config] { return envs::MakeEnv(config); }, options);
  if (!service.ok()) {
    std::cerr << "mbrl env-server: " << service.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<MetricsExporter>> exporter = StartMetricsExporterFromFlags();
  if (!exporter.ok()) {
    std::cerr << "mbrl env-server: metrics: " << exporter.status().message() << "\n";
    return kExitFailure;
  }
  if (*exporter != nullptr) (*exporter)->Register((*service)->metrics());
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(
      ServerOptionsFromFlags(/*default_port=*/50061), {{"mbrl.v1.Environment", service->get()}});
  if (!server.ok()) {
    std::cerr << "mbrl env-server: " << server.status().message() << "\n";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  (*server)->SetServing(true);
  std::cout << "serving " << config.name() << " (horizon " << config.horizon() << ") on port "
            << (*server)->port()
            << (*exporter != nullptr ? absl::StrCat(", metrics on port ", (*exporter)->port()) : "")
            << std::endl;
  const int signal = WaitForShutdownSignal();
  std::cout << "signal " << signal << ": shutting down" << std::endl;
  (*server)->Shutdown();
  return kExitOk;
}

}  // namespace

Subcommand EnvServerSubcommand() {
  std::vector<std::string> flags = {"env", "horizon", "max_sessions", "seed"};
  for (const std::string& flag : ServerFlagNames()) flags.push_back(flag);
  return {
      /*name=*/"env-server",
      /*arguments=*/"",
      /*summary=*/"Serve a registered environment over gRPC (the Environment service).",
      /*details=*/
      "Each Session stream gets its own env instance; actors use it by setting\n"
      "env { name: NAME remote_address: \"HOST:PORT\" } in their config. Serves\n"
      "grpc.health.v1 and reflection; stops on SIGTERM/SIGINT. Prints the port it serves on.",
      flags,
      /*run=*/RunEnvServer,
  };
}

}  // namespace mbrl::cli
