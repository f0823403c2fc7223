// VectorEnv: N environments of one kind stepped together, one call per batch of actions, across
// a configurable number of threads, with automatic resets.
//
// Two kinds of implementation sit behind this one interface:
//   - native batched envs (e.g. Pendulum) that keep the N states as arrays and step them in a
//     tight loop with no virtual call per env (MakeVectorEnv picks them when they exist);
//   - InstanceVectorEnv, the generic fallback over N `Env` instances (every other env,
//     including remote ones).
// The public methods validate once, split the envs into `num_threads` contiguous ranges, and
// call the protected hooks on each range in parallel (OpenSpiel's public-checks/Do-hooks
// pattern, as in Env).
//
// Seeds and auto-reset: Reset(seed) starts env i's first episode with seed + i, exactly as
// MakeEnv(config)->Reset(seed + i) would. When an episode of env i ends (terminated or
// truncated at spec().max_episode_steps), Step reports the final observation and immediately
// starts env i's next episode, the k-th (k = 1, 2, ...) with seed MixSeed(seed + i, k)
// (random.h): the whole stream is reproducible from `seed`.
#ifndef MBRL_ACTORS_ENVS_VECTOR_ENV_H_
#define MBRL_ACTORS_ENVS_VECTOR_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "actors/envs/interface.h"
#include "actors/envs/parallel_runner.h"

namespace mbrl::envs {

struct VectorEnvOptions {
  // Environments stepped per call (>= 1).
  int num_envs = 1;
  // Threads that step them, the calling thread included (1 <= num_threads; capped at
  // num_envs). Each thread steps a contiguous range of envs.
  int num_threads = 1;
};

// Caller-owned buffers that one Step fills; row i belongs to env i (row-major, N = num_envs).
struct VectorStepOutput {
  // [N * obs_dim]: the observation to act on next: after a step that ended env i's episode,
  // the first observation of its new episode.
  absl::Span<float> observations;
  // [N]: the reward of the step.
  absl::Span<float> rewards;
  // [N]: 1 if the step terminated the episode (the MDP ended), else 0.
  absl::Span<uint8_t> terminated;
  // [N]: 1 if the step reached the time limit without terminating, else 0.
  absl::Span<uint8_t> truncated;
  // [N * obs_dim]: for envs whose episode ended at this step, the episode's last observation
  // (before the automatic reset); other rows are left untouched.
  absl::Span<float> final_observations;
};

// Not thread-safe: one thread calls Reset/Step at a time (Step itself uses num_threads).
class VectorEnv {
 public:
  virtual ~VectorEnv() = default;
  VectorEnv(const VectorEnv&) = delete;
  VectorEnv& operator=(const VectorEnv&) = delete;

  const EnvSpec& spec() const { return spec_; }
  int num_envs() const { return num_envs_; }
  int num_threads() const { return runner_.num_threads(); }

  // Starts a new episode in every env (env i with seed + i) and writes the N initial
  // observations. INVALID_ARGUMENT (nothing changes) if observations.size() != N * obs_dim.
  // An env that fails (only remote envs can: e.g. UNAVAILABLE) fails the call with its error.
  absl::Status Reset(uint64_t seed, absl::Span<float> observations);

  // Steps every env with its row of `actions` ([N * act_dim], clipped to the action bounds
  // like Env::Step), fills `output`, and auto-resets the envs whose episode ended. These
  // errors change nothing:
  //   INVALID_ARGUMENT    a buffer has the wrong size, or an action entry is NaN/Inf;
  //   FAILED_PRECONDITION no successful Reset since creation or since a failed call.
  // If an env itself fails (only remote envs can), Step returns the first such error, the
  // outputs are unspecified, and Reset must be called before the next Step.
  absl::Status Step(absl::Span<const float> actions, const VectorStepOutput& output);

 protected:
  // Fails with INVALID_ARGUMENT unless 1 <= options.num_envs and 1 <= options.num_threads.
  static absl::Status ValidateOptions(const VectorEnvOptions& options);
  VectorEnv(EnvSpec spec, const VectorEnvOptions& options);

  // Starts env `index`'s episode from `seed` and writes its initial observation (obs_dim
  // floats). Called concurrently for envs of different ranges. Native envs cannot fail.
  virtual absl::Status DoReset(int index, uint64_t seed, float* observation) = 0;
  // Steps envs [begin, end): env i applies actions[i * act_dim ...] (finite; clipping is the
  // hook's job) and writes observations[i * obs_dim ...], rewards[i] and terminated[i].
  // Called concurrently on disjoint ranges. Native envs cannot fail.
  virtual absl::Status DoStepRange(int begin, int end, const float* actions, float* observations,
                                   float* rewards, uint8_t* terminated) = 0;

 private:
  // Per thread: runs DoStepRange, then the time limits and auto-resets of [begin, end).
  absl::Status StepRange(int begin, int end, const float* actions, const VectorStepOutput& output);
  // Runs fn(begin, end) on every thread's range; the first error of any range, else OK.
  absl::Status RunRanges(const std::function<absl::Status(int begin, int end)>& fn);

  const EnvSpec spec_;
  const int num_envs_;
  ParallelRunner runner_;
  bool started_ = false;
  uint64_t seed_ = 0;
  // Per env: steps taken in the current episode, and episodes started since Reset.
  std::vector<int> episode_steps_;
  std::vector<uint64_t> episodes_started_;
};

// The generic VectorEnv: N instances made by `make_env` (each with the same spec).
class InstanceVectorEnv final : public VectorEnv {
 public:
  // Errors from make_env are returned as they are; INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<VectorEnv>> Create(
      const std::function<absl::StatusOr<std::unique_ptr<Env>>()>& make_env,
      const VectorEnvOptions& options);

 protected:
  absl::Status DoReset(int index, uint64_t seed, float* observation) override;
  absl::Status DoStepRange(int begin, int end, const float* actions, float* observations,
                           float* rewards, uint8_t* terminated) override;

 private:
  InstanceVectorEnv(std::vector<std::unique_ptr<Env>> envs, const VectorEnvOptions& options);

  std::vector<std::unique_ptr<Env>> envs_;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_VECTOR_ENV_H_
