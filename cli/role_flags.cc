#include "cli/role_flags.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "cli/service_flags.h"
#include "cli/shared_flags.h"
#include "cli/subcommand.h"
#include "common/config.h"
#include "common/logging.h"
#include "services/common/metrics.h"

ABSL_FLAG(std::vector<std::string>, replay, {},
          "The replay shards, in shard order: host:port[,host:port...].");
ABSL_FLAG(std::string, model_learner, "", "The model learner's address (host:port).");
ABSL_FLAG(std::string, policy_learner, "", "The policy learner's address (host:port).");
ABSL_FLAG(std::string, checkpoint_dir, "",
          "Learners: directory of the atomic checkpoints, restored at start (created if "
          "missing; empty = no checkpoints).");
ABSL_FLAG(std::string, actor_id, "",
          "Actors: a stable id (logs, leases, seeds; never a metric label). Default: the host "
          "name.");

namespace mbrl::cli {

std::vector<std::string> RoleFlagNames() {
  return {"replay", "model_learner", "policy_learner", "checkpoint_dir", "actor_id", "threads"};
}

absl::StatusOr<v1::ExperimentConfig> RoleConfigFromFlags() {
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) return absl::InvalidArgumentError("--config=FILE is required");
  absl::StatusOr<ParsedConfig> parsed = LoadExperimentConfig(path);
  if (!parsed.ok()) return parsed.status();
  v1::ExperimentConfig config = parsed->config();
  FillDefaults(&config);
  return config;
}

std::vector<std::string> ReplayTargetsFromFlags() { return absl::GetFlag(FLAGS_replay); }
std::string ModelLearnerFromFlags() { return absl::GetFlag(FLAGS_model_learner); }
std::string PolicyLearnerFromFlags() { return absl::GetFlag(FLAGS_policy_learner); }
std::string CheckpointDirFromFlags() { return absl::GetFlag(FLAGS_checkpoint_dir); }

std::string ActorIdFromFlags() {
  std::string id = absl::GetFlag(FLAGS_actor_id);
  if (!id.empty()) return id;
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') return host;
  return "actor";
}

int ThreadsFromFlags(int config_threads) {
  const int threads = absl::GetFlag(FLAGS_threads);
  return threads > 0 ? threads : config_threads;
}

void ExitNow(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

int ServeRole(const std::string& role, int default_port, std::vector<NamedService> services,
              std::vector<std::shared_ptr<prometheus::Collectable>> metrics,
              const std::function<void()>& start, const std::function<bool()>& ready,
              const std::function<bool(absl::Duration)>& stop, bool* drained) {
  *drained = true;
  absl::StatusOr<std::unique_ptr<MetricsExporter>> exporter = StartMetricsExporterFromFlags();
  if (!exporter.ok()) {
    std::cerr << "mbrl " << role << ": metrics: " << exporter.status().message() << "\n";
    return kExitFailure;
  }
  if (*exporter != nullptr) {
    for (auto& collectable : metrics) (*exporter)->Register(collectable);
  }
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(ServerOptionsFromFlags(default_port), std::move(services));
  if (!server.ok()) {
    std::cerr << "mbrl " << role << ": " << server.status().message() << "\n";
    return absl::IsInvalidArgument(server.status()) ? kExitUsage : kExitFailure;
  }
  start();
  std::cout << "mbrl " << role << ": serving on port " << (*server)->port();
  if (*exporter != nullptr) std::cout << ", metrics on port " << (*exporter)->port();
  std::cout << std::endl;
  absl::Notification stopping;
  std::thread readiness([&] {
    while (!stopping.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
      if (ready()) {
        (*server)->SetServing(true);
        return;
      }
    }
  });
  const int signal = WaitForShutdownSignal();
  stopping.Notify();
  readiness.join();
  MBRL_LOG(INFO) << "mbrl " << role << ": signal " << signal << ": not ready, draining";
  (*server)->SetServing(false);
  *drained = stop(absl::Seconds(25));
  if (!*drained) MBRL_LOG(WARNING) << "mbrl " << role << ": work still running after 25 s";
  (*server)->Shutdown(absl::Seconds(2));
  return kExitOk;
}

}  // namespace mbrl::cli
