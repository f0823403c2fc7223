#include "services/model_learner/model_learner.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "learner/dynamics/mlp_ensemble.h"
#include "mbrl/v1/checkpoint.pb.h"
#include "services/common/episode_plan.h"
#include "services/model_learner/episode_store.h"

namespace mbrl::model_learner {
namespace {

constexpr char kCheckpointFile[] = "model_learner.binpb";

double Mean(const std::vector<double>& values) {
  return values.empty() ? 0.0
                        : std::accumulate(values.begin(), values.end(), 0.0) /
                              static_cast<double>(values.size());
}

uint64_t SnapshotVersion(const v1::ModelSnapshot& snapshot) { return snapshot.version(); }

}  // namespace

absl::StatusOr<std::unique_ptr<ModelLearner>> ModelLearner::Create(
    const v1::ExperimentConfig& config, int64_t observation_dim, int64_t action_dim,
    std::unique_ptr<replay::ReplayClient> replay, ModelLearnerOptions options) {
  if (replay == nullptr) return absl::InvalidArgumentError("ModelLearner: no replay client");
  MBRL_ASSIGN_OR_RETURN(EpisodePlan plan, EpisodePlan::Create(config));
  if (!options.checkpoint_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.checkpoint_dir, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", options.checkpoint_dir, ": ", error.message()));
    }
  }
  std::unique_ptr<ModelLearner> learner(
      new ModelLearner(config, std::move(replay), std::move(options)));
  MBRL_ASSIGN_OR_RETURN(learner->model_, learner::MlpEnsemble::Create(
                                             learner::MlpEnsembleOptions::FromConfig(
                                                 config.model(), observation_dim, action_dim),
                                             config.seed()));
  learner->store_ = std::make_unique<EpisodeStore>(
      plan, observation_dim, action_dim, static_cast<int64_t>(config.model().buffer_size()));
  MBRL_RETURN_IF_ERROR(learner->Restore());
  return learner;
}

ModelLearner::ModelLearner(const v1::ExperimentConfig& config,
                           std::unique_ptr<replay::ReplayClient> replay,
                           ModelLearnerOptions options)
    : config_(config),
      options_(std::move(options)),
      async_(config.schedule() == v1::ExperimentConfig::ASYNC),
      replay_(std::move(replay)),
      publisher_(SnapshotVersion),
      metrics_(std::make_shared<RoleMetrics>(RoleMetrics::kModelLearner)),
      rpc_metrics_(std::make_shared<RpcMetrics>(
          "mbrl.v1.ModelLearner", std::vector<std::string>{"WatchModel", "Status"})) {}

ModelLearner::~ModelLearner() {
  stop_ = true;
  {
    absl::MutexLock lock(&mu_);
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  publisher_.Shutdown();
}

absl::Status ModelLearner::Restore() {
  if (options_.checkpoint_dir.empty()) return absl::OkStatus();
  const std::string path = options_.checkpoint_dir + "/" + kCheckpointFile;
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (absl::IsNotFound(bytes.status())) return absl::OkStatus();
  MBRL_RETURN_IF_ERROR(bytes.status());
  v1::ModelLearnerCheckpoint checkpoint;
  if (!checkpoint.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat(path, ": not a ModelLearnerCheckpoint"));
  }
  if (absl::Status status = model_->Load(checkpoint.snapshot()); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message()));
  }
  if (absl::Status status = model_->LoadTrainingState(checkpoint.training_state()); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message()));
  }
  {
    absl::MutexLock lock(&mu_);
    status_.set_version(checkpoint.snapshot().version());
    status_.set_fits(checkpoint.fits());
    status_.set_trained_on_transitions(checkpoint.snapshot().trained_on_transitions());
    status_.set_trained_complete_iterations(checkpoint.snapshot().complete_iterations());
    *status_.mutable_validation_loss() = checkpoint.snapshot().validation_loss();
    reinitialized_at_ = checkpoint.reinitialized_at_iteration();
  }
  metrics_->SetModelVersion(checkpoint.snapshot().version());
  MBRL_LOG(INFO) << "model learner: restored version " << checkpoint.snapshot().version() << " ("
                 << checkpoint.snapshot().complete_iterations() << " complete iterations) from "
                 << path;
  publisher_.Publish(std::make_shared<const v1::ModelSnapshot>(checkpoint.snapshot()));
  return absl::OkStatus();
}

