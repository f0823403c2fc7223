#include "learner/stacked_adam.h"

#include <ATen/ATen.h>

#include <cmath>

#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

// bool [n] (at::tensor has no bool overload).
at::Tensor Mask(std::vector<int> flags) { return at::tensor(flags, at::kInt).to(at::kBool); }

TEST(StackedAdamTest, MatchesHandComputedUpdatesAndFreezesInactiveMembers) {
  at::Tensor p = at::tensor({1.0f, 1.0f}).view({2, 1}).requires_grad_(true);
  const AdamOptions options{.learning_rate = 0.1, .beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-8};
  StackedAdam adam({p}, 2, options);

  // Step 1, both members, gradients 2 and -4: m_hat = g, v_hat = g^2, so each moves by
  // -lr * sign(g) (up to epsilon).
  p.mutable_grad() = at::tensor({2.0f, -4.0f}).view({2, 1});
  adam.Step(Mask({1, 1}));
  EXPECT_NEAR(p[0][0].item<float>(), 0.9, 1e-6);
  EXPECT_NEAR(p[1][0].item<float>(), 1.1, 1e-6);

  // Step 2, only member 0, gradient 1 (member 1 frozen even with a gradient).
  p.mutable_grad() = at::tensor({1.0f, 100.0f}).view({2, 1});
  adam.Step(Mask({1, 0}));
  const double m = 0.9 * (0.1 * 2) + 0.1 * 1;        // 0.28
  const double v = 0.999 * (0.001 * 4) + 0.001 * 1;  // 0.004996
  const double m_hat = m / (1 - 0.9 * 0.9);
  const double v_hat = v / (1 - 0.999 * 0.999);
  EXPECT_NEAR(p[0][0].item<float>(), 0.9 - 0.1 * m_hat / (std::sqrt(v_hat) + 1e-8), 1e-6);
  EXPECT_NEAR(p[1][0].item<float>(), 1.1, 1e-6);
  EXPECT_EQ(adam.steps()[0].item<int64_t>(), 2);
  EXPECT_EQ(adam.steps()[1].item<int64_t>(), 1);

  // Member 1 resumes with its own step count (t = 2) and untouched moments.
  p.mutable_grad() = at::tensor({0.0f, -4.0f}).view({2, 1});
  adam.Step(Mask({0, 1}));
  const double m1 = 0.9 * (0.1 * -4) + 0.1 * -4;
  const double v1 = 0.999 * (0.001 * 16) + 0.001 * 16;
  const double update = 0.1 * (m1 / (1 - 0.81)) / (std::sqrt(v1 / (1 - 0.998001)) + 1e-8);
  EXPECT_NEAR(p[1][0].item<float>(), 1.1 - update, 1e-6);
}

TEST(StackedAdamTest, ResetForgetsTheMoments) {
  at::Tensor p = at::zeros({1, 3}).requires_grad_(true);
  StackedAdam adam({p}, 1, AdamOptions{.learning_rate = 1.0});
  p.mutable_grad() = at::ones({1, 3});
  adam.Step(Mask({1}));
  adam.Reset();
  EXPECT_EQ(adam.steps()[0].item<int64_t>(), 0);
  const at::Tensor before = p.detach().clone();
  p.mutable_grad() = -at::ones({1, 3});
  adam.Step(Mask({1}));
  // A fresh first step moves by exactly lr * sign(g).
  EXPECT_TRUE(at::allclose(p.detach() - before, at::ones({1, 3}), 1e-5, 1e-5));
}

}  // namespace
}  // namespace mbrl::learner
