// Episodes on real environments (the env actor's work, in-process): several Env instances
// stepped in lockstep, one episode each, with actions from a batched policy function.
#ifndef MBRL_LEARNER_REAL_SAMPLER_H_
#define MBRL_LEARNER_REAL_SAMPLER_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "actors/envs/interface.h"
#include "learner/dynamics/interface.h"

namespace mbrl::learner {

// Maps observations float32 [E, obs_dim] (row e is env e's) to actions [E, act_dim]; the env
// clips them to its action bounds.
using BatchedActionFn = std::function<at::Tensor(const at::Tensor& observations)>;

struct EpisodeBatch {
  // Every transition, actions as applied (clipped), episode after episode.
  TransitionData transitions;
  std::vector<double> returns;  // one per episode
  // The first observation of each episode, float32 [E, obs_dim].
  at::Tensor initial_observations;
  int64_t steps = 0;
};

// Runs one episode on each of `envs` (all with the same spec), env e reset with seeds[e], until
// it terminates or is truncated. Blocks for the whole episodes. Env errors (e.g. a NaN action)
// are returned as they are; INVALID_ARGUMENT if `act` returns the wrong shape.
absl::StatusOr<EpisodeBatch> RunEpisodes(absl::Span<envs::Env* const> envs,
                                         absl::Span<const uint64_t> seeds,
                                         const BatchedActionFn& act);

// Actions uniform in `space` (each bounded dimension; unbounded ones ~ N(0, 1)).
BatchedActionFn UniformRandomActions(const envs::BoxSpace& space, at::Generator generator);

// `count` initial observations of `env`, reset with seeds first_seed, first_seed + 1, ...:
// float32 [count, obs_dim]. Stands in for the reset distribution in imagination.
absl::StatusOr<at::Tensor> SampleInitialObservations(envs::Env& env, int64_t count,
                                                     uint64_t first_seed);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_REAL_SAMPLER_H_
