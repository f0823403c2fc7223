// Synthetic trajectory chunks whose every value is a known function of (episode, step), so
// tests and benchmarks can check that a transition read back is intact and consistent (its
// observation, action, reward and next observation all belong to the same step).
#ifndef MBRL_SERVICES_REPLAY_SYNTHETIC_CHUNKS_H_
#define MBRL_SERVICES_REPLAY_SYNTHETIC_CHUNKS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "mbrl/v1/trajectory.pb.h"

namespace mbrl::replay {

// HalfCheetah's sizes: 17 + 6 + 17 + 1 + 1 floats per transition.
inline constexpr int kHalfCheetahObsDim = 17;
inline constexpr int kHalfCheetahActDim = 6;

// Steps [first_step, first_step + steps) of episode `episode_id`, as chunk `chunk_index`.
// The last step is terminal if `terminal_at_end`.
v1::TrajectoryChunk MakeSyntheticChunk(uint64_t episode_id, uint32_t chunk_index,
                                       uint32_t first_step, uint32_t steps, int obs_dim,
                                       int act_dim, bool terminal_at_end = false);

// The values MakeSyntheticChunk writes.
float SyntheticObservation(uint64_t episode_id, uint32_t step, int index);
float SyntheticAction(uint64_t episode_id, uint32_t step, int index);
float SyntheticReward(uint64_t episode_id, uint32_t step);

// OK if every row of `batch` is a transition of a synthetic episode (matching episode_ids):
// observation, next observation, action and reward of one step. INTERNAL naming the first bad
// row otherwise.
absl::Status CheckSyntheticBatch(const v1::TransitionBatch& batch);

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_SYNTHETIC_CHUNKS_H_
