// ME-TRPO (Kurutach et al. 2018, Algorithm 2) as an iteration object over the ME-TRPO pieces
// (metrpo.h): real episodes with the stochastic policy theta, the model fit, then up to
// max_policy_steps_per_iteration TRPO steps on imagined batches of
// imagined_steps_per_policy_step steps (members per `propagation`), stopped by the model vote
// (checked before the first step and every validation_every steps, on fixed validation start
// states) after `patience` steps without a new best; the best policy is kept.
#ifndef MBRL_LEARNER_METRPO_ALGORITHM_H_
#define MBRL_LEARNER_METRPO_ALGORITHM_H_

#include <memory>

#include "absl/status/statusor.h"
#include "learner/algorithm.h"
#include "learner/imagination.h"
#include "learner/metrpo.h"
#include "learner/policy_batch.h"
#include "learner/trpo.h"

namespace mbrl::learner {

class MetrpoAlgorithm final : public ModelBasedAlgorithm {
 public:
  // `config` must hold a `metrpo` block and be validated; `spec` is the environment's.
  static absl::StatusOr<std::unique_ptr<MetrpoAlgorithm>> Create(const v1::ExperimentConfig& config,
                                                                 AlgorithmEnvironment environment,
                                                                 const envs::EnvSpec& spec);

 protected:
  absl::StatusOr<EpisodeBatch> CollectWithPolicy() override;
  int64_t PolicyCollectionSteps() const override;
  absl::Status ImprovePolicy(absl::Time deadline, IterationStats* stats) override;

 private:
  MetrpoAlgorithm(const v1::ExperimentConfig& config, AlgorithmEnvironment environment,
                  const envs::EnvSpec& spec, std::unique_ptr<DynamicsModel> model,
                  std::unique_ptr<GaussianMlpPolicy> policy);

  ImaginationOptions imagination_;
  AdvantageOptions advantages_;
  TrpoOptions trpo_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_METRPO_ALGORITHM_H_
