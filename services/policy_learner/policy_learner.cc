#include "services/policy_learner/policy_learner.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "learner/experiment.h"
#include "learner/mbmpo.h"
#include "learner/metrpo.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/policy_batch.h"
#include "learner/rollouts.h"
#include "learner/torch_errors.h"

namespace mbrl::policy_learner {
namespace {

constexpr char kCheckpointFile[] = "policy_learner.binpb";
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
// How far a restored learner moves its revision past the checkpoint's (far more than it can
// publish between two checkpoints), so that every subscriber hears from it.
constexpr uint64_t kRestoreRevisionJump = 1 << 20;

// Positions in learner::kProgressColumns (checked in Create).
enum Column : int {
  kIteration,
  kRealSteps,
  kImaginedSteps,
  kWallSeconds,
  kEvalReturn,
  kModelValLoss,
  kPolicySteps,
  kAcceptedPolicySteps,
  kImaginedReturn,
  kAdaptedImaginedReturn,
  kKl,
  kCollectSeconds,
  kFitSeconds,
  kPolicySeconds,
  kEvalSeconds,
  kColumns,
};

uint64_t Revision(const v1::PolicySnapshot& snapshot) { return snapshot.revision(); }

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

std::vector<double> EmptyRow() { return std::vector<double>(kColumns, kNone); }

// Cuts the CSV file at `path` down to its header and first `rows` rows (atomically).
absl::Status KeepFirstRows(const std::string& path, uint64_t rows) {
  MBRL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  size_t end = 0;
  for (uint64_t line = 0; line < rows + 1; ++line) {
    const size_t newline = text.find('\n', end);
    if (newline == std::string::npos) return absl::OkStatus();  // nothing beyond them
    end = newline + 1;
  }
  if (end == text.size()) return absl::OkStatus();
  MBRL_LOG(WARNING) << "policy learner: " << path << " had rows after the checkpoint; dropped";
  return WriteFileAtomically(path, text.substr(0, end));
}

}  // namespace

// One SubmitImagined call's samples, decoded and validated.
struct PolicyLearner::SampleSet {
  std::string actor_id;
  uint64_t policy_version = 0;
  uint64_t policy_revision = 0;
  uint64_t model_version = 0;
  uint64_t model_complete_iterations = 0;
  double model_validation_loss = kNone;
  // Per task (MB-MPO, index = task; undefined tensors until the task arrived) or per sample
  // (ME-TRPO).
  std::vector<learner::Rollouts> pre;
  std::vector<learner::Rollouts> post;
  std::vector<v1::ParameterSet> adapted;
  std::vector<bool> present;
  int64_t samples = 0;
  int64_t trajectories_per_task = 0;
  std::vector<double> member_returns;
  int64_t imagined_steps = 0;
  absl::Time arrived;

  bool adaptation_only() const { return post.empty() || !post[0].rewards.defined(); }
};

// The learner thread's LibTorch state.
struct PolicyLearner::Trainer {
  std::unique_ptr<learner::GaussianMlpPolicy> policy;
  // Shapes of theta (decoding adapted policies); immutable.
  std::vector<at::Tensor> templates;
  learner::MbmpoOptions mbmpo;
  learner::AdvantageOptions advantages;  // ME-TRPO
  learner::TrpoOptions trpo;             // ME-TRPO
  std::unique_ptr<learner::ModelVote> vote;
  std::vector<at::Tensor> vote_best;
  std::vector<double> vote_best_returns;
  int64_t vote_last_best_step = 0;
  // ASYNC with max_policy_lag > 0: theta of the versions stale sets may still come from
  // (the current one and up to max_policy_lag before it), to importance-correct them. Not
  // checkpointed: a restored learner drops stale sets of versions from before the restore.
  std::map<uint64_t, std::vector<at::Tensor>> theta_by_version;
};

struct PolicyLearner::StepResult {
  enum Kind { kStep, kEndIteration } kind = kStep;
  v1::ParameterSet theta;  // after the step (or the restored best)
  // MB-MPO: the adapted policies to publish with it.
  std::vector<v1::ParameterSet> adapted;
  uint64_t adapted_from_version = 0;
  uint64_t adapted_model_version = 0;
  bool took_step = false;
  bool accepted = false;
  double kl = kNone;
  double improvement = 0;
  double imagined_return = kNone;
  double adapted_imagined_return = kNone;
  double model_validation_loss = kNone;
  int64_t imagined_steps = 0;
  double seconds = 0;
  std::vector<uint64_t> set_versions;
  // ME-TRPO: the vote after this step.
  std::vector<double> vote_best_returns;
  int64_t vote_last_best_step = 0;
  v1::ParameterSet vote_best_policy;
};

absl::StatusOr<std::unique_ptr<PolicyLearner>> PolicyLearner::Create(
    const v1::ExperimentConfig& config, int64_t observation_dim, int64_t action_dim,
    PolicyLearnerOptions options) {
  const std::vector<std::string>& columns = learner::kProgressColumns;
  if (columns.size() != kColumns || columns[kRealSteps] != "real_steps" ||
      columns[kEvalReturn] != "eval_return" ||
      columns[kAdaptedImaginedReturn] != "adapted_imagined_return" ||
      columns[kEvalSeconds] != "eval_seconds") {
    return absl::InternalError("the progress columns of learner/experiment.h changed");
  }
  MBRL_ASSIGN_OR_RETURN(EpisodePlan plan, EpisodePlan::Create(config));
  for (const std::string& dir : {options.checkpoint_dir, options.progress_dir}) {
    if (dir.empty()) continue;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", dir, ": ", error.message()));
    }
  }
  std::unique_ptr<PolicyLearner> learner(
      new PolicyLearner(config, std::move(plan), std::move(options)));
  MBRL_RETURN_IF_ERROR(learner->Initialize(observation_dim, action_dim));
  return learner;
}

