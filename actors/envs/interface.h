// The environment extension point: `Env`, one instance of an environment.
//
// Implementations live in this folder, one file triple each (foo.h / foo.cc / foo_test.cc),
// are listed in the registry (registry.h), and pass the shared conformance suite. Their
// batched reward and termination functions, for model rollouts, implement
// BatchedEnvFunctions (batched_functions.h).
//
// Env keeps every protocol check in one place: the public non-virtual Reset/Step validate,
// clip and count, then call the protected DoReset/DoStep hooks (OpenSpiel's pattern).
#ifndef MBRL_ACTORS_ENVS_INTERFACE_H_
#define MBRL_ACTORS_ENVS_INTERFACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace mbrl::envs {

// A flat float32 vector space: `dim` elements, each within [low[i], high[i]] (+-infinity for an
// unbounded side). low and high have `dim` entries.
struct BoxSpace {
  int dim = 0;
  std::vector<float> low;
  std::vector<float> high;
};

struct EnvSpec {
  std::string name;
  BoxSpace observation;
  BoxSpace action;
  // An episode is truncated after this many steps (EnvConfig.horizon).
  int max_episode_steps = 0;
};

struct StepResult {
  double reward = 0;
  // The MDP ended at this step: no bootstrapping past it.
  bool terminated = false;
  // max_episode_steps was reached without termination (bootstrapping allowed).
  bool truncated = false;
};

// One environment instance. Not thread-safe: one thread at a time steps an instance.
class Env {
 public:
  virtual ~Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const EnvSpec& spec() const { return spec_; }

  // Starts an episode whose initial state is drawn deterministically from `seed`, and writes
  // the initial observation. INVALID_ARGUMENT if `observation` does not have
  // spec().observation.dim entries (nothing changes then).
  absl::Status Reset(uint64_t seed, absl::Span<float> observation);

  // Applies `action`, clipped element-wise to spec().action's bounds (documented behaviour, not
  // an error), and writes the next observation. Errors change nothing:
  //   INVALID_ARGUMENT    wrong action or observation size, or a NaN/Inf action entry;
  //   FAILED_PRECONDITION no Reset yet, or the episode already ended (terminated/truncated).
  // Envs that can fail on their own (remote envs, see TryReset/TryStep) may also return other
  // errors (e.g. UNAVAILABLE, DEADLINE_EXCEEDED) from Reset or Step; the episode is then over
  // and the next call must be Reset.
  absl::StatusOr<StepResult> Step(absl::Span<const float> action, absl::Span<float> observation);

  // Steps taken in the current episode.
  int elapsed_steps() const { return elapsed_steps_; }

 protected:
  explicit Env(EnvSpec spec);

  // Draws the initial state from `seed`; writes spec().observation.dim floats.
  virtual void DoReset(uint64_t seed, absl::Span<float> observation) = 0;
  // Advances one step with a validated, clipped action; writes the next observation and
  // returns the reward; sets *terminated if the MDP ended.
  virtual double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                        bool* terminated) = 0;

  // The hooks Reset and Step actually call. The defaults call DoReset/DoStep, which cannot
  // fail. Only envs that can fail for reasons outside the caller's control (a remote env's
  // server or network) override these instead; their DoReset/DoStep are then never called.
  virtual absl::Status TryReset(uint64_t seed, absl::Span<float> observation);
  virtual absl::StatusOr<double> TryStep(absl::Span<const float> action,
                                         absl::Span<float> observation, bool* terminated);

 private:
  EnvSpec spec_;
  std::vector<float> clipped_action_;
  int elapsed_steps_ = 0;
  bool episode_running_ = false;
};

// Clips `action` element-wise into `space` (in place).
void ClipToSpace(const BoxSpace& space, absl::Span<float> action);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_INTERFACE_H_
