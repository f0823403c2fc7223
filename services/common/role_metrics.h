// The roles' training metrics of the roles contract (README "Metrics",
// deploy/checks/contract.py), in one collectable that each role creates with the metrics it
// exports:
//
//   mbrl_env_steps_total{source=real|imagined}   counter    env actors, imagination actors
//   mbrl_episode_return{source=real|eval}        histogram  env actors
//   mbrl_model_version                           gauge      model learner, imagination actors
//   mbrl_policy_version                          gauge      policy learner, actors
//   mbrl_policy_lag_versions                     histogram  policy learner, env actors
//   mbrl_model_loss{split=train|validation}      gauge      model learner
//   mbrl_policy_kl                               gauge      policy learner
//   mbrl_iteration_seconds                       histogram  learners
//
// Gauges start at 0 (the losses and the KL until the first fit or accepted step: a NaN would
// trip the not-finite alerts of deploy/prometheus/rules on a healthy, just started role).
// Updates are relaxed atomics (histograms are LatencyHistograms with their own buckets): no
// lock on any hot path. Collect() renders only the metrics the role was created with.
// Thread-safe.
#ifndef MBRL_SERVICES_COMMON_ROLE_METRICS_H_
#define MBRL_SERVICES_COMMON_ROLE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "services/common/metrics.h"

namespace mbrl {

class RoleMetrics : public prometheus::Collectable {
 public:
  // What a role exports (a bit set of these).
  enum Export : uint32_t {
    kRealSteps = 1 << 0,       // mbrl_env_steps_total{source="real"}
    kImaginedSteps = 1 << 1,   // mbrl_env_steps_total{source="imagined"}
    kEpisodeReturns = 1 << 2,  // mbrl_episode_return{source="real"} and {source="eval"}
    kModelVersion = 1 << 3,
    kPolicyVersion = 1 << 4,
    kPolicyLag = 1 << 5,
    kModelLoss = 1 << 6,
    kPolicyKl = 1 << 7,
    kIterationSeconds = 1 << 8,
  };
  // The sets of the contract's roles.
  static constexpr uint32_t kEnvActor = kRealSteps | kEpisodeReturns | kPolicyVersion | kPolicyLag;
  static constexpr uint32_t kImagine = kImaginedSteps | kModelVersion | kPolicyVersion;
  static constexpr uint32_t kModelLearner = kModelVersion | kModelLoss | kIterationSeconds;
  static constexpr uint32_t kPolicyLearner =
      kPolicyVersion | kPolicyLag | kPolicyKl | kIterationSeconds;

  explicit RoleMetrics(uint32_t exports);

  void AddRealSteps(uint64_t steps) { real_steps_.fetch_add(steps, std::memory_order_relaxed); }
  void AddImaginedSteps(uint64_t steps) {
    imagined_steps_.fetch_add(steps, std::memory_order_relaxed);
  }
  void ObserveReturn(double episode_return) { real_returns_.Observe(episode_return); }
  void ObserveEvalReturn(double episode_return) { eval_returns_.Observe(episode_return); }
  void SetModelVersion(uint64_t version) { Store(model_version_, static_cast<double>(version)); }
  void SetPolicyVersion(uint64_t version) { Store(policy_version_, static_cast<double>(version)); }
  void ObservePolicyLag(double versions) { policy_lag_.Observe(versions); }
  void SetModelLoss(double train, double validation) {
    Store(train_loss_, train);
    Store(validation_loss_, validation);
  }
  void SetPolicyKl(double kl) { Store(policy_kl_, kl); }
  void ObserveIterationSeconds(double seconds) { iteration_seconds_.Observe(seconds); }

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  static void Store(std::atomic<double>& gauge, double value) {
    gauge.store(value, std::memory_order_relaxed);
  }

  const uint32_t exports_;
  std::atomic<uint64_t> real_steps_{0};
  std::atomic<uint64_t> imagined_steps_{0};
  LatencyHistogram real_returns_;
  LatencyHistogram eval_returns_;
  std::atomic<double> model_version_{0};
  std::atomic<double> policy_version_{0};
  LatencyHistogram policy_lag_;
  std::atomic<double> train_loss_;
  std::atomic<double> validation_loss_;
  std::atomic<double> policy_kl_;
  LatencyHistogram iteration_seconds_;
};

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_ROLE_METRICS_H_