PolicyLearner::PolicyLearner(const v1::ExperimentConfig& config, EpisodePlan plan,
                             PolicyLearnerOptions options)
    : config_(config),
      plan_(plan),
      options_(std::move(options)),
      async_(config.schedule() == v1::ExperimentConfig::ASYNC),
      mbmpo_(config.has_mbmpo()),
      trainer_(std::make_unique<Trainer>()),
      publisher_(Revision),
      metrics_(std::make_shared<RoleMetrics>(RoleMetrics::kPolicyLearner)),
      rpc_metrics_(std::make_shared<RpcMetrics>(
          "mbrl.v1.PolicyLearner",
          std::vector<std::string>{"WatchPolicy", "SubmitImagined", "RequestWork", "Status"})),
      work_(plan, absl::Seconds(config.roles().work_lease_seconds())) {}

PolicyLearner::~PolicyLearner() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  publisher_.Shutdown();
}

absl::Status PolicyLearner::Initialize(int64_t observation_dim, int64_t action_dim) {
  MBRL_ASSIGN_OR_RETURN(trainer_->policy, learner::GaussianMlpPolicy::Create(
                                              learner::GaussianMlpOptions::FromConfig(
                                                  config_.policy(), observation_dim, action_dim),
                                              config_.seed() + 1));
  for (const at::Tensor& parameter : trainer_->policy->parameters()) {
    trainer_->templates.push_back(at::empty_like(parameter.detach()));
  }
  if (mbmpo_) {
    trainer_->mbmpo = learner::MbmpoOptions::FromConfig(config_.mbmpo());
    steps_per_iteration_ = config_.mbmpo().meta_steps_per_iteration();
  } else {
    const v1::MetrpoConfig& metrpo = config_.metrpo();
    trainer_->advantages.discount = metrpo.discount();
    trainer_->advantages.gae_lambda = metrpo.gae_lambda();
    trainer_->trpo = learner::TrpoOptions::FromConfig(metrpo.trpo());
    trainer_->vote = std::make_unique<learner::ModelVote>(metrpo.model_vote_threshold(),
                                                          static_cast<int>(metrpo.patience()));
    steps_per_iteration_ = metrpo.max_policy_steps_per_iteration();
  }
  iterations_ = plan_.iterations();
  if (const uint64_t budget = config_.budget().max_real_steps(); budget > 0) {
    int64_t allowed = 0;
    while (allowed < iterations_ &&
           static_cast<uint64_t>(plan_.MaxStepsThrough(allowed)) <= budget) {
      ++allowed;
    }
    iterations_ = allowed;
  }

  // Restore, or start.
  v1::PolicyLearnerCheckpoint restored;
  bool have_checkpoint = false;
  if (!options_.checkpoint_dir.empty()) {
    const std::string path = options_.checkpoint_dir + "/" + kCheckpointFile;
    absl::StatusOr<std::string> bytes = ReadFile(path);
    if (bytes.ok()) {
      if (!restored.ParseFromString(*bytes)) {
        return absl::DataLossError(absl::StrCat(path, ": not a PolicyLearnerCheckpoint"));
      }
      have_checkpoint = true;
    } else if (!absl::IsNotFound(bytes.status())) {
      return bytes.status();
    }
  }
  if (have_checkpoint) {
    absl::Status read =
        learner::ReadPolicySnapshot(restored.snapshot(), *trainer_->policy).status();
    if (!read.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy learner checkpoint: ", read.message()));
    }
    if (!mbmpo_ && restored.vote_best_returns_size() > 0) {
      trainer_->vote_best_returns.assign(restored.vote_best_returns().begin(),
                                         restored.vote_best_returns().end());
      trainer_->vote_last_best_step = restored.vote_last_best_step();
      trainer_->vote->Observe(trainer_->vote_best_returns,
                              static_cast<int>(restored.vote_last_best_step()));
      trainer_->vote_best = learner::CloneDetached(trainer_->policy->parameters());
      MBRL_RETURN_IF_ERROR(learner::ReadParameterSet(
          restored.vote_best_policy(), trainer_->policy->parameter_names(), trainer_->vote_best));
    }
  }

  const std::string progress_path = options_.progress_dir + "/progress.csv";
  const bool resume_progress =
      have_checkpoint && !options_.progress_dir.empty() && std::filesystem::exists(progress_path);
  if (resume_progress) {
    // Rows written after the checkpoint (a crash between a row and the next checkpoint, or a
    // report answered while stopping) are written again after the restore: drop them first.
    MBRL_RETURN_IF_ERROR(KeepFirstRows(progress_path, restored.progress_rows()));
  }
  absl::MutexLock lock(&mu_);
  if (!options_.progress_dir.empty()) {
    MBRL_ASSIGN_OR_RETURN(
        progress_, ProgressLog::Create(learner::kProgressColumns, progress_path, options_.terminal,
                                       resume_progress ? ProgressLog::Mode::kAppend
                                                       : ProgressLog::Mode::kTruncate));
  }
  if (have_checkpoint) {
    state_ = std::move(restored);
    work_.RestoreCollected({state_.collected().begin(), state_.collected().end()});
    if (!async_ && state_.stage() == v1::PolicyLearnerCheckpoint::IMPROVE &&
        state_.collection_revision() != 0) {
      work_.ReleaseThrough(
          plan_.FirstEpisode(static_cast<int64_t>(state_.snapshot().iteration()) + 1));
    }
    if (async_) UpdateReleaseLocked();
    // Revisions published after the last checkpoint (at most a few: every publish is followed
    // by a checkpoint) were seen by subscribers, who wait for newer ones: jump past them.
    state_.mutable_snapshot()->set_revision(state_.snapshot().revision() + kRestoreRevisionJump);
    MBRL_LOG(INFO) << "policy learner: restored version " << state_.snapshot().version()
                   << ", iteration " << state_.snapshot().iteration() << ", " << state_.real_steps()
                   << " real steps";
    PublishLocked();
  } else {
    state_.set_start_unix_micros(NowMicros());
    v1::PolicySnapshot& snapshot = *state_.mutable_snapshot();
    MBRL_RETURN_IF_ERROR(learner::WritePolicySnapshot(*trainer_->policy, {}, &snapshot));
    snapshot.set_version(1);
    StartIterationLocked(0);
  }
  metrics_->SetPolicyVersion(state_.snapshot().version());
  dirty_ = true;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Schedule (under mu_).

v1::ImaginationRequest PolicyLearner::RequestLocked() const {
  v1::ImaginationRequest request;
  const uint64_t iteration = state_.snapshot().iteration();
  request.set_one_set_per_revision(!async_);
  if (state_.stage() == v1::PolicyLearnerCheckpoint::ADAPT) {
    request.set_adaptation_only(true);
    request.set_min_complete_iterations(iteration);
  } else {
    request.set_min_complete_iterations(async_ ? 1 : iteration + 1);
  }
  if (!mbmpo_ && state_.stage() == v1::PolicyLearnerCheckpoint::IMPROVE) {
    const uint64_t steps = state_.iteration_steps();
    request.set_member_returns(steps == 0 || steps % config_.metrpo().validation_every() == 0);
  }
  return request;
}

void PolicyLearner::PublishLocked() {
  v1::PolicySnapshot& snapshot = *state_.mutable_snapshot();
  snapshot.set_revision(snapshot.revision() + 1);
  snapshot.set_created_unix_micros(NowMicros());
  *snapshot.mutable_imagination() = RequestLocked();
  snapshot.set_finished(state_.stage() == v1::PolicyLearnerCheckpoint::FINISHED);
  publisher_.Publish(std::make_shared<const v1::PolicySnapshot>(snapshot));
  metrics_->SetPolicyVersion(snapshot.version());
  dirty_ = true;
}

void PolicyLearner::UpdateReleaseLocked() {
  const int64_t iteration = static_cast<int64_t>(state_.snapshot().iteration());
  if (iteration >= iterations_) return;
  uint64_t end = plan_.FirstEpisode(iteration + 1);
  if (iteration + 1 < iterations_) {
    const int64_t next = plan_.EpisodesIn(iteration + 1);
    const int64_t steps = static_cast<int64_t>(state_.iteration_steps()) + 1;
    end += static_cast<uint64_t>(
        std::min<int64_t>(next, (steps * next + steps_per_iteration_ - 1) / steps_per_iteration_));
  }
  work_.ReleaseThrough(end);
}

void PolicyLearner::StartIterationLocked(int64_t iteration) {
  state_.mutable_snapshot()->set_iteration(static_cast<uint64_t>(iteration));
  state_.set_iteration_steps(0);
  state_.set_iteration_accepted_steps(0);
  state_.set_iteration_start_unix_micros(NowMicros());
  state_.clear_iteration_row();
  for (double value : EmptyRow()) state_.add_iteration_row(value);
  state_.clear_vote_best_returns();
  state_.clear_vote_best_policy();
  state_.set_vote_last_best_step(0);
  collection_done_unix_micros_ = 0;
  if (!async_ && mbmpo_ && iteration > 0) {
    state_.set_stage(v1::PolicyLearnerCheckpoint::ADAPT);
    state_.set_collection_revision(0);
    PublishLocked();
    return;
  }
  state_.set_stage(v1::PolicyLearnerCheckpoint::IMPROVE);
  PublishLocked();
  if (async_) {
    UpdateReleaseLocked();
  } else {
    state_.set_collection_revision(state_.snapshot().revision());
    work_.ReleaseThrough(plan_.FirstEpisode(iteration + 1));
  }
}

void PolicyLearner::FinishLocked(const std::string& stopped_by) {
  state_.set_stage(v1::PolicyLearnerCheckpoint::FINISHED);
  state_.set_stopped_by(stopped_by);
  MBRL_LOG(INFO) << "policy learner: finished (" << stopped_by << ") after iteration "
                 << state_.snapshot().iteration();
  PublishLocked();
}

bool PolicyLearner::FinishedLocked() const {
  return state_.stage() == v1::PolicyLearnerCheckpoint::FINISHED &&
         state_.pending_evaluations_size() == 0;
}

double PolicyLearner::SecondsSince(int64_t unix_micros) const {
  return static_cast<double>(NowMicros() - unix_micros) * 1e-6;
}

void PolicyLearner::EndIterationLocked(const v1::ParameterSet& theta) {
  const int64_t iteration = static_cast<int64_t>(state_.snapshot().iteration());
  std::vector<double> row(state_.iteration_row().begin(), state_.iteration_row().end());
  row.resize(kColumns, kNone);
  row[kIteration] = static_cast<double>(iteration);
  row[kRealSteps] = static_cast<double>(state_.real_steps());
  row[kImaginedSteps] = static_cast<double>(state_.imagined_steps());
  row[kPolicySteps] = static_cast<double>(state_.iteration_steps());
  row[kAcceptedPolicySteps] = static_cast<double>(state_.iteration_accepted_steps());
  const uint32_t episodes = config_.evaluation().episodes();
  if (episodes > 0 && (iteration + 1) % config_.evaluation().every_iterations() == 0) {
    v1::PendingEvaluation& pending = *state_.add_pending_evaluations();
    pending.set_iteration(static_cast<uint64_t>(iteration));
    pending.set_policy_version(state_.snapshot().version());
    *pending.mutable_policy() = theta;
    for (double value : row) pending.add_row(value);
    pending.set_requested_unix_micros(NowMicros());
  } else {
    WriteRowLocked(row);
  }
  const bool out_of_time =
      config_.budget().max_wall_seconds() > 0 &&
      SecondsSince(state_.start_unix_micros()) >= config_.budget().max_wall_seconds();
  if (out_of_time) {
    FinishLocked("max_wall_seconds");
  } else if (iteration + 1 >= iterations_) {
    FinishLocked(iterations_ < plan_.iterations() ? "max_real_steps" : "iterations");
  } else {
    StartIterationLocked(iteration + 1);
  }
}

void PolicyLearner::WriteRowLocked(std::vector<double> row) {
  row[kWallSeconds] = SecondsSince(state_.start_unix_micros());
  state_.set_progress_rows(state_.progress_rows() + 1);
  dirty_ = true;
  if (progress_ == nullptr) return;
  if (absl::Status status = progress_->Write(row); !status.ok()) {
    MBRL_LOG(ERROR) << "policy learner: cannot write progress: " << status;
  }
}

void PolicyLearner::ReportLocked(const v1::WorkReport& report) {
  if (report.kind() == v1::WorkReport::COLLECTED) {
    const std::vector<uint64_t> steps(report.steps().begin(), report.steps().end());
    const uint64_t new_steps =
        work_.Collect(report.first_episode(), static_cast<uint32_t>(report.returns_size()), steps);
    if (new_steps == 0 && report.returns_size() > 0) return;
    state_.set_real_steps(state_.real_steps() + new_steps);
    state_.clear_collected();
    for (const v1::EpisodeRange& range : work_.CollectedRanges()) *state_.add_collected() = range;
    dirty_ = true;
    const int64_t iteration = static_cast<int64_t>(state_.snapshot().iteration());
    if (!async_ && collection_done_unix_micros_ == 0 &&
        state_.stage() == v1::PolicyLearnerCheckpoint::IMPROVE &&
        work_.IterationCollected(iteration)) {
      collection_done_unix_micros_ = NowMicros();
      state_.set_iteration_row(kCollectSeconds, SecondsSince(state_.iteration_start_unix_micros()));
    }
    return;
  }
  if (report.kind() != v1::WorkReport::EVALUATED || report.returns_size() == 0) return;
  auto* pending = state_.mutable_pending_evaluations();
  for (int i = 0; i < pending->size(); ++i) {
    if (pending->Get(i).iteration() != report.iteration()) continue;
    std::vector<double> row(pending->Get(i).row().begin(), pending->Get(i).row().end());
    row[kEvalReturn] = std::accumulate(report.returns().begin(), report.returns().end(), 0.0) /
                       report.returns_size();
    row[kEvalSeconds] = SecondsSince(pending->Get(i).requested_unix_micros());
    pending->DeleteSubrange(i, 1);
    evaluation_leases_.erase(report.iteration());
    WriteRowLocked(row);
    if (FinishedLocked()) wake_ = true;
    return;
  }
}

void PolicyLearner::NextWorkLocked(const v1::WorkRequest& request, v1::WorkResponse* response) {
  const absl::Time now = absl::Now();
  // Evaluations first: they complete progress rows. A request for no episodes only reports.
  for (const v1::PendingEvaluation& pending : state_.pending_evaluations()) {
    if (request.max_episodes() == 0) break;
    auto lease = evaluation_leases_.find(pending.iteration());
    if (lease != evaluation_leases_.end() && lease->second > now) continue;
    evaluation_leases_[pending.iteration()] =
        now + absl::Seconds(config_.roles().work_lease_seconds());
    response->set_kind(v1::WorkResponse::EVALUATE);
    response->set_iteration(pending.iteration());
    response->set_evaluation_episodes(config_.evaluation().episodes());
    response->set_first_seed(plan_.EvaluationSeed(static_cast<int64_t>(pending.iteration())));
    *response->mutable_policy() = pending.policy();
    response->set_policy_version(pending.policy_version());
    return;
  }
  if (FinishedLocked()) {
    response->set_kind(v1::WorkResponse::FINISHED);
    return;
  }
  std::optional<WorkQueue::Claim> claim;
  if (state_.stage() != v1::PolicyLearnerCheckpoint::FINISHED && request.max_episodes() > 0) {
    claim = work_.ClaimEpisodes(request.max_episodes(), now);
  }
  if (!claim.has_value()) {
    response->set_kind(v1::WorkResponse::WAIT);
    response->set_wait_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(options_.work_wait)));
    return;
  }
  response->set_kind(v1::WorkResponse::COLLECT);
  response->set_iteration(static_cast<uint64_t>(claim->iteration));
  response->set_first_episode(claim->first_episode);
  response->set_first_seed(plan_.EpisodeSeed(claim->first_episode));
  response->set_random_actions(plan_.RandomActions(claim->iteration));
  response->set_min_policy_revision(async_ ? 0 : state_.collection_revision());
  for (uint32_t j = 0; j < claim->episodes; ++j) {
    response->add_episode_ids(plan_.EpisodeId(claim->first_episode + j));
    if (mbmpo_) response->add_tasks(plan_.TaskOf(claim->first_episode + j));
  }
}

