// ModelBasedAlgorithm: the single-process iteration object shared by ME-TRPO and MB-MPO,
// a thin driver over the role pieces (real sampler = env actor, MlpEnsemble::Fit = model
// learner, imagination + policy steps = imagination actors + policy learner).
//
// One iteration (RunIteration):
//   1. collect real episodes: in iteration 0, `initial_random_steps` with uniform-random
//      actions (if > 0); otherwise the algorithm's exploration policy (ME-TRPO: theta;
//      MB-MPO: one episode per task with its adapted theta'_k);
//   2. add them to the FIFO buffer and fit the model ensemble on the whole buffer
//      (re-initialising it every `model.reinitialize_every` iterations);
//   3. the algorithm's policy steps in the model (until done or the deadline).
// Evaluation (Evaluate) runs deterministic episodes of theta on separately seeded episodes;
// they are neither counted nor stored.
//
// Not thread-safe: one driver thread.
#ifndef MBRL_LEARNER_ALGORITHM_H_
#define MBRL_LEARNER_ALGORITHM_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/envs/batched_functions.h"
#include "actors/envs/interface.h"
#include "learner/dynamics/interface.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/real_sampler.h"
#include "learner/transition_buffer.h"
#include "mbrl/v1/config.pb.h"
#include "mbrl/v1/snapshot.pb.h"

namespace mbrl::learner {

// The environment an algorithm runs on, supplied by the caller (the CLI uses the env
// registry; tests may pass their own).
struct AlgorithmEnvironment {
  // A new instance of the experiment's environment; called once per env the algorithm steps.
  std::function<absl::StatusOr<std::unique_ptr<envs::Env>>()> make_env;
  // Its batched reward and termination functions.
  std::shared_ptr<const envs::BatchedEnvFunctions> functions;
};

struct IterationStats {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  int64_t iteration = 0;
  int64_t real_steps = 0;      // collected (and trained on) in this iteration
  int64_t imagined_steps = 0;  // model steps of every imagined rollout of this iteration
  int64_t policy_steps = 0;    // TRPO / meta steps taken
  int64_t accepted_policy_steps = 0;
  double model_validation_loss = kNone;    // mean over members after the fit
  double imagined_return = kNone;          // mean return of the last policy step's rollouts
  double adapted_imagined_return = kNone;  // MB-MPO: of its post-update rollouts
  double kl = kNone;                       // of the last accepted policy step
  double collect_seconds = 0;
  double fit_seconds = 0;
  double policy_seconds = 0;
};

class ModelBasedAlgorithm {
 public:
  virtual ~ModelBasedAlgorithm();

  // Runs the next iteration (see the header comment); policy steps stop early at `deadline`.
  // Errors from the env, the model or the optimizers are returned as they are.
  absl::StatusOr<IterationStats> RunIteration(absl::Time deadline);

  // The real steps the next RunIteration will collect at most (episodes may end early).
  int64_t NextIterationRealSteps() const;

  // Mean undiscounted return of `episodes` deterministic (mean-action) episodes of theta.
  absl::StatusOr<double> Evaluate(int episodes);

  // The model and the policy (theta, plus the adapted theta'_k for MB-MPO). Version and time
  // are the caller's.
  absl::Status Save(v1::ModelSnapshot* model, v1::PolicySnapshot* policy) const;

  const Policy& policy() const { return *policy_; }
  const DynamicsModel& model() const { return *model_; }
  // Iterations completed.
  int64_t iterations_done() const { return iteration_; }

 protected:
  ModelBasedAlgorithm(const v1::ExperimentConfig& config, AlgorithmEnvironment environment,
                      envs::EnvSpec spec, std::unique_ptr<DynamicsModel> model,
                      std::unique_ptr<GaussianMlpPolicy> policy, int64_t initial_random_steps);

  // What every algorithm starts from: an MlpEnsemble (config.model) and a GaussianMlpPolicy
  // (config.policy) for `spec`, seeded from config.seed.
  struct Modules {
    std::unique_ptr<DynamicsModel> model;
    std::unique_ptr<GaussianMlpPolicy> policy;
  };
  static absl::StatusOr<Modules> CreateModules(const v1::ExperimentConfig& config,
                                               const envs::EnvSpec& spec);

  // Step 1 after iteration 0: the algorithm's exploration episodes.
  virtual absl::StatusOr<EpisodeBatch> CollectWithPolicy() = 0;
  // Real steps CollectWithPolicy collects at most.
  virtual int64_t PolicyCollectionSteps() const = 0;
  // Step 3.
  virtual absl::Status ImprovePolicy(absl::Time deadline, IterationStats* stats) = 0;
  // Adapted policies for snapshots (leading task dimension), or empty.
  virtual std::vector<at::Tensor> AdaptedPolicies() const { return {}; }

  // `count` training episodes (fresh training seeds) acting with `act`.
  absl::StatusOr<EpisodeBatch> RunTrainingEpisodes(int64_t count, const BatchedActionFn& act);
  // `count` observations from the env's reset distribution (fresh seeds): [count, obs_dim].
  absl::StatusOr<at::Tensor> StartStates(int64_t count);
  // Episodes needed for `steps` steps of horizon-long episodes.
  int64_t EpisodesFor(int64_t steps) const;

  const v1::ExperimentConfig& config() const { return config_; }
  const envs::EnvSpec& spec() const { return spec_; }
  const envs::BatchedEnvFunctions& functions() const { return *environment_.functions; }
  DynamicsModel& mutable_model() { return *model_; }
  GaussianMlpPolicy& mutable_policy() { return *policy_; }
  at::Generator& generator() { return generator_; }

 private:
  absl::StatusOr<std::vector<envs::Env*>> Envs(int64_t count);

  v1::ExperimentConfig config_;
  AlgorithmEnvironment environment_;
  envs::EnvSpec spec_;
  std::unique_ptr<DynamicsModel> model_;
  std::unique_ptr<GaussianMlpPolicy> policy_;
  int64_t initial_random_steps_;
  TransitionBuffer buffer_;
  at::Generator generator_;
  std::vector<std::unique_ptr<envs::Env>> envs_;
  std::unique_ptr<envs::Env> start_state_env_;
  int64_t iteration_ = 0;
  // Seed streams, kept apart: training episodes, evaluation episodes, imagination starts.
  uint64_t next_training_seed_;
  uint64_t next_evaluation_seed_;
  uint64_t next_start_seed_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_ALGORITHM_H_
