// The policy learner role (`mbrl policy-learner`): takes the policy steps of ME-TRPO (TRPO on
// imagined rollouts, stopped by the model vote) and MB-MPO (the outer meta step through the
// inner adaptation) on the sample sets imagination actors submit, with the learner's own
// functions (learner/metrpo.h TrpoPolicyStep and ModelVote, learner/mbmpo.h MbmpoOuterStep: the
// code paths of `mbrl train`), publishes versioned policies on WatchPolicy, and runs the
// experiment's schedule: it hands env actors their work (RequestWork), tells imagination actors
// what to produce (PolicySnapshot.imagination) and writes the progress rows.
//
// SYNC (the papers' order; deterministic for a seed with one actor of each kind), iteration i:
//   1. MB-MPO, i >= 1: ADAPT — theta is published with an adaptation-only request; the
//      imagination actors adapt it on the model of iteration i - 1 and the learner attaches
//      theta'_k to the same version (adapted_from_version = version);
//   2. collection: iteration i's real episodes are handed out (tailored exploration: episode
//      k with theta'_{k / real_episodes_per_task}; iteration 0: uniform-random actions);
//   3. the model learner fits once they are all in replay (complete_iterations = i + 1);
//   4. policy steps: each waits for one set per imagination actor (topology.
//      imagination_actors, or what arrived within sync_set_timeout_seconds) made with the
//      current version on that model, combines them (more actors, more data per step) and
//      steps: meta_steps_per_iteration MB-MPO steps, or ME-TRPO TRPO steps until the model
//      vote (member returns requested every validation_every steps) or
//      max_policy_steps_per_iteration ends them (the best policy is restored);
//   5. evaluation: env actors run evaluation.episodes deterministic episodes of theta; the
//      progress row is written when they report.
// ASYNC: everything runs at once. Each step uses every queued set made with a policy at most
// roles.max_policy_lag versions old (older sets are dropped and counted); iteration i + 1's
// real episodes are released during iteration i's steps, ceil((s + 1) * E / S) of them after
// s of the S steps, each collected with the newest policy (MB-MPO: the newest adapted
// policies, from the samples of the previous step). ME-TRPO's validation points wait for a set
// of the validated version.
// Both schedules collect an iteration only if all its episodes fit in budget.max_real_steps,
// stop after the configured iterations, and end the iteration in which budget.max_wall_seconds
// passes.
//
// Progress rows (progress.csv in options.progress_dir, and one line each on
// options.terminal) have the columns of `mbrl train` (learner/experiment.h). Role-specific
// meanings: collect_seconds is from the collection's start to its last episode (SYNC), and
// fit_seconds from then to the first sample set on the new model (the fit plus one
// imagination round; NaN in ASYNC, where phases overlap); policy_seconds is the learner's own
// step time.
//
// Crash-only: the checkpoint (theta, adapted policies, versions, schedule, collected episodes,
// pending evaluations, the vote, progress) is replaced atomically after every change;
// Create() restores it and republishes the snapshot under a new revision. Sample sets in
// flight are not checkpointed: imagination actors answer the new revision again.
//
// Thread-safety: every public method is thread-safe. One learner thread does the LibTorch
// work; gRPC reactions decode and queue under one mutex per call (never per message).
#ifndef MBRL_SERVICES_POLICY_LEARNER_POLICY_LEARNER_H_
#define MBRL_SERVICES_POLICY_LEARNER_POLICY_LEARNER_H_

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/progress.h"
#include "mbrl/v1/checkpoint.pb.h"
#include "mbrl/v1/config.pb.h"
#include "mbrl/v1/policy_learner.grpc.pb.h"
#include "services/common/episode_plan.h"
#include "services/common/metrics.h"
#include "services/common/role_metrics.h"
#include "services/common/snapshot_publisher.h"
#include "services/policy_learner/work_queue.h"

namespace mbrl::policy_learner {

struct PolicyLearnerOptions {
  // Where the checkpoint lives (created if missing); empty = no checkpoints.
  std::string checkpoint_dir;
  // Where progress.csv is written (created if missing; appended to on resume); empty = none.
  std::string progress_dir;
  // Progress lines (may be null); must outlive the learner.
  std::ostream* terminal = nullptr;
  // LibTorch intra-op threads (process-wide); 0 = leave as is.
  int threads = 0;
  // Longest an env actor is told to wait before asking again.
  absl::Duration work_wait = absl::Milliseconds(200);
};

class PolicyLearner final : public v1::PolicyLearner::CallbackService {
 public:
  // `config` validated with defaults filled; dimensions are the env's. Restores the checkpoint
  // in options.checkpoint_dir if there is one (DATA_LOSS if unreadable, INVALID_ARGUMENT if it
  // does not fit this policy) and publishes the current policy.
  static absl::StatusOr<std::unique_ptr<PolicyLearner>> Create(const v1::ExperimentConfig& config,
                                                               int64_t observation_dim,
                                                               int64_t action_dim,
                                                               PolicyLearnerOptions options);
  ~PolicyLearner() override;