// ---------------------------------------------------------------------------------------------
// Sample sets.

absl::Status PolicyLearner::Decode(const v1::ImaginedSample& sample, SampleSet* set) const {
  const int64_t obs = trainer_->policy->observation_dim();
  const int64_t act = trainer_->policy->action_dim();
  const int64_t horizon = plan_.horizon();
  if (set->samples == 0) {
    set->actor_id = sample.actor_id();
    set->policy_version = sample.policy_version();
    set->policy_revision = sample.policy_revision();
    set->model_version = sample.model_version();
    set->model_complete_iterations = sample.model_complete_iterations();
    set->model_validation_loss = sample.model_validation_loss();
    if (mbmpo_) {
      set->pre.resize(plan_.tasks());
      set->post.resize(plan_.tasks());
      set->adapted.resize(plan_.tasks());
      set->present.assign(plan_.tasks(), false);
    }
  } else if (sample.policy_version() != set->policy_version ||
             sample.model_version() != set->model_version ||
             sample.policy_revision() != set->policy_revision) {
    return absl::InvalidArgumentError("the samples of one set must share policy and model");
  }
  if (sample.policy_version() == 0) {
    return absl::InvalidArgumentError("sample: policy_version must be >= 1");
  }
  auto decode = [&](const v1::RolloutBatch& batch,
                    const char* name) -> absl::StatusOr<learner::Rollouts> {
    absl::StatusOr<learner::Rollouts> rollouts = learner::RolloutsFromProto(batch, obs, act);
    if (!rollouts.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", rollouts.status().message()));
    }
    if (rollouts->horizon() != horizon || rollouts->trajectories() < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": expected at least one rollout of ", horizon, " steps"));
    }
    return rollouts;
  };
  MBRL_ASSIGN_OR_RETURN(learner::Rollouts pre, decode(sample.pre_update(), "pre_update"));
  int64_t steps = pre.lengths.sum().item<int64_t>();
  for (double value : sample.member_returns()) {
    if (!std::isfinite(value)) return absl::InvalidArgumentError("member_returns: not finite");
  }
  if (!mbmpo_) {
    if (sample.has_task()) return absl::InvalidArgumentError("ME-TRPO samples have no task");
    set->pre.push_back(std::move(pre));
    if (sample.member_returns_size() > 0) {
      set->member_returns.assign(sample.member_returns().begin(), sample.member_returns().end());
    }
    set->imagined_steps += steps + static_cast<int64_t>(sample.member_return_steps());
    ++set->samples;
    return absl::OkStatus();
  }
  if (!sample.has_task() || sample.task() >= static_cast<uint32_t>(plan_.tasks())) {
    return absl::InvalidArgumentError(
        absl::StrCat("MB-MPO samples need a task in [0, ", plan_.tasks(), ")"));
  }
  const uint32_t task = sample.task();
  if (set->present[task]) {
    return absl::InvalidArgumentError(absl::StrCat("task ", task, " appears twice in the set"));
  }
  const bool has_post = sample.has_post_update();
  if (set->samples > 0 && has_post == set->adaptation_only()) {
    return absl::InvalidArgumentError(
        "either every sample of a set has post-update rollouts or none");
  }
  if (has_post) {
    MBRL_ASSIGN_OR_RETURN(set->post[task], decode(sample.post_update(), "post_update"));
    if (set->post[task].trajectories() != pre.trajectories()) {
      return absl::InvalidArgumentError("pre- and post-update rollouts differ in number");
    }
    steps += set->post[task].lengths.sum().item<int64_t>();
  }
  // The adapted policy must fit theta (checked on scratch tensors).
  std::vector<at::Tensor> scratch;
  for (const at::Tensor& tensor : trainer_->templates) scratch.push_back(at::empty_like(tensor));
  if (absl::Status status =
          learner::ReadParameterSet(sample.adapted(), trainer_->policy->parameter_names(), scratch);
      !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("adapted: ", status.message()));
  }
  if (set->samples == 0) set->trajectories_per_task = pre.trajectories();
  if (pre.trajectories() != set->trajectories_per_task) {
    return absl::InvalidArgumentError("every task of a set needs the same number of rollouts");
  }
  set->pre[task] = std::move(pre);
  set->adapted[task] = sample.adapted();
  set->present[task] = true;
  set->imagined_steps += steps;
  ++set->samples;
  return absl::OkStatus();
}

