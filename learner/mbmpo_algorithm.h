// MB-MPO (Clavera et al. 2018, Algorithm 1) as an iteration object over the MB-MPO pieces
// (mbmpo.h): tailored exploration (one real episode per task, task k acting with its adapted
// theta'_k, real_episodes_per_task of them), then the model fit, then meta_steps_per_iteration
// meta steps, each: for T = meta_batch_size tasks bound to the ensemble members, n =
// imagined_trajectories_per_task pre-update rollouts with theta, the inner step, n post-update
// rollouts with theta'_k, and the outer TRPO step.
#ifndef MBRL_LEARNER_MBMPO_ALGORITHM_H_
#define MBRL_LEARNER_MBMPO_ALGORITHM_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/algorithm.h"
#include "learner/mbmpo.h"

namespace mbrl::learner {

class MbmpoAlgorithm final : public ModelBasedAlgorithm {
 public:
  // `config` must hold an `mbmpo` block and be validated (common/config.h); `spec` is the
  // environment's. INVALID_ARGUMENT for inconsistent settings.
  static absl::StatusOr<std::unique_ptr<MbmpoAlgorithm>> Create(const v1::ExperimentConfig& config,
                                                                AlgorithmEnvironment environment,
                                                                const envs::EnvSpec& spec);

 protected:
  absl::StatusOr<EpisodeBatch> CollectWithPolicy() override;
  int64_t PolicyCollectionSteps() const override;
  absl::Status ImprovePolicy(absl::Time deadline, IterationStats* stats) override;
  std::vector<at::Tensor> AdaptedPolicies() const override { return adapted_; }

 private:
  MbmpoAlgorithm(const v1::ExperimentConfig& config, AlgorithmEnvironment environment,
                 const envs::EnvSpec& spec, std::unique_ptr<DynamicsModel> model,
                 std::unique_ptr<GaussianMlpPolicy> policy);
  // [tasks, n, obs_dim] start states from the reset distribution.
  absl::StatusOr<at::Tensor> TaskStarts();

  MbmpoOptions options_;
  ImaginationOptions imagination_;
  int64_t tasks_;
  int64_t trajectories_per_task_;
  // The latest adapted policies theta'_k (leading task dimension).
  std::vector<at::Tensor> adapted_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_MBMPO_ALGORITHM_H_