void ModelLearner::Start() {
  absl::MutexLock lock(&mu_);
  if (running_ || thread_.joinable()) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

bool ModelLearner::Stop(absl::Duration timeout) {
  stop_ = true;
  publisher_.Shutdown();
  absl::MutexLock lock(&mu_);
  wake_.SignalAll();
  auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !running_; };
  return mu_.AwaitWithTimeout(absl::Condition(&stopped), timeout);
}

void ModelLearner::Run() {
  if (options_.threads > 0) at::set_num_threads(options_.threads);
  absl::Time last_warning = absl::InfinitePast();
  while (!stop_) {
    absl::StatusOr<bool> fitted = Step();
    if (!fitted.ok() && absl::Now() - last_warning > absl::Seconds(30)) {
      MBRL_LOG(WARNING) << "model learner: " << fitted.status();
      last_warning = absl::Now();
    }
    if (fitted.ok() && *fitted) continue;
    absl::MutexLock lock(&mu_);
    if (!stop_) wake_.WaitWithTimeout(&mu_, options_.poll_interval);
  }
  absl::MutexLock lock(&mu_);
  running_ = false;
}

absl::StatusOr<bool> ModelLearner::Step() {
  absl::Status bad_data;
  const absl::Status scan = replay_->ScanSince(
      &cursors_, options_.scan_batch, [&](uint32_t shard, const v1::ScanResponse& response) {
        if (absl::Status status = store_->Add(response); !status.ok() && bad_data.ok()) {
          bad_data = absl::InvalidArgumentError(
              absl::StrCat("replay shard ", shard, " sent a bad batch: ", status.message()));
        }
      });
  const int64_t complete = store_->complete_iterations();
  uint64_t trained;
  {
    absl::MutexLock lock(&mu_);
    status_.set_consumed_transitions(store_->added());
    status_.set_complete_iterations(static_cast<uint64_t>(complete));
    trained = status_.trained_complete_iterations();
  }
  const bool new_iteration = static_cast<uint64_t>(complete) > trained;
  const bool fit =
      async_ ? complete >= 1 && (new_iteration || store_->added() > added_at_last_fit_ ||
                                 RoundsLeftOnData())
             : new_iteration;
  if (fit) {
    MBRL_RETURN_IF_ERROR(Fit(complete));
    return true;
  }
  // A shard that is down (UNAVAILABLE) is skipped and scanned again next time.
  MBRL_RETURN_IF_ERROR(bad_data);
  MBRL_RETURN_IF_ERROR(scan);
  return false;
}

