// The batched reward and termination functions of the MuJoCo locomotion environments
// (locomotion.h states them), as LibTorch expressions of (obs, act, next_obs).
#ifndef MBRL_ACTORS_ENVS_LOCOMOTION_FUNCTIONS_H_
#define MBRL_ACTORS_ENVS_LOCOMOTION_FUNCTIONS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "actors/envs/batched_functions.h"

namespace mbrl::envs {

// NOT_FOUND for a name that is not a locomotion task; INTERNAL if its model fails to load
// (the model gives the observation and action sizes).
absl::StatusOr<std::unique_ptr<BatchedEnvFunctions>> LocomotionFunctions(const std::string& name);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_LOCOMOTION_FUNCTIONS_H_
