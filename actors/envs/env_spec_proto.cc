#include "actors/envs/env_spec_proto.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mbrl::envs {
namespace {

void SpaceToProto(const BoxSpace& space, v1::TensorSpec* proto) {
  proto->set_dtype(v1::DTYPE_FLOAT32);
  proto->add_shape(space.dim);
  for (int i = 0; i < space.dim; ++i) {
    proto->add_low(space.low[i]);
    proto->add_high(space.high[i]);
  }
}

absl::StatusOr<BoxSpace> SpaceFromProto(const v1::TensorSpec& proto, const std::string& what,
                                        bool finite_bounds) {
  if (proto.dtype() != v1::DTYPE_FLOAT32 || proto.shape_size() != 1 || proto.shape(0) < 1 ||
      proto.shape(0) > (1 << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a float32 vector of 1 to 2^20 elements"));
  }
  BoxSpace space;
  space.dim = static_cast<int>(proto.shape(0));
  if (proto.low_size() == 0 && proto.high_size() == 0 && !finite_bounds) {
    space.low.assign(space.dim, -std::numeric_limits<float>::infinity());
    space.high.assign(space.dim, std::numeric_limits<float>::infinity());
    return space;
  }
  if (proto.low_size() != space.dim || proto.high_size() != space.dim) {
    return absl::InvalidArgumentError(absl::StrCat(what, " needs ", space.dim,
                                                   " low and high bounds, got ", proto.low_size(),
                                                   " and ", proto.high_size()));
  }
  for (int i = 0; i < space.dim; ++i) {
    const double low = proto.low(i), high = proto.high(i);
    if (std::isnan(low) || std::isnan(high) || low > high ||
        (finite_bounds && !(std::isfinite(low) && std::isfinite(high)))) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " bounds of element ", i, " are [", low, ", ", high, "]"));
    }
    space.low.push_back(static_cast<float>(low));
    space.high.push_back(static_cast<float>(high));
  }
  return space;
}

}  // namespace

v1::EnvSpec EnvSpecToProto(const EnvSpec& spec) {
  v1::EnvSpec proto;
  proto.set_name(spec.name);
  SpaceToProto(spec.observation, proto.mutable_observation());
  SpaceToProto(spec.action, proto.mutable_action());
  proto.set_max_episode_steps(spec.max_episode_steps);
  return proto;
}

absl::StatusOr<EnvSpec> EnvSpecFromProto(const v1::EnvSpec& proto) {
  EnvSpec spec;
  spec.name = proto.name();
  MBRL_ASSIGN_OR_RETURN(spec.observation,
                        SpaceFromProto(proto.observation(), "observation", false));
  MBRL_ASSIGN_OR_RETURN(spec.action, SpaceFromProto(proto.action(), "action", true));
  if (proto.max_episode_steps() < 1 ||
      proto.max_episode_steps() > static_cast<uint32_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_episode_steps must be >= 1, got ", proto.max_episode_steps()));
  }
  spec.max_episode_steps = static_cast<int>(proto.max_episode_steps());
  return spec;
}

}  // namespace mbrl::envs
