// Every environment by name: native ones, and `remote` ones served over the Environment
// service (EnvConfig.remote_address).
#ifndef MBRL_ACTORS_ENVS_REGISTRY_H_
#define MBRL_ACTORS_ENVS_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "actors/envs/batched_functions.h"
#include "actors/envs/interface.h"
#include "actors/envs/vector_env.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::envs {

// Names of the registered native environments, sorted.
std::vector<std::string> RegisteredEnvNames();

// A new instance of `config.name()` whose episodes are truncated after `config.horizon()`
// steps. NOT_FOUND (listing the registered names) for an unknown name; INVALID_ARGUMENT for a
// horizon outside [1, 2^31). With `config.remote_address()` set, a RemoteEnv (remote_env.h,
// default options: plaintext) on the server there, whose env must be named `config.name()`;
// its errors are RemoteEnv::Create's.
absl::StatusOr<std::unique_ptr<Env>> MakeEnv(const v1::EnvConfig& config);

// `options.num_envs` instances of `config`'s env stepped together (vector_env.h): the env's
// native batched implementation if it has one (Pendulum), else InstanceVectorEnv over MakeEnv
// (for a remote env: N sessions with the server).
// Errors as MakeEnv, and INVALID_ARGUMENT for bad options.
absl::StatusOr<std::unique_ptr<VectorEnv>> MakeVectorEnv(const v1::EnvConfig& config,
                                                         const VectorEnvOptions& options);

// The batched reward/termination functions of `name`. NOT_FOUND for an unknown name.
absl::StatusOr<std::unique_ptr<BatchedEnvFunctions>> MakeBatchedEnvFunctions(
    const std::string& name);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_REGISTRY_H_
