#include "services/common/role_metrics.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace mbrl {
namespace {

std::map<std::string, prometheus::MetricFamily> ByName(const RoleMetrics& metrics) {
  std::map<std::string, prometheus::MetricFamily> out;
  for (prometheus::MetricFamily& family : metrics.Collect()) out[family.name] = family;
  return out;
}

TEST(RoleMetricsTest, EnvActorExportsItsContractMetrics) {
  RoleMetrics metrics(RoleMetrics::kEnvActor);
  metrics.AddRealSteps(200);
  metrics.AddRealSteps(5);
  metrics.ObserveReturn(-150);
  metrics.ObserveEvalReturn(-120);
  metrics.ObserveEvalReturn(-130);
  metrics.SetPolicyVersion(7);
  metrics.ObservePolicyLag(1);
  auto families = ByName(metrics);
  ASSERT_EQ(families.size(), 4u);
  const prometheus::MetricFamily& steps = families.at("mbrl_env_steps_total");
  EXPECT_EQ(steps.type, prometheus::MetricType::Counter);
  ASSERT_EQ(steps.metric.size(), 1u);
  EXPECT_EQ(steps.metric[0].label[0].value, "real");
  EXPECT_EQ(steps.metric[0].counter.value, 205);
  const prometheus::MetricFamily& returns = families.at("mbrl_episode_return");
  ASSERT_EQ(returns.metric.size(), 2u);
  EXPECT_EQ(returns.metric[0].histogram.sample_count, 1u);
  EXPECT_EQ(returns.metric[1].histogram.sample_count, 2u);
  EXPECT_DOUBLE_EQ(returns.metric[1].histogram.sample_sum, -250);
  EXPECT_EQ(families.at("mbrl_policy_version").metric[0].gauge.value, 7);
  EXPECT_EQ(families.count("mbrl_model_loss"), 0u);
}

TEST(RoleMetricsTest, LearnersExportTheirs) {
  RoleMetrics model(RoleMetrics::kModelLearner);
  model.SetModelVersion(3);
  model.SetModelLoss(0.5, 0.25);
  model.ObserveIterationSeconds(2.5);
  auto families = ByName(model);
  EXPECT_EQ(families.size(), 3u);
  const prometheus::MetricFamily& loss = families.at("mbrl_model_loss");
  ASSERT_EQ(loss.metric.size(), 2u);
  EXPECT_EQ(loss.metric[0].label[0].value, "train");
  EXPECT_EQ(loss.metric[0].gauge.value, 0.5);
  EXPECT_EQ(loss.metric[1].gauge.value, 0.25);
  EXPECT_EQ(families.at("mbrl_iteration_seconds").metric[0].histogram.sample_count, 1u);

  RoleMetrics policy(RoleMetrics::kPolicyLearner);
  policy.SetPolicyKl(0.01);
  families = ByName(policy);
  EXPECT_EQ(families.size(), 4u);
  EXPECT_EQ(families.at("mbrl_policy_kl").metric[0].gauge.value, 0.01);

  RoleMetrics imagine(RoleMetrics::kImagine);
  imagine.AddImaginedSteps(4000);
  families = ByName(imagine);
  EXPECT_EQ(families.size(), 3u);
  EXPECT_EQ(families.at("mbrl_env_steps_total").metric[0].label[0].value, "imagined");
}

}  // namespace
}  // namespace mbrl
