// Imagined rollouts: policies rolled out in a learned dynamics model, batched over tasks x
// trajectories. This is the imagination actor's work; the single-process algorithms call it
// directly.
//
// Rewards and terminations come from the environment's batched functions
// (actors/envs/batched_functions.h) applied to (s, clip(a), s'); the model also sees the
// clipped action. Which ensemble member predicts which row, with G = members.size() and
// b = ceil(N / G) rows per block (the last block may be shorter):
//   FIXED_MEMBER            rows [g * b, (g + 1) * b) are predicted by members[g] for the whole
//                           rollout (TS-infinity; MB-MPO's task -> model binding when the
//                           T * n rows hold T tasks, T a multiple of G);
//   RANDOM_MEMBER_PER_STEP  every step, a fresh random permutation deals the rows into the G
//                           blocks (each row's member is uniform at every step up to the
//                           block sizes, and each member computes only its own rows: no wasted
//                           FLOPs; ME-TRPO's step_rand);
//   MEAN                    every member predicts every row; the mean is used.
#ifndef MBRL_LEARNER_IMAGINATION_H_
#define MBRL_LEARNER_IMAGINATION_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "actors/envs/batched_functions.h"
#include "actors/envs/interface.h"
#include "learner/dynamics/interface.h"
#include "learner/policy/interface.h"
#include "learner/rollouts.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::learner {

using Propagation = v1::MetrpoConfig::Propagation;

struct ImaginationOptions {
  int64_t horizon = 200;
  Propagation propagation = v1::MetrpoConfig::FIXED_MEMBER;
  // Act with the mean action instead of sampling.
  bool deterministic_policy = false;
  // If > 0, sets LibTorch's (process-wide) intra-op thread count before rolling out.
  int threads = 0;
};

// Rolls out from `start_states` (float32 [T, n, obs_dim]: n trajectories for each of T tasks)
// for options.horizon steps. `params` are one policy for all rows or one per task (leading
// dimension T; see Policy::Distribution). `members` are the ensemble members to use (e.g. the
// model's elites). Rollouts are task-major: trajectory t * n + j is task t's j-th. Sampling
// (policy noise, member permutations, a probabilistic model's noise) draws from `generator`.
// Records no autograd history. INVALID_ARGUMENT for inconsistent shapes or counts.
// Blocks the calling thread for the whole rollout (LibTorch may use its intra-op threads).
absl::StatusOr<Rollouts> Imagine(const DynamicsModel& model, absl::Span<const int64_t> members,
                                 const Policy& policy, absl::Span<const at::Tensor> params,
                                 const envs::BatchedEnvFunctions& functions,
                                 const envs::BoxSpace& action_space, const at::Tensor& start_states,
                                 const ImaginationOptions& options, at::Generator& generator);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_IMAGINATION_H_
