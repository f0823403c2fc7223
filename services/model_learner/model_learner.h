// The model learner role (`mbrl model-learner`): reads the real transitions from the replay
// shards (Scan, incrementally, from per-shard cursors), trains the dynamics-model ensemble on
// them with the learner's own Fit (learner/dynamics/mlp_ensemble.h: the same code path as `mbrl
// train`), and publishes versioned snapshots on WatchModel.
//
// Schedule (config.schedule):
//   SYNC   fits once each time an iteration's real episodes are all in replay (EpisodePlan),
//          on everything collected so far: the papers' collect -> fit order. Snapshots carry
//          complete_iterations, which the imagination actors wait for.
//   ASYNC  fits continuously from the moment the first iteration's episodes are in: each fit
//          on everything collected when it starts, the next as soon as new data arrived.
// Every fit continues from the previous weights (re-initialised every
// model.reinitialize_every iterations, as in `mbrl train`); the data are the newest
// model.buffer_size transitions in the canonical order of EpisodeStore.
//
// Crash-only: after every fit the checkpoint (weights, normalizers, Adam moments, generator,
// version, fit count) is replaced atomically in `checkpoint_dir`; Create() restores it and
// publishes the restored snapshot before the server reports SERVING. The training data are not
// checkpointed: a restarted learner re-reads replay from the start (replay is the durable
// store), so its cursors start at 0.
//
// Threads: one training thread (Start/Stop); gRPC reactions only read the published state.
// Thread-safety: every public method is thread-safe.
#ifndef MBRL_SERVICES_MODEL_LEARNER_MODEL_LEARNER_H_
#define MBRL_SERVICES_MODEL_LEARNER_MODEL_LEARNER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mbrl/v1/config.pb.h"
#include "mbrl/v1/model_learner.grpc.pb.h"
#include "services/common/metrics.h"
#include "services/common/role_metrics.h"
#include "services/common/snapshot_publisher.h"
#include "services/replay/client.h"

namespace mbrl::learner {
class MlpEnsemble;
}  // namespace mbrl::learner

namespace mbrl::model_learner {

class EpisodeStore;

struct ModelLearnerOptions {
  // Where the checkpoint lives (created if missing); empty = no checkpoints.
  std::string checkpoint_dir;
  // How long the training thread sleeps when replay has nothing new.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // Transitions per Scan response.
  uint32_t scan_batch = 4096;
  // LibTorch intra-op threads (process-wide); 0 = leave as is.
  int threads = 0;
};

class ModelLearner final : public v1::ModelLearner::CallbackService {
 public:
  // `config` validated with defaults filled; `observation_dim` / `action_dim` the env's.
  // Restores the checkpoint in options.checkpoint_dir if there is one (INVALID_ARGUMENT if it
  // does not fit this model; DATA_LOSS if it cannot be parsed) and publishes it.
  static absl::StatusOr<std::unique_ptr<ModelLearner>> Create(
      const v1::ExperimentConfig& config, int64_t observation_dim, int64_t action_dim,
      std::unique_ptr<replay::ReplayClient> replay, ModelLearnerOptions options);
  ~ModelLearner() override;

  // Starts the training thread.
  void Start();
  // Asks the training thread to stop after the current scan or fit and waits up to `timeout`
  // for it; false if it is still fitting then (the checkpoint on disk is the last finished
  // fit's). Ends every WatchModel stream with UNAVAILABLE.
  bool Stop(absl::Duration timeout);

  // The newest published snapshot (null before the first fit).
  std::shared_ptr<const v1::ModelSnapshot> Latest() const { return publisher_.Latest(); }
  v1::ModelLearnerStatusResponse GetStatus() const ABSL_LOCKS_EXCLUDED(mu_);

  std::shared_ptr<RoleMetrics> metrics() const { return metrics_; }
  std::shared_ptr<RpcMetrics> rpc_metrics() const { return rpc_metrics_; }

 private:
  ModelLearner(const v1::ExperimentConfig& config, std::unique_ptr<replay::ReplayClient> replay,
               ModelLearnerOptions options);

  absl::Status Restore();
  void Run();
  // One pass: scan replay, and fit if the schedule says so. Returns whether it fitted.
  absl::StatusOr<bool> Step();
  // A whole fit (SYNC), or one round of roles.model_epochs_per_version epochs (ASYNC).
  absl::Status Fit(int64_t complete_iterations);
  // ASYNC: whether unchanged data still deserves another round.
  bool RoundsLeftOnData() const;
  absl::Status WriteCheckpoint(const v1::ModelSnapshot& snapshot);

  grpc::ServerWriteReactor<v1::ModelSnapshot>* WatchModel(
      grpc::CallbackServerContext* context, const v1::WatchModelRequest* request) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const v1::ModelLearnerStatusRequest* request,
                                   v1::ModelLearnerStatusResponse* response) override;

  const v1::ExperimentConfig config_;
  const ModelLearnerOptions options_;
  const bool async_;
  std::unique_ptr<replay::ReplayClient> replay_;
  std::unique_ptr<learner::MlpEnsemble> model_;  // training thread only
  std::unique_ptr<EpisodeStore> store_;          // training thread only
  std::vector<uint64_t> cursors_;                // training thread only
  uint64_t added_at_last_fit_ = 0;               // training thread only
  // ASYNC rounds: epochs trained since the data last changed, and whether the last fit's
  // members were all stopped by early stopping (training thread only).
  int64_t epochs_on_data_ = 0;
  bool stopped_on_data_ = false;
  SnapshotPublisher<v1::ModelSnapshot> publisher_;
  std::shared_ptr<RoleMetrics> metrics_;
  std::shared_ptr<RpcMetrics> rpc_metrics_;

  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  v1::ModelLearnerStatusResponse status_ ABSL_GUARDED_BY(mu_);
  uint64_t reinitialized_at_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mbrl::model_learner

#endif  // MBRL_SERVICES_MODEL_LEARNER_MODEL_LEARNER_H_
