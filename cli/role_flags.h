// What the role subcommands (model-learner, policy-learner, env-actor, imagine) share beyond
// the server flags of service_flags.h: the peer and state flags of the roles contract
// (--replay, --model_learner, --policy_learner, --checkpoint_dir, --actor_id, --threads), the
// config they all read, and the life cycle every role follows (ServeRole).
#ifndef MBRL_CLI_ROLE_FLAGS_H_
#define MBRL_CLI_ROLE_FLAGS_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "mbrl/v1/config.pb.h"
#include "prometheus/collectable.h"
#include "services/common/server.h"

namespace mbrl::cli {

// --replay, --model_learner, --policy_learner, --checkpoint_dir, --actor_id, --threads.
std::vector<std::string> RoleFlagNames();

// The --config experiment, validated, with every default filled in; errors (with FILE:LINE)
// are printed to stderr as "mbrl ROLE: ...". nullopt-like: an error status.
absl::StatusOr<v1::ExperimentConfig> RoleConfigFromFlags();
// --replay as a list of host:port targets, shard order.
std::vector<std::string> ReplayTargetsFromFlags();
std::string ModelLearnerFromFlags();
std::string PolicyLearnerFromFlags();
std::string CheckpointDirFromFlags();
// --actor_id, or the host name.
std::string ActorIdFromFlags();
// --threads if set (> 0), else `config_threads`.
int ThreadsFromFlags(int config_threads);

// The life cycle of a role process after its objects exist:
//  1. starts the metrics exporter (--metrics_port) with `metrics`, and the gRPC server
//     (--port, default `default_port`; health NOT_SERVING) with `services`;
//  2. calls `start` (the role's threads), prints "mbrl ROLE: serving on port P[, metrics on
//     port M]", and reports SERVING once `ready()` (checked every 100 ms);
//  3. on SIGTERM / SIGINT: NOT_SERVING, `stop(25 s)` (drain and checkpoint), server shutdown.
// Returns the exit code; `*drained` says whether stop() finished in time (if not, a role
// thread is still running and the caller must exit without destroying the role objects).
// Call BlockShutdownSignals() first thing in the subcommand.
int ServeRole(const std::string& role, int default_port, std::vector<NamedService> services,
              std::vector<std::shared_ptr<prometheus::Collectable>> metrics,
              const std::function<void()>& start, const std::function<bool()>& ready,
              const std::function<bool(absl::Duration)>& stop, bool* drained);

// Ends the process at once with `code` after flushing stdout and stderr (for a role whose
// threads did not stop in time: its last checkpoint is on disk).
[[noreturn]] void ExitNow(int code);

// The life cycle of an actor role (env-actor, imagine): ServeRole with health only, the actor's
// Run() on a worker thread, SERVING once actor.ready(), and on SIGTERM actor.Stop() and a wait
// for Run() to return. `Actor` has Run(), Stop(), ready() and metrics().
template <typename Actor>
int ServeActor(const std::string& role, Actor& actor) {
  absl::Notification finished;
  std::thread worker;
  bool drained = true;
  const int code = ServeRole(
      role, /*default_port=*/0, {}, {actor.metrics()},
      [&] {
        worker = std::thread([&] {
          actor.Run();
          finished.Notify();
        });
      },
      [&] { return actor.ready(); },
      [&](absl::Duration timeout) {
        actor.Stop();
        return finished.WaitForNotificationWithTimeout(timeout);
      },
      &drained);
  if (!drained) ExitNow(code);
  if (worker.joinable()) worker.join();
  return code;
}

}  // namespace mbrl::cli

#endif  // MBRL_CLI_ROLE_FLAGS_H_