class PolicyLearner::SubmitReactor final : public grpc::ServerReadReactor<v1::ImaginedSample> {
 public:
  SubmitReactor(PolicyLearner* learner, grpc::CallbackServerContext* context,
                v1::SubmitImaginedResponse* response)
      : learner_(learner),
        context_(context),
        response_(response),
        set_(std::make_unique<SampleSet>()),
        start_(absl::Now()) {
    StartRead(&sample_);
  }

 private:
  void OnReadDone(bool ok) override {
    if (ok) {
      absl::Status status = CallTorchDecode();
      if (!status.ok()) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(status.message())));
        return;
      }
      StartRead(&sample_);
      return;
    }
    if (context_->IsCancelled()) {
      Finish(grpc::Status::CANCELLED);
      return;
    }
    set_->arrived = absl::Now();
    learner_->Enqueue(std::move(set_), response_);
    learner_->rpc_metrics_->method("SubmitImagined").Observe(absl::Now() - start_);
    Finish(grpc::Status::OK);
  }

  absl::Status CallTorchDecode() {
    return learner::CallTorch("SubmitImagined",
                              [&] { return learner_->Decode(sample_, set_.get()); });
  }

  void OnDone() override { delete this; }

  PolicyLearner* const learner_;
  grpc::CallbackServerContext* const context_;
  v1::SubmitImaginedResponse* const response_;
  v1::ImaginedSample sample_;
  std::unique_ptr<SampleSet> set_;
  const absl::Time start_;
};

