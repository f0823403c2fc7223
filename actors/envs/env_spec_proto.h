// EnvSpec <-> mbrl.v1.EnvSpec (the Environment service's Spec reply), shared by the env server
// and the remote env client.
#ifndef MBRL_ACTORS_ENVS_ENV_SPEC_PROTO_H_
#define MBRL_ACTORS_ENVS_ENV_SPEC_PROTO_H_

#include "absl/status/statusor.h"
#include "actors/envs/interface.h"
#include "mbrl/v1/environment.pb.h"

namespace mbrl::envs {

// Observation and action as float32 vectors [dim] with their bounds (+-infinity included).
v1::EnvSpec EnvSpecToProto(const EnvSpec& spec);

// INVALID_ARGUMENT unless both spaces are float32 vectors of size >= 1 with either no bounds
// or one (low <= high, not NaN) per element, the action bounds are finite, and
// max_episode_steps >= 1.
absl::StatusOr<EnvSpec> EnvSpecFromProto(const v1::EnvSpec& proto);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_ENV_SPEC_PROTO_H_
