#include "learner/trpo.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/policy_batch.h"

namespace mbrl::learner {
namespace {

std::unique_ptr<GaussianMlpPolicy> MakePolicy() {
  GaussianMlpOptions options;
  options.observation_dim = 3;
  options.action_dim = 2;
  options.hidden = {8};
  return GaussianMlpPolicy::Create(options, 3).value();
}

// A batch of random steps (one task) whose old distribution is the policy at `params`.
PolicyBatch RandomBatch(const Policy& policy, absl::Span<const at::Tensor> params, int64_t m,
                        at::ScalarType dtype) {
  at::manual_seed(21);
  PolicyBatch batch;
  batch.observations = at::randn({1, m, 3}, dtype);
  batch.actions = at::randn({1, m, 2}, dtype);
  batch.advantages = at::randn({1, m}, dtype);
  batch.mask = at::ones({1, m}, dtype);
  at::NoGradGuard no_grad;
  const DiagGaussian old = policy.Distribution(params, batch.observations);
  batch.old_distribution = {old.mean.detach(), old.log_std.detach()};
  batch.old_log_prob = batch.old_distribution.LogProb(batch.actions);
  return batch;
}

std::vector<at::Tensor> AsDouble(absl::Span<const at::Tensor> params) {
  std::vector<at::Tensor> out;
  for (const at::Tensor& p : params) out.push_back(p.detach().to(at::kDouble).requires_grad_(true));
  return out;
}

at::Tensor FlatGradient(const at::Tensor& scalar, const std::vector<at::Tensor>& params) {
  return Flatten(torch::autograd::grad({scalar}, params));
}

TEST(FisherVectorProductTest, EqualsAFiniteDifferenceHessianVectorProductOfTheKl) {
  auto policy = MakePolicy();
  std::vector<at::Tensor> theta = AsDouble(policy->parameters());
  // Move log_std away from 0 so every block of the Hessian is exercised.
  {
    at::NoGradGuard no_grad;
    theta.back().fill_(-0.3);
  }
  const PolicyBatch batch = RandomBatch(*policy, theta, 64, at::kDouble);
  const FisherVectorProduct fvp(MeanKl(*policy, theta, batch), theta, /*damping=*/0.0);
  at::manual_seed(5);
  const at::Tensor v = at::randn({TotalElements(theta)}, at::kDouble);
  const at::Tensor product = fvp(v);

  const double eps = 1e-5;
  auto gradient_at = [&](double scale) {
    std::vector<at::Tensor> moved;
    const std::vector<at::Tensor> step = UnflattenLike(scale * eps * v, theta);
    for (size_t i = 0; i < theta.size(); ++i) {
      moved.push_back((theta[i].detach() + step[i]).requires_grad_(true));
    }
    return FlatGradient(MeanKl(*policy, moved, batch), moved);
  };
  const at::Tensor finite_difference = (gradient_at(1) - gradient_at(-1)) / (2 * eps);
  EXPECT_GT(product.norm().item<double>(), 1e-3);
  EXPECT_TRUE(at::allclose(product, finite_difference, 1e-6, 1e-6))
      << (product - finite_difference).abs().max();
  // Damping adds damping * v.
  const FisherVectorProduct damped(MeanKl(*policy, theta, batch), theta, 0.1);
  EXPECT_TRUE(at::allclose(damped(v), product + 0.1 * v, 1e-10, 1e-10));
}

TEST(TrpoStepTest, ImprovesTheSurrogateWithinTheKlBound) {
  for (double max_kl : {0.01, 1e-4}) {
    auto policy = MakePolicy();
    const std::vector<at::Tensor>& theta = policy->parameters();
    const PolicyBatch batch = RandomBatch(*policy, theta, 256, at::kFloat);
    TrpoOptions options;
    options.max_kl = max_kl;
    const std::vector<at::Tensor> before = CloneDetached(theta);
    MBRL_ASSERT_OK_AND_ASSIGN(TrpoReport report,
                              TrpoStep(
                                  theta,
                                  [&](bool) {
                                    return TrpoTerms{SurrogateObjective(*policy, theta, batch),
                                                     MeanKl(*policy, theta, batch)};
                                  },
                                  options));
    ASSERT_TRUE(report.accepted);
    EXPECT_GT(report.surrogate_after, report.surrogate_before);
    const double kl = MeanKl(*policy, theta, batch).item<double>();
    EXPECT_LE(kl, max_kl * (1 + 1e-4));
    EXPECT_NEAR(kl, report.kl, 1e-7);
    // A full step lands close to the bound (the quadratic model of the KL is good here).
    EXPECT_GT(kl, 0.2 * max_kl);
    EXPECT_FALSE(at::equal(Flatten(before), Flatten(theta).detach()));
  }
}

TEST(TrpoStepTest, FisherKlOnASubsetChangesOnlyTheCurvature) {
  const auto step = [](int64_t stride, bool with_fisher_kl) {
    auto policy = MakePolicy();
    const std::vector<at::Tensor>& theta = policy->parameters();
    const PolicyBatch batch = RandomBatch(*policy, theta, 256, at::kFloat);
    const PolicyBatch subset = StrideSlots(batch, stride);
    TrpoReport report =
        TrpoStep(
            theta,
            [&](bool differentiable) {
              TrpoTerms terms{SurrogateObjective(*policy, theta, batch),
                              MeanKl(*policy, theta, batch)};
              if (differentiable && with_fisher_kl) terms.fisher_kl = MeanKl(*policy, theta, subset);
              return terms;
            },
            TrpoOptions{})
            .value();
    return std::make_pair(report, Flatten(theta).detach());
  };
  const auto [plain, plain_theta] = step(1, false);
  const auto [same, same_theta] = step(1, true);
  EXPECT_TRUE(at::equal(plain_theta, same_theta));  // the whole batch as the subset
  const auto [sub, sub_theta] = step(4, true);
  ASSERT_TRUE(sub.accepted);
  EXPECT_GT(sub.surrogate_after, sub.surrogate_before);
  EXPECT_LE(sub.kl, TrpoOptions{}.max_kl * (1 + 1e-4));  // the bound holds on all samples
  EXPECT_FALSE(at::equal(plain_theta, sub_theta));
}

TEST(TrpoStepTest, LeavesParametersUnchangedWhenNoStepImproves) {
  auto policy = MakePolicy();
  const std::vector<at::Tensor>& theta = policy->parameters();
  const PolicyBatch batch = RandomBatch(*policy, theta, 64, at::kFloat);
  const std::vector<at::Tensor> before = CloneDetached(theta);
  const auto kl = [&] { return MeanKl(*policy, theta, batch); };
  // A tiny slope into a steep bowl: every step the line search tries makes it worse.
  const auto bowl = [&] {
    at::Tensor total = at::zeros({});
    for (size_t i = 0; i < theta.size(); ++i) {
      total = total - 1e6 * (theta[i] - before[i]).square().sum() + 1e-3 * theta[i].sum();
    }
    return total;
  };
  MBRL_ASSERT_OK_AND_ASSIGN(TrpoReport rejected, TrpoStep(
                                                     theta,
                                                     [&](bool) {
                                                       return TrpoTerms{bowl(), kl()};
                                                     },
                                                     TrpoOptions{}));
  EXPECT_FALSE(rejected.accepted);
  EXPECT_EQ(rejected.backtracks, TrpoOptions{}.max_backtracks);
  EXPECT_TRUE(at::equal(Flatten(before), Flatten(theta).detach()));
  // A flat objective (zero gradient) is a no-op.
  MBRL_ASSERT_OK_AND_ASSIGN(TrpoReport flat,
                            TrpoStep(
                                theta,
                                [&](bool) {
                                  return TrpoTerms{(Flatten(theta) * 0).sum(), kl()};
                                },
                                TrpoOptions{}));
  EXPECT_FALSE(flat.accepted);
  EXPECT_TRUE(at::equal(Flatten(before), Flatten(theta).detach()));
}

TEST(PolicyGradientStepTest, IsThetaPlusLearningRateTimesTheGradient) {
  auto policy = MakePolicy();
  const std::vector<at::Tensor>& theta = policy->parameters();
  const PolicyBatch batch = RandomBatch(*policy, theta, 32, at::kFloat);
  const at::Tensor objective = PolicyGradientObjective(*policy, theta, batch).sum();
  const std::vector<at::Tensor> stepped = PolicyGradientStep(objective, theta, 0.5, false);
  const std::vector<at::Tensor> gradient =
      torch::autograd::grad({PolicyGradientObjective(*policy, theta, batch).sum()}, theta);
  for (size_t i = 0; i < theta.size(); ++i) {
    EXPECT_TRUE(
        at::allclose(stepped[i].detach(), theta[i].detach() + 0.5 * gradient[i], 1e-6, 1e-6));
  }
}

}  // namespace
}  // namespace mbrl::learner
