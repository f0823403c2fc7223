#include "services/replay/synthetic_chunks.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor_proto.h"

namespace mbrl::replay {
namespace {

// Values stay exactly representable in float32 (< 2^22 with two fractional bits) for steps < 2^16.
float EpisodeBase(uint64_t episode_id) { return static_cast<float>(episode_id % 97) * 1000.0f; }

}  // namespace

float SyntheticObservation(uint64_t episode_id, uint32_t step, int index) {
  return EpisodeBase(episode_id) + static_cast<float>(step) + 0.25f * static_cast<float>(index);
}

float SyntheticAction(uint64_t episode_id, uint32_t step, int index) {
  return -SyntheticObservation(episode_id, step, index) - 0.5f;
}

float SyntheticReward(uint64_t episode_id, uint32_t step) {
  return 0.5f * static_cast<float>(step) - static_cast<float>(episode_id % 97);
}

v1::TrajectoryChunk MakeSyntheticChunk(uint64_t episode_id, uint32_t chunk_index,
                                       uint32_t first_step, uint32_t steps, int obs_dim,
                                       int act_dim, bool terminal_at_end) {
  v1::TrajectoryChunk chunk;
  chunk.set_episode_id(episode_id);
  chunk.set_chunk_index(chunk_index);
  chunk.set_first_step(first_step);
  chunk.set_actor_id("synthetic");
  chunk.set_env_name("Synthetic");
  std::vector<float> observations, actions, rewards;
  observations.reserve((steps + 1) * obs_dim);
  for (uint32_t t = 0; t <= steps; ++t) {
    for (int j = 0; j < obs_dim; ++j) {
      observations.push_back(SyntheticObservation(episode_id, first_step + t, j));
    }
  }
  for (uint32_t t = 0; t < steps; ++t) {
    for (int j = 0; j < act_dim; ++j) {
      actions.push_back(SyntheticAction(episode_id, first_step + t, j));
    }
    rewards.push_back(SyntheticReward(episode_id, first_step + t));
  }
  const int64_t n = steps;
  *chunk.mutable_observations() = MakeTensor<float>(observations, {n + 1, obs_dim});
  *chunk.mutable_actions() = MakeTensor<float>(actions, {n, act_dim});
  *chunk.mutable_rewards() = MakeTensor<float>(rewards, {n});
  std::vector<uint8_t> terminated(steps, 0), truncated(steps, 0);
  if (terminal_at_end && steps > 0) terminated.back() = 1;
  *chunk.mutable_terminated() = MakeTensor<uint8_t>(terminated, {n});
  chunk.mutable_terminated()->set_dtype(v1::DTYPE_BOOL);
  *chunk.mutable_truncated() = MakeTensor<uint8_t>(truncated, {n});
  chunk.mutable_truncated()->set_dtype(v1::DTYPE_BOOL);
  return chunk;
}

absl::Status CheckSyntheticBatch(const v1::TransitionBatch& batch) {
  MBRL_ASSIGN_OR_RETURN(auto observations, TensorData<float>(batch.observations(), "observations"));
  MBRL_ASSIGN_OR_RETURN(auto next, TensorData<float>(batch.next_observations(), "next"));
  MBRL_ASSIGN_OR_RETURN(auto actions, TensorData<float>(batch.actions(), "actions"));
  MBRL_ASSIGN_OR_RETURN(auto rewards, TensorData<float>(batch.rewards(), "rewards"));
  MBRL_ASSIGN_OR_RETURN(auto episodes, TensorData<int64_t>(batch.episode_ids(), "episode_ids"));
  const size_t rows = rewards.size();
  if (rows == 0) return absl::OkStatus();
  const size_t obs_dim = observations.size() / rows;
  const size_t act_dim = actions.size() / rows;
  if (next.size() != observations.size() || episodes.size() != rows) {
    return absl::InternalError("batch fields have different row counts");
  }
  for (size_t row = 0; row < rows; ++row) {
    const uint64_t episode = static_cast<uint64_t>(episodes[row]);
    const float step_value = observations[row * obs_dim] - SyntheticObservation(episode, 0, 0);
    if (step_value < 0 || step_value != std::floor(step_value)) {
      return absl::InternalError(
          absl::StrCat("row ", row, ": observation does not belong to episode ", episode));
    }
    const uint32_t step = static_cast<uint32_t>(step_value);
    for (size_t j = 0; j < obs_dim; ++j) {
      if (observations[row * obs_dim + j] != SyntheticObservation(episode, step, j) ||
          next[row * obs_dim + j] != SyntheticObservation(episode, step + 1, j)) {
        return absl::InternalError(absl::StrCat("row ", row, ": observations of step ", step,
                                                " of episode ", episode, " are not intact"));
      }
    }
    for (size_t j = 0; j < act_dim; ++j) {
      if (actions[row * act_dim + j] != SyntheticAction(episode, step, j)) {
        return absl::InternalError(absl::StrCat("row ", row, ": action of step ", step,
                                                " of episode ", episode, " is not intact"));
      }
    }
    if (rewards[row] != SyntheticReward(episode, step)) {
      return absl::InternalError(absl::StrCat("row ", row, ": reward of step ", step,
                                              " of episode ", episode, " is not intact"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mbrl::replay