grpc::ServerReadReactor<v1::ImaginedSample>* PolicyLearner::SubmitImagined(
    grpc::CallbackServerContext* context, v1::SubmitImaginedResponse* response) {
  return new SubmitReactor(this, context, response);
}

void PolicyLearner::Enqueue(std::unique_ptr<SampleSet> set, v1::SubmitImaginedResponse* response) {
  absl::MutexLock lock(&mu_);
  const uint64_t version = state_.snapshot().version();
  response->set_policy_version(version);
  const bool complete =
      set->samples > 0 &&
      (!mbmpo_ || std::all_of(set->present.begin(), set->present.end(), [](bool p) { return p; }));
  const bool stale =
      set->policy_version > version ||
      version - set->policy_version > (async_ ? config_.roles().max_policy_lag() : 0);
  if (!complete || stale || state_.stage() == v1::PolicyLearnerCheckpoint::FINISHED) {
    dropped_samples_ += static_cast<uint64_t>(set->samples);
    response->set_dropped_stale_samples(static_cast<uint64_t>(set->samples));
    if (set->policy_version <= version) {
      metrics_->ObservePolicyLag(static_cast<double>(version - set->policy_version));
    }
    return;
  }
  accepted_samples_ += static_cast<uint64_t>(set->samples);
  response->set_accepted_samples(static_cast<uint64_t>(set->samples));
  queue_.push_back(std::move(set));
  // Bounded: the oldest sets go first (they are the stalest).
  const size_t limit = std::max<size_t>(8, 4 * config_.topology().imagination_actors());
  while (queue_.size() > limit) {
    dropped_samples_ += static_cast<uint64_t>(queue_.front()->samples);
    queue_.pop_front();
  }
  wake_ = true;
}

bool PolicyLearner::SetIsUsableLocked(const SampleSet& set) const {
  const v1::PolicySnapshot& snapshot = state_.snapshot();
  const uint64_t version = snapshot.version();
  const uint64_t iteration = snapshot.iteration();
  // SYNC models: in an uninterrupted run the model has exactly `iteration` complete iterations
  // while adapting and `iteration + 1` while improving (the next iteration's episodes are not
  // released before). A learner restored from a checkpoint taken before its last release finds
  // that data already in replay and the model fit on it, and no older model will ever come:
  // so a newer model is accepted (">=", not "==").
  if (state_.stage() == v1::PolicyLearnerCheckpoint::ADAPT) {
    return set.adaptation_only() && set.policy_version == version &&
           set.model_complete_iterations >= iteration;
  }
  if (state_.stage() != v1::PolicyLearnerCheckpoint::IMPROVE) return false;
  if (mbmpo_ && set.adaptation_only()) return false;
  // ME-TRPO validation points wait for a set of the validated version.
  const bool validating = !mbmpo_ && snapshot.imagination().member_returns();
  if (validating && (set.policy_version != version || set.member_returns.empty())) return false;
  if (async_) {
    return set.model_complete_iterations >= 1 &&
           version - set.policy_version <= config_.roles().max_policy_lag();
  }
  return set.policy_version == version && set.model_complete_iterations >= iteration + 1;
}

