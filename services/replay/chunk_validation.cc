#include "services/replay/chunk_validation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/tensor_proto.h"

namespace mbrl::replay {
namespace {

// Prefixes a field error with the chunk's name.
absl::Status InChunk(const v1::TrajectoryChunk& chunk, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::InvalidArgumentError(absl::StrCat(ChunkName(chunk), ": ", status.message()));
}

// bool [T] with 0/1 bytes of which only the last may be 1.
absl::Status CheckDoneFlags(const v1::Tensor& tensor, const char* name, int64_t steps) {
  MBRL_RETURN_IF_ERROR(CheckTensor(tensor, name, v1::DTYPE_BOOL, {steps}));
  const std::string& bytes = tensor.data();
  for (int64_t t = 0; t < steps; ++t) {
    const unsigned char value = static_cast<unsigned char>(bytes[t]);
    if (value > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": element ", t, " is ", static_cast<int>(value), ", not 0 or 1"));
    }
    if (value == 1 && t + 1 < steps) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": only the last step may end the episode, but step ", t, " of ", steps, " does"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ChunkName(const v1::TrajectoryChunk& chunk) {
  return absl::StrFormat("episode %#x chunk %d", chunk.episode_id(), chunk.chunk_index());
}

absl::StatusOr<TransitionShape> ValidateChunk(const v1::TrajectoryChunk& chunk) {
  const v1::Tensor& observations = chunk.observations();
  MBRL_RETURN_IF_ERROR(InChunk(chunk, ValidateTensor(observations, "observations")));
  if (observations.shape_size() != 2 || observations.shape(0) < 2 || observations.shape(1) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        ChunkName(chunk), ": observations: expected shape [T + 1, obs_dim] with T >= 1 and ",
        "obs_dim >= 1, got ", ShapeString(observations.shape())));
  }
  const int64_t steps = observations.shape(0) - 1;
  TransitionShape shape;
  shape.obs_dim = observations.shape(1);
  MBRL_RETURN_IF_ERROR(InChunk(chunk, CheckTensor(observations, "observations", v1::DTYPE_FLOAT32,
                                                  {steps + 1, shape.obs_dim})));
  MBRL_RETURN_IF_ERROR(
      InChunk(chunk, CheckTensor(chunk.actions(), "actions", v1::DTYPE_FLOAT32, {steps, kAnyDim})));
  shape.act_dim = chunk.actions().shape(1);
  if (shape.act_dim < 1) {
    return absl::InvalidArgumentError(absl::StrCat(ChunkName(chunk),
                                                   ": actions: act_dim must be >= 1, got ",
                                                   ShapeString(chunk.actions().shape())));
  }
  MBRL_RETURN_IF_ERROR(
      InChunk(chunk, CheckTensor(chunk.rewards(), "rewards", v1::DTYPE_FLOAT32, {steps})));
  MBRL_RETURN_IF_ERROR(InChunk(chunk, CheckDoneFlags(chunk.terminated(), "terminated", steps)));
  MBRL_RETURN_IF_ERROR(InChunk(chunk, CheckDoneFlags(chunk.truncated(), "truncated", steps)));
  MBRL_RETURN_IF_ERROR(InChunk(chunk, CheckFinite(observations, "observations")));
  MBRL_RETURN_IF_ERROR(InChunk(chunk, CheckFinite(chunk.actions(), "actions")));
  MBRL_RETURN_IF_ERROR(InChunk(chunk, CheckFinite(chunk.rewards(), "rewards")));
  return shape;
}

absl::Status CheckShapeMatches(const v1::TrajectoryChunk& chunk, const TransitionShape& shape,
                               const TransitionShape& table_shape, const std::string& table) {
  if (!table_shape.known() || shape == table_shape) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(ChunkName(chunk), ": obs_dim ", shape.obs_dim, " and act_dim ", shape.act_dim,
                   " do not match table '", table, "' (obs_dim ", table_shape.obs_dim, ", act_dim ",
                   table_shape.act_dim, ")"));
}

int64_t ChunkTransitions(const v1::TrajectoryChunk& chunk) {
  return chunk.rewards().shape_size() == 1 ? chunk.rewards().shape(0) : 0;
}

uint64_t ChunkPayloadBytes(const v1::TrajectoryChunk& chunk) {
  return chunk.observations().data().size() + chunk.actions().data().size() +
         chunk.rewards().data().size() + chunk.terminated().data().size() +
         chunk.truncated().data().size() + chunk.actor_id().size() + chunk.env_name().size();
}

}  // namespace mbrl::replay