  // Starts the learner thread.
  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops the learner thread after its current step (waiting up to `timeout`; false if it is
  // still stepping: the checkpoint on disk is then the last finished step's), writes the
  // checkpoint, and ends every WatchPolicy stream with UNAVAILABLE.
  bool Stop(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  std::shared_ptr<const v1::PolicySnapshot> Latest() const { return publisher_.Latest(); }
  v1::PolicyLearnerStatusResponse GetStatus() const ABSL_LOCKS_EXCLUDED(mu_);

  std::shared_ptr<RoleMetrics> metrics() const { return metrics_; }
  std::shared_ptr<RpcMetrics> rpc_metrics() const { return rpc_metrics_; }

 private:
  struct SampleSet;
  struct Trainer;
  struct StepResult;
  class SubmitReactor;

  PolicyLearner(const v1::ExperimentConfig& config, EpisodePlan plan, PolicyLearnerOptions options);

  absl::Status Initialize(int64_t observation_dim, int64_t action_dim);

  // gRPC.
  grpc::ServerWriteReactor<v1::PolicySnapshot>* WatchPolicy(
      grpc::CallbackServerContext* context, const v1::WatchPolicyRequest* request) override;
  grpc::ServerReadReactor<v1::ImaginedSample>* SubmitImagined(
      grpc::CallbackServerContext* context, v1::SubmitImaginedResponse* response) override;
  grpc::ServerUnaryReactor* RequestWork(grpc::CallbackServerContext* context,
                                        const v1::WorkRequest* request,
                                        v1::WorkResponse* response) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const v1::PolicyLearnerStatusRequest* request,
                                   v1::PolicyLearnerStatusResponse* response) override;

  // Decodes and validates one sample into `set` (any thread; reads only immutable state).
  absl::Status Decode(const v1::ImaginedSample& sample, SampleSet* set) const;
  // Queues or drops a complete call's set; fills the response.
  void Enqueue(std::unique_ptr<SampleSet> set, v1::SubmitImaginedResponse* response)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The learner thread.
  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  // The sets the current stage can use now (moved out of the queue), or none.
  std::vector<std::unique_ptr<SampleSet>> TakeUsableSetsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SetIsUsableLocked(const SampleSet& set) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ASYNC, max_policy_lag > 0: when a set is older than `version`, gives every set's rollouts
  // the behavior log-probs of the policies that sampled them (theta of its version; post-update:
  // its theta'_k), so the step importance-corrects them; drops sets whose theta is no longer
  // known (UNAVAILABLE if none is left). Learner thread only.
  absl::Status CorrectStaleSets(uint64_t version, std::vector<std::unique_ptr<SampleSet>>& sets);
  // LibTorch work on `sets` (no lock held; learner thread only).
  absl::StatusOr<StepResult> Process(const v1::PolicyLearnerCheckpoint& state,
                                     std::vector<std::unique_ptr<SampleSet>>& sets);
  void ApplyLocked(const StepResult& result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Attaches the adapted policies of the chosen set (SYNC ADAPT stage).
  void ApplyAdaptationLocked(const SampleSet& set) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndIterationLocked(const v1::ParameterSet& theta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartIterationLocked(int64_t iteration) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(const std::string& stopped_by) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes state_.snapshot with a new revision and `request`.
  void PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::ImaginationRequest RequestLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reports from env actors; evaluations complete progress rows.
  void ReportLocked(const v1::WorkReport& report) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteRowLocked(std::vector<double> row) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NextWorkLocked(const v1::WorkRequest& request, v1::WorkResponse* response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FinishedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double SecondsSince(int64_t unix_micros) const;
  void WriteCheckpoint(const v1::PolicyLearnerCheckpoint& checkpoint);

  const v1::ExperimentConfig config_;
  const EpisodePlan plan_;
  const PolicyLearnerOptions options_;
  const bool async_;
  const bool mbmpo_;
  // Iterations the real-step budget allows (<= the configured count).
  int64_t iterations_ = 0;
  // Policy steps per iteration: MB-MPO's meta steps, ME-TRPO's maximum.
  int64_t steps_per_iteration_ = 0;
  std::unique_ptr<Trainer> trainer_;  // LibTorch state; the learner thread's (Decode reads
                                      // only its immutable parameter templates)
  SnapshotPublisher<v1::PolicySnapshot> publisher_;
  std::shared_ptr<RoleMetrics> metrics_;
  std::shared_ptr<RpcMetrics> rpc_metrics_;

  mutable absl::Mutex mu_;
  v1::PolicyLearnerCheckpoint state_ ABSL_GUARDED_BY(mu_);
  WorkQueue work_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, absl::Time> evaluation_leases_ ABSL_GUARDED_BY(mu_);  // by iteration
  std::deque<std::unique_ptr<SampleSet>> queue_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<ProgressLog> progress_ ABSL_GUARDED_BY(mu_);
  uint64_t accepted_samples_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_samples_ ABSL_GUARDED_BY(mu_) = 0;
  double last_kl_ ABSL_GUARDED_BY(mu_) = 0;
  double last_improvement_ ABSL_GUARDED_BY(mu_) = 0;
  // SYNC: when the current iteration's collection completed (0: not yet).
  int64_t collection_done_unix_micros_ ABSL_GUARDED_BY(mu_) = 0;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;  // state changed since the last checkpoint
  bool wake_ ABSL_GUARDED_BY(mu_) = false;   // something for the learner thread
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mbrl::policy_learner

#endif  // MBRL_SERVICES_POLICY_LEARNER_POLICY_LEARNER_H_