std::vector<std::unique_ptr<PolicyLearner::SampleSet>> PolicyLearner::TakeUsableSetsLocked() {
  // Drop what can never be used again.
  const uint64_t version = state_.snapshot().version();
  const uint64_t lag = async_ ? config_.roles().max_policy_lag() : 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (version - (*it)->policy_version > lag) {
      dropped_samples_ += static_cast<uint64_t>((*it)->samples);
      metrics_->ObservePolicyLag(static_cast<double>(version - (*it)->policy_version));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<size_t> usable;
  std::set<std::string> actors;
  absl::Time first_arrival = absl::InfiniteFuture();
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (!SetIsUsableLocked(*queue_[i])) continue;
    usable.push_back(i);
    actors.insert(queue_[i]->actor_id);
    first_arrival = std::min(first_arrival, queue_[i]->arrived);
  }
  if (usable.empty()) return {};
  if (!async_) {
    const bool all = actors.size() >= config_.topology().imagination_actors();
    const bool waited_enough =
        absl::Now() - first_arrival >= absl::Seconds(config_.roles().sync_set_timeout_seconds());
    if (!all && !waited_enough) return {};
  }
  // One set per actor (its newest), ordered by actor for determinism; ASYNC: newest versions
  // first.
  std::map<std::string, size_t> by_actor;
  for (size_t i : usable) by_actor[queue_[i]->actor_id] = i;
  std::vector<size_t> chosen;
  for (const auto& [actor, i] : by_actor) chosen.push_back(i);
  if (async_) {
    std::stable_sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
      return queue_[a]->policy_version > queue_[b]->policy_version;
    });
  }
  std::vector<std::unique_ptr<SampleSet>> sets;
  for (size_t i : chosen) sets.push_back(std::move(queue_[i]));
  // Usable sets of the same actor that were not chosen are superseded.
  for (size_t i : usable) {
    if (queue_[i] != nullptr) dropped_samples_ += static_cast<uint64_t>(queue_[i]->samples);
  }
  std::deque<std::unique_ptr<SampleSet>> rest;
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (queue_[i] != nullptr && std::find(usable.begin(), usable.end(), i) == usable.end()) {
      rest.push_back(std::move(queue_[i]));
    }
  }
  queue_ = std::move(rest);
  return sets;
}

// ---------------------------------------------------------------------------------------------
// The learner thread.

void PolicyLearner::Start() {
  absl::MutexLock lock(&mu_);
  if (running_ || thread_.joinable()) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

bool PolicyLearner::Stop(absl::Duration timeout) {
  bool stopped;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !running_; };
    stopped = mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }
  if (stopped) {
    v1::PolicyLearnerCheckpoint checkpoint;
    {
      absl::MutexLock lock(&mu_);
      checkpoint = state_;
    }
    WriteCheckpoint(checkpoint);
  }
  publisher_.Shutdown();
  return stopped;
}

void PolicyLearner::WriteCheckpoint(const v1::PolicyLearnerCheckpoint& checkpoint) {
  if (options_.checkpoint_dir.empty()) return;
  if (absl::Status status = WriteFileAtomically(options_.checkpoint_dir + "/" + kCheckpointFile,
                                                checkpoint.SerializeAsString());
      !status.ok()) {
    MBRL_LOG(ERROR) << "policy learner: checkpoint: " << status;
  }
}

void PolicyLearner::Run() {
  if (options_.threads > 0) at::set_num_threads(options_.threads);
  while (true) {
    std::vector<std::unique_ptr<SampleSet>> sets;
    v1::PolicyLearnerCheckpoint state;
    std::optional<v1::PolicyLearnerCheckpoint> checkpoint;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_ || wake_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), absl::Milliseconds(100));
      wake_ = false;
      if (stop_) break;
      if (state_.stage() == v1::PolicyLearnerCheckpoint::ADAPT) {
        std::vector<std::unique_ptr<SampleSet>> adapt = TakeUsableSetsLocked();
        if (!adapt.empty()) ApplyAdaptationLocked(*adapt.front());
      } else if (state_.stage() == v1::PolicyLearnerCheckpoint::IMPROVE) {
        sets = TakeUsableSetsLocked();
        state = state_;
      }
      if (sets.empty() && dirty_) {
        checkpoint = state_;
        dirty_ = false;
      }
    }
    if (checkpoint.has_value()) WriteCheckpoint(*checkpoint);
    if (sets.empty()) continue;
    absl::StatusOr<StepResult> result = Process(state, sets);
    if (!result.ok()) {
      MBRL_LOG(ERROR) << "policy learner: step failed (the sets are dropped): " << result.status();
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      ApplyLocked(*result);
      checkpoint = state_;
      dirty_ = false;
    }
    WriteCheckpoint(*checkpoint);
  }
  absl::MutexLock lock(&mu_);
  running_ = false;
}

void PolicyLearner::ApplyAdaptationLocked(const SampleSet& set) {
  v1::PolicySnapshot& snapshot = *state_.mutable_snapshot();
  snapshot.clear_adapted();
  for (const v1::ParameterSet& adapted : set.adapted) *snapshot.add_adapted() = adapted;
  snapshot.set_adapted_from_version(set.policy_version);
  snapshot.set_adapted_model_version(set.model_version);
  state_.set_stage(v1::PolicyLearnerCheckpoint::IMPROVE);
  PublishLocked();
  state_.set_collection_revision(snapshot.revision());
  work_.ReleaseThrough(plan_.FirstEpisode(static_cast<int64_t>(snapshot.iteration()) + 1));
  MBRL_LOG(INFO) << "policy learner: version " << snapshot.version() << " adapted by "
                 << set.actor_id << "; collecting iteration " << snapshot.iteration();
}

