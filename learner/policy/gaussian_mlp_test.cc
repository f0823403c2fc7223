#include "learner/policy/gaussian_mlp.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "learner/parameters.h"
#include "learner/policy/diag_gaussian.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;

std::unique_ptr<GaussianMlpPolicy> MakePolicy(uint64_t seed = 1, int64_t obs = 3, int64_t act = 2) {
  GaussianMlpOptions options;
  options.observation_dim = obs;
  options.action_dim = act;
  options.hidden = {8, 8};
  auto policy = GaussianMlpPolicy::Create(options, seed);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return std::move(policy).value();
}

TEST(DiagGaussianTest, LogProbEntropyAndKlEqualClosedForms) {
  // 1-D: N(0, 1) and N(1, 2^2).
  const DiagGaussian p{at::zeros({1, 1}), at::zeros({1, 1})};
  const DiagGaussian q{at::ones({1, 1}), at::full({1, 1}, std::log(2.0))};
  // log N(0.5; 0, 1) = -0.125 - 0.5 log(2 pi).
  EXPECT_NEAR(p.LogProb(at::full({1, 1}, 0.5)).item<double>(), -0.125 - 0.5 * std::log(2 * M_PI),
              1e-6);
  // log N(3; 1, 4) = -0.5 * 1 - log 2 - 0.5 log(2 pi).
  EXPECT_NEAR(q.LogProb(at::full({1, 1}, 3.0)).item<double>(),
              -0.5 - std::log(2.0) - 0.5 * std::log(2 * M_PI), 1e-6);
  EXPECT_NEAR(p.Entropy().item<double>(), 0.5 * std::log(2 * M_PI * M_E), 1e-6);
  // KL(p || q) = log(2) + (1 + 1) / 8 - 0.5.
  EXPECT_NEAR(KlDivergence(p, q).item<double>(), std::log(2.0) + 0.25 - 0.5, 1e-6);
  EXPECT_NEAR(KlDivergence(q, q).item<double>(), 0.0, 1e-7);
  // Sums over dimensions: two identical dimensions double everything.
  const DiagGaussian p2{at::zeros({1, 2}), at::zeros({1, 2})};
  const DiagGaussian q2{at::ones({1, 2}), at::full({1, 2}, std::log(2.0))};
  EXPECT_NEAR(KlDivergence(p2, q2).item<double>(), 2 * (std::log(2.0) - 0.25), 1e-6);
}

TEST(GaussianMlpPolicyTest, InitialStdIsOneAndDeterministicActIsTheMean) {
  auto policy = MakePolicy();
  const at::Tensor obs = at::randn({5, 3});
  const DiagGaussian dist = policy->Distribution(policy->parameters(), obs);
  EXPECT_EQ(dist.mean.sizes(), (at::IntArrayRef{5, 2}));
  EXPECT_TRUE(at::allclose(at::exp(dist.log_std), at::ones({2})));
  EXPECT_TRUE(at::equal(Act(*policy, policy->parameters(), obs, nullptr), dist.mean.detach()));
  EXPECT_EQ(policy->parameter_names().back(), "log_std");
  EXPECT_EQ(policy->parameter_names().front(), "layers.0.weight");
}

TEST(GaussianMlpPolicyTest, SamplesHaveTheDistributionsMoments) {
  auto policy = MakePolicy();
  at::Generator generator = at::detail::createCPUGenerator(5);
  const at::Tensor obs = at::zeros({20000, 3});
  const at::Tensor actions = Act(*policy, policy->parameters(), obs, &generator);
  const at::Tensor mean = policy->Distribution(policy->parameters(), obs).mean[0].detach();
  EXPECT_TRUE(at::allclose(actions.mean(0), mean, 0.05, 0.05));
  EXPECT_TRUE(at::allclose(actions.std(0), at::ones({2}), 0.05, 0.05));
}

TEST(GaussianMlpPolicyTest, BatchedParametersEqualSeparatePolicies) {
  auto a = MakePolicy(1);
  auto b = MakePolicy(2);
  std::vector<at::Tensor> stacked;
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    stacked.push_back(at::stack({a->parameters()[i], b->parameters()[i]}));
  }
  const at::Tensor obs = at::randn({2, 4, 3});
  const DiagGaussian batched = a->Distribution(stacked, obs);
  const DiagGaussian first = a->Distribution(a->parameters(), obs[0]);
  const DiagGaussian second = b->Distribution(b->parameters(), obs[1]);
  EXPECT_TRUE(at::allclose(batched.mean[0], first.mean, 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(batched.mean[1], second.mean, 1e-6, 1e-6));
  const at::Tensor actions = at::randn({2, 4, 2});
  EXPECT_TRUE(at::allclose(batched.LogProb(actions)[1], second.LogProb(actions[1]), 1e-5, 1e-5));
}

TEST(GaussianMlpPolicyTest, MinStdFloorsTheLogStd) {
  GaussianMlpOptions options;
  options.observation_dim = 1;
  options.action_dim = 1;
  options.min_std = 0.5;
  MBRL_ASSERT_OK_AND_ASSIGN(auto policy, GaussianMlpPolicy::Create(options, 1));
  std::vector<at::Tensor> params = CloneDetached(policy->parameters());
  params.back().fill_(-10);
  EXPECT_NEAR(at::exp(policy->Distribution(params, at::zeros({1, 1})).log_std).item<double>(), 0.5,
              1e-6);
}

TEST(GaussianMlpPolicyTest, SnapshotRoundTripIsBitExact) {
  auto source = MakePolicy(1);
  auto target = MakePolicy(2);
  std::vector<at::Tensor> adapted_all;
  for (const at::Tensor& p : source->parameters()) adapted_all.push_back(at::stack({p * 2, p * 3}));
  v1::PolicySnapshot snapshot;
  MBRL_ASSERT_OK(WritePolicySnapshot(*source, adapted_all, &snapshot));
  EXPECT_EQ(snapshot.adapted_size(), 2);
  MBRL_ASSERT_OK_AND_ASSIGN(std::vector<at::Tensor> restored,
                            ReadPolicySnapshot(snapshot, *target));
  for (size_t i = 0; i < source->parameters().size(); ++i) {
    EXPECT_TRUE(at::equal(target->parameters()[i], source->parameters()[i])) << i;
    EXPECT_TRUE(at::equal(restored[i], adapted_all[i].detach())) << i;
  }
  // A snapshot of a different architecture is rejected and changes nothing.
  auto wider = MakePolicy(3, 4, 2);
  const at::Tensor before = target->parameters()[0].detach().clone();
  v1::PolicySnapshot other;
  MBRL_ASSERT_OK(WritePolicySnapshot(*wider, {}, &other));
  EXPECT_THAT(ReadPolicySnapshot(other, *target), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(at::equal(target->parameters()[0], before));
}

TEST(GaussianMlpPolicyTest, RejectsBadOptions) {
  GaussianMlpOptions options;
  options.observation_dim = 0;
  options.action_dim = 1;
  EXPECT_THAT(GaussianMlpPolicy::Create(options, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  options.observation_dim = 1;
  options.init_std = -1;
  EXPECT_THAT(GaussianMlpPolicy::Create(options, 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl::learner
