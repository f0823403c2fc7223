// Validation of trajectory chunks before they are stored (the replay store's bad-input rules).
// Torch-free. Every error is INVALID_ARGUMENT with a message that names the chunk and the field.
#ifndef MBRL_SERVICES_REPLAY_CHUNK_VALIDATION_H_
#define MBRL_SERVICES_REPLAY_CHUNK_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mbrl/v1/trajectory.pb.h"

namespace mbrl::replay {

// The per-transition dimensions a table holds; 0 = not fixed yet.
struct TransitionShape {
  int64_t obs_dim = 0;
  int64_t act_dim = 0;

  bool known() const { return obs_dim > 0; }
  bool operator==(const TransitionShape& other) const {
    return obs_dim == other.obs_dim && act_dim == other.act_dim;
  }
};

// "episode 0x1f chunk 3" for messages.
std::string ChunkName(const v1::TrajectoryChunk& chunk);

// Checks one chunk on its own (T >= 1 steps):
//   observations float32 [T + 1, obs_dim >= 1], actions float32 [T, act_dim >= 1],
//   rewards float32 [T], terminated / truncated bool [T] holding 0/1 with only the last row
//   possibly 1, every float finite, byte counts matching the shapes.
// Returns the chunk's shape.
absl::StatusOr<TransitionShape> ValidateChunk(const v1::TrajectoryChunk& chunk);

// INVALID_ARGUMENT if `shape` differs from the table's (when the table's is known).
absl::Status CheckShapeMatches(const v1::TrajectoryChunk& chunk, const TransitionShape& shape,
                               const TransitionShape& table_shape, const std::string& table);

// Steps (transitions) in a valid chunk.
int64_t ChunkTransitions(const v1::TrajectoryChunk& chunk);

// Bytes the chunk's tensors and strings occupy (the memory accounting unit of the store).
uint64_t ChunkPayloadBytes(const v1::TrajectoryChunk& chunk);

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_CHUNK_VALIDATION_H_
