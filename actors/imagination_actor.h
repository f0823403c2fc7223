// The imagination actor (`mbrl imagine`): holds the newest model and policy snapshots (WatchModel,
// WatchPolicy), rolls the policy out in the model in large batches with the learner's own
// functions (learner/mbmpo.h ImagineMbmpoTasks and AdaptOnModel, learner/imagination.h Imagine,
// learner/metrpo.h MemberReturns: the code paths of `mbrl train`), and submits each result as
// one sample set (SubmitImagined).
//
// What a set holds follows the policy snapshot's ImaginationRequest:
//   MB-MPO   per task k = 0 .. meta_batch_size - 1 (bound to ensemble member floor(k / (T / G))):
//            imagined_trajectories_per_task rollouts with theta, the inner step theta'_k
//            computed from them, and as many rollouts with theta'_k (none when the request is
//            adaptation_only). The policy learner publishes theta'_k with theta, so env actors
//            explore with the adaptation of the current theta.
//   ME-TRPO  imagined_steps_per_policy_step steps of rollouts with theta (members per
//            metrpo.propagation), plus theta's return under every member when the request
//            asks for member returns (the model vote), from the iteration's validation starts.
// Start states are drawn from the env's reset distribution. Sampling is seeded from the
// config's seed, the actor id, and the policy and model versions (SYNC: one set per revision,
// so a set made again after a restart is the same set); ASYNC sets follow one another with the
// newest snapshots, a counter added to the seed, paced to the learner: one set per policy
// version (with roles.max_policy_lag > 0, two for the first version the actor sees, so that one
// set is always waiting while the learner steps on the other); a set the learner dropped does
// not count.  Sets beyond that
// would be superseded before the learner could use them, and cost the cores the learners
// need.
//
// Crash-only and stateless: subscriptions resubscribe with backoff, submissions retry
// UNAVAILABLE with backoff; every call has a deadline. Thread-safety: Run() on one thread;
// Stop(), ready() and metrics() from any.
#ifndef MBRL_ACTORS_IMAGINATION_ACTOR_H_
#define MBRL_ACTORS_IMAGINATION_ACTOR_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "actors/subscriptions.h"
#include "mbrl/v1/config.pb.h"
#include "services/common/role_metrics.h"

namespace mbrl::actors {

struct ImaginationActorOptions {
  // Names this actor in its sets and seeds (never a metric label).
  std::string actor_id = "imagine";
  // LibTorch intra-op threads (process-wide); 0 = leave as is.
  int threads = 0;
  // Deadline of one SubmitImagined call.
  absl::Duration submit_timeout = absl::Seconds(120);
  SnapshotSubscriberOptions subscriptions;
};

class ImaginationActor {
 public:
  // `config` validated with defaults filled. Errors: an unknown env (NOT_FOUND), bad model or
  // policy settings (INVALID_ARGUMENT).
  static absl::StatusOr<std::unique_ptr<ImaginationActor>> Create(
      const v1::ExperimentConfig& config,
      std::shared_ptr<v1::ModelLearner::StubInterface> model_learner,
      std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner,
      ImaginationActorOptions options);
  ~ImaginationActor();

  // Produces and submits sets until Stop(). Blocks.
  void Run();
  // Ends Run() after the set in progress. Thread-safe.
  void Stop();
  // A policy snapshot was received (readiness).
  bool ready() const { return ready_.load(); }
  // Sets the policy learner accepted.
  int64_t submitted_sets() const { return submitted_sets_.load(); }
  std::shared_ptr<RoleMetrics> metrics() const { return metrics_; }

 private:
  struct Imaginer;
  ImaginationActor(const v1::ExperimentConfig& config,
                   std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner,
                   ImaginationActorOptions options);

  const v1::ExperimentConfig config_;
  const ImaginationActorOptions options_;
  std::shared_ptr<v1::PolicyLearner::StubInterface> policy_learner_;
  std::unique_ptr<PolicySubscriber> policies_;
  std::unique_ptr<ModelSubscriber> models_;
  std::unique_ptr<Imaginer> imaginer_;
  std::shared_ptr<RoleMetrics> metrics_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> submitted_sets_{0};
  absl::Notification stopped_;
};

}  // namespace mbrl::actors

#endif  // MBRL_ACTORS_IMAGINATION_ACTOR_H_
