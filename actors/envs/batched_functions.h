// An environment's reward and termination as batched LibTorch functions of transitions, used
// by model rollouts (imagination) in place of stepping the env. For every env they equal the
// env's own per-step reward and termination (the conformance suite checks this on random
// transitions).
#ifndef MBRL_ACTORS_ENVS_BATCHED_FUNCTIONS_H_
#define MBRL_ACTORS_ENVS_BATCHED_FUNCTIONS_H_

#include <ATen/core/Tensor.h>

namespace mbrl::envs {

// Thread-safe (stateless). Inputs are float32 CPU tensors with a leading batch dimension B:
// observations [B, obs_dim], actions [B, act_dim] (as the env applies them: already clipped
// to the action bounds), next observations [B, obs_dim].
class BatchedEnvFunctions {
 public:
  virtual ~BatchedEnvFunctions() = default;

  // float32 [B]: the reward of each transition.
  virtual at::Tensor Reward(const at::Tensor& observations, const at::Tensor& actions,
                            const at::Tensor& next_observations) const = 0;

  // bool [B]: whether each transition ends the episode (the MDP terminated; time limits are
  // not terminations). Envs that never terminate return all false.
  virtual at::Tensor Terminated(const at::Tensor& next_observations) const = 0;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_BATCHED_FUNCTIONS_H_
