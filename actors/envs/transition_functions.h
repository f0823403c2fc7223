// BatchedEnvFunctions built from two tensor expressions, with the input checks every env needs
// in one place. Env implementations define their reward and termination with this.
#ifndef MBRL_ACTORS_ENVS_TRANSITION_FUNCTIONS_H_
#define MBRL_ACTORS_ENVS_TRANSITION_FUNCTIONS_H_

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>

#include "actors/envs/batched_functions.h"

namespace mbrl::envs {

// (observations [B, obs_dim], actions [B, act_dim], next_observations [B, obs_dim]) -> [B].
using RewardExpression =
    std::function<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&)>;
// next_observations [B, obs_dim] -> bool [B].
using TerminationExpression = std::function<at::Tensor(const at::Tensor&)>;

// The returned object's Reward/Terminated first check their inputs: floating point, rank 2,
// obs_dim/act_dim columns and one batch size B (B = 0 is allowed). A violation throws
// c10::Error (TORCH_CHECK) whose message names `env_name` and the tensor, like any LibTorch
// error, for the caller's LibTorch boundary to turn into a Status. Reward returns float32 [B]
// on the inputs' device; Terminated returns bool [B] (all false when `terminated` is null: the
// env never terminates). Thread-safe if the expressions are (they should be pure).
std::unique_ptr<BatchedEnvFunctions> MakeTransitionFunctions(std::string env_name, int obs_dim,
                                                             int act_dim, RewardExpression reward,
                                                             TerminationExpression terminated);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_TRANSITION_FUNCTIONS_H_