absl::Status PolicyLearner::CorrectStaleSets(uint64_t version,
                                             std::vector<std::unique_ptr<SampleSet>>& sets) {
  Trainer& trainer = *trainer_;
  const learner::Policy& policy = *trainer.policy;
  auto& known = trainer.theta_by_version;
  if (known.count(version) == 0) known[version] = learner::CloneDetached(policy.parameters());
  const uint64_t lag = async_ ? config_.roles().max_policy_lag() : 0;
  while (!known.empty() && known.begin()->first + lag < version) known.erase(known.begin());
  const bool any_stale = std::any_of(sets.begin(), sets.end(),
                                     [&](const auto& set) { return set->policy_version != version; });
  if (!any_stale) return absl::OkStatus();
  std::vector<std::unique_ptr<SampleSet>> usable;
  for (auto& set : sets) {
    if (known.count(set->policy_version) == 0) {
      MBRL_LOG(WARNING) << "policy learner: dropped a set of version " << set->policy_version
                        << " from " << set->actor_id
                        << ": its theta is not known here (made before a restore)";
      continue;
    }
    usable.push_back(std::move(set));
  }
  sets = std::move(usable);
  if (sets.empty()) return absl::UnavailableError("no usable sets after dropping stale ones");
  // Every set gets behavior log-probs (current ones too: ConcatRollouts needs all or none).
  return learner::CallTorch("importance correction", [&]() -> absl::Status {
    for (auto& set : sets) {
      const std::vector<at::Tensor>& theta = known.at(set->policy_version);
      for (size_t task = 0; task < set->pre.size(); ++task) {
        set->pre[task].behavior_log_probs = learner::ActionLogProbs(policy, theta, set->pre[task]);
        if (set->adaptation_only()) continue;
        std::vector<at::Tensor> adapted;
        for (const at::Tensor& t : trainer.templates) adapted.push_back(at::empty_like(t));
        MBRL_RETURN_IF_ERROR(learner::ReadParameterSet(
            set->adapted[task], policy.parameter_names(), adapted));
        set->post[task].behavior_log_probs =
            learner::ActionLogProbs(policy, adapted, set->post[task]);
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<PolicyLearner::StepResult> PolicyLearner::Process(
    const v1::PolicyLearnerCheckpoint& state, std::vector<std::unique_ptr<SampleSet>>& sets) {
  const absl::Time start = absl::Now();
  StepResult result;
  Trainer& trainer = *trainer_;
  const learner::Policy& policy = *trainer.policy;
  const int64_t steps_done = static_cast<int64_t>(state.iteration_steps());
  MBRL_RETURN_IF_ERROR(CorrectStaleSets(state.snapshot().version(), sets));
  for (const auto& set : sets) {
    result.set_versions.push_back(set->policy_version);
    result.imagined_steps += set->imagined_steps;
  }
  result.model_validation_loss = sets.front()->model_validation_loss;

  if (mbmpo_) {
    const int64_t tasks = plan_.tasks();
    std::vector<learner::Rollouts> pre, post;
    for (int64_t task = 0; task < tasks; ++task) {
      for (const auto& set : sets) {
        pre.push_back(set->pre[task]);
        post.push_back(set->post[task]);
      }
    }
    MBRL_ASSIGN_OR_RETURN(
        learner::MbmpoOuterReport report, learner::CallTorch("MB-MPO outer step", [&] {
          return learner::MbmpoOuterStep(policy, learner::ConcatRollouts(pre),
                                         learner::ConcatRollouts(post), tasks, trainer.mbmpo);
        }));
    result.took_step = true;
    result.accepted = report.trpo.accepted;
    result.kl = report.trpo.accepted ? report.trpo.kl : kNone;
    result.improvement = report.trpo.surrogate_after - report.trpo.surrogate_before;
    result.imagined_return = report.pre_update_return;
    result.adapted_imagined_return = report.post_update_return;
    result.adapted = sets.front()->adapted;
    result.adapted_from_version = sets.front()->policy_version;
    result.adapted_model_version = sets.front()->model_version;
    if (steps_done + 1 >= steps_per_iteration_) result.kind = StepResult::kEndIteration;
  } else {
    const v1::MetrpoConfig& metrpo = config_.metrpo();
    const std::vector<at::Tensor>& theta = policy.parameters();
    bool end = false;
    if (state.snapshot().imagination().member_returns()) {
      // The vote on theta (the set is of the current version).
      if (trainer.vote->Observe(sets.front()->member_returns, static_cast<int>(steps_done))) {
        trainer.vote_best = learner::CloneDetached(theta);
        trainer.vote_best_returns = sets.front()->member_returns;
        trainer.vote_last_best_step = steps_done;
      }
      end = trainer.vote->Exhausted(static_cast<int>(steps_done));
    }
    end = end || steps_done >= static_cast<int64_t>(metrpo.max_policy_steps_per_iteration());
    if (!end) {
      std::vector<learner::Rollouts> parts;
      for (const auto& set : sets) {
        for (const learner::Rollouts& rollouts : set->pre) parts.push_back(rollouts);
      }
      const learner::Rollouts rollouts = learner::ConcatRollouts(parts);
      MBRL_ASSIGN_OR_RETURN(
          learner::TrpoReport report,
          learner::TrpoPolicyStep(policy, rollouts, trainer.advantages, trainer.trpo));
      result.took_step = true;
      result.accepted = report.accepted;
      result.kl = report.accepted ? report.kl : kNone;
      result.improvement = report.surrogate_after - report.surrogate_before;
      result.imagined_return = rollouts.Returns().mean().item<double>();
      const int64_t done = steps_done + 1;
      // The last step ends the iteration unless a validation of it is due.
      end = done >= static_cast<int64_t>(metrpo.max_policy_steps_per_iteration()) &&
            done % metrpo.validation_every() != 0;
    }
    if (end) {
      result.kind = StepResult::kEndIteration;
      if (!trainer.vote_best.empty()) learner::AssignTensors(trainer.vote_best, theta);
      trainer.vote = std::make_unique<learner::ModelVote>(metrpo.model_vote_threshold(),
                                                          static_cast<int>(metrpo.patience()));
      trainer.vote_best.clear();
      trainer.vote_best_returns.clear();
      trainer.vote_last_best_step = 0;
    } else if (!trainer.vote_best.empty()) {
      MBRL_RETURN_IF_ERROR(learner::WriteParameterSet(policy.parameter_names(), trainer.vote_best,
                                                      &result.vote_best_policy));
      result.vote_best_returns = trainer.vote_best_returns;
      result.vote_last_best_step = trainer.vote_last_best_step;
    }
  }
  MBRL_RETURN_IF_ERROR(
      learner::WriteParameterSet(policy.parameter_names(), policy.parameters(), &result.theta));
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

void PolicyLearner::ApplyLocked(const StepResult& result) {
  v1::PolicySnapshot& snapshot = *state_.mutable_snapshot();
  const uint64_t version = snapshot.version();
  for (uint64_t set_version : result.set_versions) {
    metrics_->ObservePolicyLag(static_cast<double>(version - set_version));
  }
  metrics_->ObserveIterationSeconds(result.seconds);
  state_.set_imagined_steps(state_.imagined_steps() + static_cast<uint64_t>(result.imagined_steps));
  auto row = state_.mutable_iteration_row();
  if (std::isnan(row->Get(kFitSeconds)) && !async_ && collection_done_unix_micros_ != 0) {
    row->Set(kFitSeconds, SecondsSince(collection_done_unix_micros_) - result.seconds);
  }
  row->Set(kModelValLoss, result.model_validation_loss);
  const double policy_seconds = std::isnan(row->Get(kPolicySeconds)) ? 0 : row->Get(kPolicySeconds);
  row->Set(kPolicySeconds, policy_seconds + result.seconds);
  if (result.took_step) {
    state_.set_iteration_steps(state_.iteration_steps() + 1);
    state_.set_total_steps(state_.total_steps() + 1);
    row->Set(kImaginedReturn, result.imagined_return);
    row->Set(kAdaptedImaginedReturn, result.adapted_imagined_return);
    last_improvement_ = result.improvement;
    if (result.accepted) {
      state_.set_iteration_accepted_steps(state_.iteration_accepted_steps() + 1);
      row->Set(kKl, result.kl);
      last_kl_ = result.kl;
      metrics_->SetPolicyKl(result.kl);
    }
  }
  if (!mbmpo_) {
    state_.clear_vote_best_returns();
    for (double value : result.vote_best_returns) state_.add_vote_best_returns(value);
    state_.set_vote_last_best_step(result.vote_last_best_step);
    *state_.mutable_vote_best_policy() = result.vote_best_policy;
  }
  const bool new_theta = result.took_step || result.kind == StepResult::kEndIteration;
  if (new_theta) {
    snapshot.set_version(version + 1);
    *snapshot.mutable_meta() = result.theta;
    if (mbmpo_) {
      snapshot.clear_adapted();
      for (const v1::ParameterSet& adapted : result.adapted) *snapshot.add_adapted() = adapted;
      snapshot.set_adapted_from_version(result.adapted_from_version);
      snapshot.set_adapted_model_version(result.adapted_model_version);
    }
  }
  if (result.kind == StepResult::kEndIteration) {
    EndIterationLocked(result.theta);
    return;
  }
  if (config_.budget().max_wall_seconds() > 0 &&
      SecondsSince(state_.start_unix_micros()) >= config_.budget().max_wall_seconds()) {
    EndIterationLocked(result.theta);
    return;
  }
  PublishLocked();
  if (async_) UpdateReleaseLocked();
}

// ---------------------------------------------------------------------------------------------
// gRPC handlers.

grpc::ServerWriteReactor<v1::PolicySnapshot>* PolicyLearner::WatchPolicy(
    grpc::CallbackServerContext* context, const v1::WatchPolicyRequest* request) {
  uint64_t known = request->known_revision();
  if (known == 0 && request->known_version() > 0) {
    // A subscriber that knows only versions gets the current snapshot if its version is newer.
    std::shared_ptr<const v1::PolicySnapshot> latest = publisher_.Latest();
    if (latest != nullptr && latest->version() <= request->known_version()) {
      known = latest->revision();
    }
  }
  return publisher_.Watch(known);
}

grpc::ServerUnaryReactor* PolicyLearner::RequestWork(grpc::CallbackServerContext* context,
                                                     const v1::WorkRequest* request,
                                                     v1::WorkResponse* response) {
  ScopedLatency latency(rpc_metrics_->method("RequestWork"));
  grpc::Status status = grpc::Status::OK;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) {
      // Stopping: the checkpoint is (being) written; reports go to the restarted learner.
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the policy learner is stopping");
    } else {
      for (const v1::WorkReport& report : request->reports()) ReportLocked(report);
      NextWorkLocked(*request, response);
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

v1::PolicyLearnerStatusResponse PolicyLearner::GetStatus() const {
  absl::MutexLock lock(&mu_);
  v1::PolicyLearnerStatusResponse status;
  status.set_version(state_.snapshot().version());
  status.set_revision(state_.snapshot().revision());
  status.set_iteration(state_.snapshot().iteration());
  status.set_accepted_samples(accepted_samples_);
  status.set_dropped_stale_samples(dropped_samples_);
  status.set_last_kl(last_kl_);
  status.set_last_improvement(last_improvement_);
  status.set_real_steps(state_.real_steps());
  status.set_imagined_steps(state_.imagined_steps());
  status.set_progress_rows(state_.progress_rows());
  status.set_finished(FinishedLocked());
  status.set_stopped_by(state_.stopped_by());
  return status;
}

grpc::ServerUnaryReactor* PolicyLearner::Status(grpc::CallbackServerContext* context,
                                                const v1::PolicyLearnerStatusRequest* request,
                                                v1::PolicyLearnerStatusResponse* response) {
  ScopedLatency latency(rpc_metrics_->method("Status"));
  *response = GetStatus();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace mbrl::policy_learner