absl::Status ModelLearner::Fit(int64_t complete_iterations) {
  const absl::Time start = absl::Now();
  const int64_t iteration = complete_iterations - 1;
  const uint32_t reinitialize_every = config_.model().reinitialize_every();
  {
    absl::MutexLock lock(&mu_);
    if (reinitialize_every > 0 && iteration > 0 && iteration % reinitialize_every == 0 &&
        reinitialized_at_ != static_cast<uint64_t>(iteration)) {
      model_->Reinitialize(config_.seed() * 1000003 + static_cast<uint64_t>(iteration));
      reinitialized_at_ = static_cast<uint64_t>(iteration);
    }
  }
  const learner::TransitionData data = store_->Data();
  const bool new_data = store_->added() != added_at_last_fit_;
  added_at_last_fit_ = store_->added();
  // A whole fit (model.max_epochs), or in ASYNC once a model is out (the first is whole: policy
  // steps on a barely trained model are wasted) a round of at most model_epochs_per_version
  // epochs, never past model.max_epochs in all on unchanged data.
  const int64_t max_epochs = static_cast<int64_t>(config_.model().max_epochs());
  const int64_t per_version = async_ && publisher_.Latest() != nullptr
                                  ? config_.roles().model_epochs_per_version()
                                  : 0;
  const int64_t left = new_data ? max_epochs : max_epochs - epochs_on_data_;
  const int64_t limit = per_version > 0 ? std::clamp<int64_t>(left, 1, per_version) : max_epochs;
  MBRL_ASSIGN_OR_RETURN(learner::FitReport report, model_->FitForEpochs(data, limit));
  const int64_t epochs = *std::max_element(report.epochs.begin(), report.epochs.end());
  epochs_on_data_ = (new_data ? 0 : epochs_on_data_) + epochs;
  stopped_on_data_ = epochs < limit;

  auto snapshot = std::make_shared<v1::ModelSnapshot>();
  MBRL_RETURN_IF_ERROR(model_->Save(snapshot.get()));
  uint64_t version;
  {
    absl::MutexLock lock(&mu_);
    version = status_.version() + 1;
  }
  snapshot->set_version(version);
  snapshot->set_created_unix_micros(absl::ToUnixMicros(absl::Now()));
  snapshot->set_complete_iterations(static_cast<uint64_t>(complete_iterations));
  MBRL_RETURN_IF_ERROR(WriteCheckpoint(*snapshot));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  {
    absl::MutexLock lock(&mu_);
    status_.set_version(version);
    status_.set_fits(status_.fits() + 1);
    status_.set_trained_on_transitions(static_cast<uint64_t>(data.size()));
    status_.set_trained_complete_iterations(static_cast<uint64_t>(complete_iterations));
    status_.clear_train_loss();
    status_.add_train_loss(static_cast<float>(report.train_loss));
    *status_.mutable_validation_loss() = snapshot->validation_loss();
  }
  metrics_->SetModelVersion(version);
  metrics_->SetModelLoss(report.train_loss, Mean(report.validation_loss));
  metrics_->ObserveIterationSeconds(seconds);
  MBRL_LOG(INFO) << "model learner: version " << version << " fit on " << data.size()
                 << " transitions (" << complete_iterations << " complete iterations), "
                 << epochs << " epochs in " << seconds << " s, validation loss "
                 << Mean(report.validation_loss);
  publisher_.Publish(std::move(snapshot));
  return absl::OkStatus();
}

bool ModelLearner::RoundsLeftOnData() const {
  return config_.roles().model_epochs_per_version() > 0 && !stopped_on_data_ &&
         epochs_on_data_ < static_cast<int64_t>(config_.model().max_epochs());
}

absl::Status ModelLearner::WriteCheckpoint(const v1::ModelSnapshot& snapshot) {
  if (options_.checkpoint_dir.empty()) return absl::OkStatus();
  v1::ModelLearnerCheckpoint checkpoint;
  *checkpoint.mutable_snapshot() = snapshot;
  MBRL_RETURN_IF_ERROR(model_->SaveTrainingState(checkpoint.mutable_training_state()));
  {
    absl::MutexLock lock(&mu_);
    checkpoint.set_fits(status_.fits() + 1);
    checkpoint.set_reinitialized_at_iteration(reinitialized_at_);
  }
  return WriteFileAtomically(options_.checkpoint_dir + "/" + kCheckpointFile,
                             checkpoint.SerializeAsString());
}

v1::ModelLearnerStatusResponse ModelLearner::GetStatus() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

grpc::ServerWriteReactor<v1::ModelSnapshot>* ModelLearner::WatchModel(
    grpc::CallbackServerContext* context, const v1::WatchModelRequest* request) {
  return publisher_.Watch(request->known_version());
}

grpc::ServerUnaryReactor* ModelLearner::Status(grpc::CallbackServerContext* context,
                                               const v1::ModelLearnerStatusRequest* request,
                                               v1::ModelLearnerStatusResponse* response) {
  ScopedLatency latency(rpc_metrics_->method("Status"));
  *response = GetStatus();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace mbrl::model_learner
