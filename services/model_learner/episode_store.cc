#include "services/model_learner/episode_store.h"

#include <ATen/ATen.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor_codec.h"
#include "common/tensor_proto.h"

namespace mbrl::model_learner {
namespace {

// Episodes outside the plan sort after every plan episode.
constexpr uint64_t kForeignBase = uint64_t{1} << 62;

}  // namespace

EpisodeStore::EpisodeStore(const EpisodePlan& plan, int64_t observation_dim, int64_t action_dim,
                           int64_t capacity)
    : plan_(plan),
      observation_dim_(observation_dim),
      action_dim_(action_dim),
      capacity_(capacity),
      ended_per_iteration_(plan.iterations(), 0) {
  const uint64_t episodes = plan_.FirstEpisode(plan_.iterations());
  plan_index_.reserve(episodes);
  for (uint64_t e = 0; e < episodes; ++e) plan_index_[plan_.EpisodeId(e)] = e;
}

uint64_t EpisodeStore::OrderOf(uint64_t episode_id) {
  if (auto it = plan_index_.find(episode_id); it != plan_index_.end()) return it->second;
  auto [it, inserted] = foreign_index_.emplace(episode_id, kForeignBase + foreign_index_.size());
  return it->second;
}

void EpisodeStore::MarkEnded(uint64_t order) {
  if (order >= kForeignBase || !ended_.emplace(order, true).second) return;
  const int64_t iteration = plan_.IterationOf(order);
  if (iteration >= plan_.iterations()) return;
  ++ended_per_iteration_[iteration];
  while (complete_iterations_ < plan_.iterations() &&
         ended_per_iteration_[complete_iterations_] >= plan_.EpisodesIn(complete_iterations_)) {
    ++complete_iterations_;
  }
}

absl::Status EpisodeStore::Add(const v1::ScanResponse& response) {
  const v1::TransitionBatch& batch = response.batch();
  const int64_t o = observation_dim_;
  const int64_t a = action_dim_;
  MBRL_ASSIGN_OR_RETURN(
      at::Tensor observations,
      CheckedTensorView(batch.observations(), "observations", v1::DTYPE_FLOAT32, {kAnyDim, o}));
  const int64_t rows = observations.size(0);
  MBRL_ASSIGN_OR_RETURN(at::Tensor actions, CheckedTensorView(batch.actions(), "actions",
                                                              v1::DTYPE_FLOAT32, {rows, a}));
  MBRL_ASSIGN_OR_RETURN(at::Tensor next_observations,
                        CheckedTensorView(batch.next_observations(), "next_observations",
                                          v1::DTYPE_FLOAT32, {rows, o}));
  MBRL_ASSIGN_OR_RETURN(at::Tensor terminated, CheckedTensorView(batch.terminated(), "terminated",
                                                                 v1::DTYPE_BOOL, {rows}));
  MBRL_ASSIGN_OR_RETURN(at::Tensor truncated,
                        CheckedTensorView(batch.truncated(), "truncated", v1::DTYPE_BOOL, {rows}));
  MBRL_ASSIGN_OR_RETURN(
      at::Tensor episode_ids,
      CheckedTensorView(batch.episode_ids(), "episode_ids", v1::DTYPE_INT64, {rows}));
  MBRL_ASSIGN_OR_RETURN(at::Tensor keys,
                        CheckedTensorView(batch.keys(), "keys", v1::DTYPE_INT64, {rows}));
  MBRL_RETURN_IF_ERROR(CheckFinite(batch.observations(), "observations"));
  MBRL_RETURN_IF_ERROR(CheckFinite(batch.actions(), "actions"));
  MBRL_RETURN_IF_ERROR(CheckFinite(batch.next_observations(), "next_observations"));

  const int64_t* ids = episode_ids.data_ptr<int64_t>();
  const int64_t* key = keys.data_ptr<int64_t>();
  const bool* is_terminated = terminated.data_ptr<bool>();
  const bool* is_truncated = truncated.data_ptr<bool>();
  for (int64_t begin = 0; begin < rows;) {
    int64_t end = begin + 1;
    while (end < rows && ids[end] == ids[begin]) ++end;
    const uint64_t order = OrderOf(static_cast<uint64_t>(ids[begin]));
    Episode& episode = episodes_[order];
    episode.pieces.push_back({key[begin], observations.slice(0, begin, end).clone(),
                              actions.slice(0, begin, end).clone(),
                              next_observations.slice(0, begin, end).clone()});
    // Scans of one shard arrive in sequence order, and an episode lives in one shard; keep the
    // pieces sorted anyway (a resent chunk of a spliced episode may come later).
    for (size_t i = episode.pieces.size() - 1;
         i > 0 && episode.pieces[i - 1].first_key > episode.pieces[i].first_key; --i) {
      std::swap(episode.pieces[i - 1], episode.pieces[i]);
    }
    episode.rows += end - begin;
    rows_ += end - begin;
    if (is_terminated[end - 1] || is_truncated[end - 1]) MarkEnded(order);
    begin = end;
  }
  added_ += static_cast<uint64_t>(rows);
  DropOldEpisodes();
  return absl::OkStatus();
}

void EpisodeStore::DropOldEpisodes() {
  while (episodes_.size() > 1 && rows_ - episodes_.begin()->second.rows >= capacity_) {
    rows_ -= episodes_.begin()->second.rows;
    episodes_.erase(episodes_.begin());
  }
}

learner::TransitionData EpisodeStore::Data() const {
  std::vector<at::Tensor> observations, actions, next_observations;
  for (const auto& [order, episode] : episodes_) {
    for (const Piece& piece : episode.pieces) {
      observations.push_back(piece.observations);
      actions.push_back(piece.actions);
      next_observations.push_back(piece.next_observations);
    }
  }
  learner::TransitionData data;
  if (observations.empty()) {
    data.observations = at::zeros({0, observation_dim_}, at::kFloat);
    data.actions = at::zeros({0, action_dim_}, at::kFloat);
    data.next_observations = at::zeros({0, observation_dim_}, at::kFloat);
    return data;
  }
  const int64_t keep = std::min(rows_, capacity_);
  data.observations = at::cat(observations).narrow(0, rows_ - keep, keep);
  data.actions = at::cat(actions).narrow(0, rows_ - keep, keep);
  data.next_observations = at::cat(next_observations).narrow(0, rows_ - keep, keep);
  return data;
}

}  // namespace mbrl::model_learner
