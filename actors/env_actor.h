// The env actor (`mbrl env-actor`): steps real environments (a VectorEnv of
// topology.envs_per_actor envs, native or remote) with the newest policy it holds (WatchPolicy),
// doing the work the policy learner hands out (RequestWork):
//   COLLECT   the episodes it was given, each reset with its seed and acting with uniform-random
//             actions (the first iteration) or the policy — for MB-MPO each episode with the
//             adapted policy theta'_k of its task when the snapshot has them (tailored
//             exploration), else theta — then streams them to the replay shards as trajectory
//             chunks (roles.chunk_steps steps each) under their episode ids, and reports them
//             once the shards acknowledged every chunk durable;
//   EVALUATE  deterministic (mean-action) episodes of the given policy, reported, not stored;
//   WAIT      until a new policy arrives or the wait is over.
// Sampling noise is seeded from the first episode's seed, so a SYNC run with one actor of each
// kind is reproducible.
//
// Crash-only and stateless: the subscription resubscribes with backoff, RequestWork retries
// with backoff (keeping its reports), the replay client resends unacknowledged chunks; work it
// never reported is handed out again after its lease. Thread-safety: Run() on one thread;
// Stop(), ready() and metrics() from any.
#ifndef MBRL_ACTORS_ENV_ACTOR_H_
#define MBRL_ACTORS_ENV_ACTOR_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/subscriptions.h"
#include "mbrl/v1/config.pb.h"
#include "services/common/role_metrics.h"
#include "services/replay/client.h"

namespace mbrl::actors {

struct EnvActorOptions {
  // Names this actor in chunks, leases and logs (never a metric label).
  std::string actor_id = "env-actor";
  // Threads stepping the envs (topology.env_threads); LibTorch threads for acting.
  int env_threads = 1;
  int threads = 0;
  // Deadline of RequestWork, and how long collected chunks may take to become durable.
  absl::Duration call_timeout = absl::Seconds(10);
  absl::Duration flush_timeout = absl::Seconds(60);
  SnapshotSubscriberOptions subscriptions;
};

class EnvActor {
 public:
  // `config` validated with defaults filled. Errors: an unknown env (NOT_FOUND), bad policy
  // settings (INVALID_ARGUMENT).
  static absl::StatusOr<std::unique_ptr<EnvActor>> Create(
      const v1::ExperimentConfig& config, std::unique_ptr<replay::ReplayClient> replay,
      std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner, EnvActorOptions options);
  ~EnvActor();

  // Does the learner's work until Stop(). Blocks.
  void Run();
  // Ends Run() after the work in progress (its chunks flushed and reported). Thread-safe.
  void Stop();
  bool ready() const { return ready_.load(); }
  // Episodes collected and reported.
  int64_t reported_episodes() const { return reported_episodes_.load(); }
  std::shared_ptr<RoleMetrics> metrics() const { return metrics_; }

 private:
  struct Runner;
  EnvActor(const v1::ExperimentConfig& config, std::unique_ptr<replay::ReplayClient> replay,
           std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner,
           EnvActorOptions options);

  const v1::ExperimentConfig config_;
  const EnvActorOptions options_;
  std::unique_ptr<replay::ReplayClient> replay_;
  std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner_;
  std::unique_ptr<PolicySubscriber> policies_;
  std::unique_ptr<Runner> runner_;
  std::shared_ptr<RoleMetrics> metrics_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> reported_episodes_{0};
};

}  // namespace mbrl::actors

#endif  // MBRL_ACTORS_ENV_ACTOR_H_
