#include "services/common/role_metrics.h"

#include <utility>

namespace mbrl {
namespace {

// Episode returns span environments: Pendulum's are in [-1700, 0], locomotion's in the
// thousands.
std::vector<double> ReturnBuckets() {
  return {-2000, -1500, -1000, -750, -500, -300, -200, -150, -100, -50,  0,
          50,    100,   250,   500,  1000, 2000, 3000, 5000, 7500, 10000};
}

std::vector<double> LagBuckets() { return {0, 1, 2, 3, 5, 10, 20, 50}; }

std::vector<double> IterationBuckets() {
  return {0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000};
}

prometheus::MetricFamily HistogramFamily(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Histogram;
  return family;
}

void AddHistogram(prometheus::MetricFamily& family, const LatencyHistogram& histogram,
                  const MetricLabels& labels = {}) {
  prometheus::ClientMetric metric;
  for (const auto& [name, value] : labels) metric.label.push_back({name, value});
  metric.histogram = histogram.Snapshot();
  family.metric.push_back(std::move(metric));
}

double Load(const std::atomic<double>& gauge) { return gauge.load(std::memory_order_relaxed); }

}  // namespace

RoleMetrics::RoleMetrics(uint32_t exports)
    : exports_(exports),
      real_returns_(ReturnBuckets()),
      eval_returns_(ReturnBuckets()),
      policy_lag_(LagBuckets()),
      train_loss_(0),
      validation_loss_(0),
      policy_kl_(0),
      iteration_seconds_(IterationBuckets()) {}

std::vector<prometheus::MetricFamily> RoleMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  if (exports_ & (kRealSteps | kImaginedSteps)) {
    prometheus::MetricFamily steps =
        CounterFamily("mbrl_env_steps_total", "Environment steps taken, real or in a model.");
    if (exports_ & kRealSteps) {
      AddSample(steps, static_cast<double>(real_steps_.load(std::memory_order_relaxed)),
                {{"source", "real"}});
    }
    if (exports_ & kImaginedSteps) {
      AddSample(steps, static_cast<double>(imagined_steps_.load(std::memory_order_relaxed)),
                {{"source", "imagined"}});
    }
    families.push_back(std::move(steps));
  }
  if (exports_ & kEpisodeReturns) {
    prometheus::MetricFamily returns = HistogramFamily(
        "mbrl_episode_return", "Undiscounted return of each finished real or evaluation episode.");
    AddHistogram(returns, real_returns_, {{"source", "real"}});
    AddHistogram(returns, eval_returns_, {{"source", "eval"}});
    families.push_back(std::move(returns));
  }
  if (exports_ & kModelVersion) {
    families.push_back(GaugeFamily("mbrl_model_version",
                                   "Version of the latest model snapshot published or held."));
    AddSample(families.back(), Load(model_version_));
  }
  if (exports_ & kPolicyVersion) {
    families.push_back(
        GaugeFamily("mbrl_policy_version", "Version of the latest policy published or held."));
    AddSample(families.back(), Load(policy_version_));
  }
  if (exports_ & kPolicyLag) {
    families.push_back(HistogramFamily(
        "mbrl_policy_lag_versions",
        "Policy versions between the policy that produced data and the current one."));
    AddHistogram(families.back(), policy_lag_);
  }
  if (exports_ & kModelLoss) {
    prometheus::MetricFamily loss = GaugeFamily(
        "mbrl_model_loss", "Dynamics-ensemble loss of the last fit (mean over members).");
    AddSample(loss, Load(train_loss_), {{"split", "train"}});
    AddSample(loss, Load(validation_loss_), {{"split", "validation"}});
    families.push_back(std::move(loss));
  }
  if (exports_ & kPolicyKl) {
    families.push_back(GaugeFamily("mbrl_policy_kl",
                                   "Mean KL between the old and the new policy of the last step."));
    AddSample(families.back(), Load(policy_kl_));
  }
  if (exports_ & kIterationSeconds) {
    families.push_back(HistogramFamily("mbrl_iteration_seconds",
                                       "Wall-clock seconds per learner iteration (a fit, a "
                                       "policy step)."));
    AddHistogram(families.back(), iteration_seconds_);
  }
  return families;
}

}  // namespace mbrl
