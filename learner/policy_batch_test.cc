#include "learner/policy_batch.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"

namespace mbrl::learner {
namespace {

std::unique_ptr<GaussianMlpPolicy> MakePolicy() {
  GaussianMlpOptions options;
  options.observation_dim = 2;
  options.action_dim = 1;
  options.hidden = {4};
  return GaussianMlpPolicy::Create(options, 1).value();
}

// 2 tasks x 3 trajectories, H = 4; trajectory 1 of task 0 stops after 2 steps.
Rollouts Example() {
  at::manual_seed(2);
  Rollouts r;
  r.observations = at::randn({6, 5, 2});
  r.actions = at::randn({6, 4, 1});
  r.rewards = at::randn({6, 4});
  r.lengths = at::tensor({4, 2, 4, 4, 4, 4}, at::kInt);
  r.terminated = at::tensor({0, 1, 0, 0, 0, 0}, at::kInt).to(at::kBool);
  r.rewards[1].narrow(0, 2, 2).fill_(0);
  r.actions[1].narrow(0, 2, 2).fill_(0);
  return r;
}

TEST(PolicyBatchTest, LayoutAdvantagesAndOldDistribution) {
  auto policy = MakePolicy();
  MBRL_ASSERT_OK_AND_ASSIGN(PolicyBatch batch,
                            MakePolicyBatch(*policy, policy->parameters(), Example(), 2, {}));
  EXPECT_EQ(batch.observations.sizes(), (at::IntArrayRef{2, 12, 2}));
  EXPECT_EQ(batch.mask.sum().item<float>(), 22);
  EXPECT_TRUE(batch.advantages[0].narrow(0, 6, 2).eq(0).all().item<bool>());  // padding
  for (int64_t task = 0; task < 2; ++task) {
    const at::Tensor valid = batch.advantages[task].masked_select(batch.mask[task] > 0);
    EXPECT_NEAR(valid.mean().item<double>(), 0, 1e-5);
    EXPECT_NEAR(valid.std(false).item<double>(), 1, 1e-4);
  }
  const at::Tensor log_prob =
      policy->Distribution(policy->parameters(), batch.observations).LogProb(batch.actions);
  EXPECT_TRUE(at::allclose(batch.old_log_prob, log_prob.detach()));
}

TEST(PolicyBatchTest, SurrogateMatchesThePolicyGradientAtTheOldPolicy) {
  auto policy = MakePolicy();
  const std::vector<at::Tensor>& theta = policy->parameters();
  MBRL_ASSERT_OK_AND_ASSIGN(PolicyBatch batch, MakePolicyBatch(*policy, theta, Example(), 2, {}));
  // At theta_old the ratio is 1: surrogate = mean advantage (0 when standardized), KL = 0, and
  // the gradients of the surrogate and of the vanilla objective agree.
  EXPECT_NEAR(SurrogateObjective(*policy, theta, batch).item<double>(), 0, 1e-6);
  EXPECT_NEAR(MeanKl(*policy, theta, batch).item<double>(), 0, 1e-7);
  const at::Tensor g1 =
      Flatten(torch::autograd::grad({SurrogateObjective(*policy, theta, batch)}, theta));
  const at::Tensor g2 = Flatten(
      torch::autograd::grad({PolicyGradientObjective(*policy, theta, batch).mean()}, theta));
  EXPECT_TRUE(at::allclose(g1, g2, 1e-5, 1e-6));
}

// Samples of an older policy theta_b, used by theta: the surrogate's ratio is against theta_b,
// and the inner objective's gradient is the importance-sampled policy gradient.
TEST(PolicyBatchTest, StaleSamplesAreImportanceCorrected) {
  auto policy = MakePolicy();
  const std::vector<at::Tensor>& theta = policy->parameters();
  std::vector<at::Tensor> behavior = CloneDetached(theta);
  {
    at::NoGradGuard no_grad;
    for (at::Tensor& p : behavior) p.add_(at::randn(p.sizes()) * 0.1);
  }
  Rollouts stale = Example();
  stale.behavior_log_probs = ActionLogProbs(*policy, behavior, stale);
  EXPECT_TRUE(stale.behavior_log_probs[1].narrow(0, 2, 2).eq(0).all().item<bool>());  // padding
  MBRL_ASSERT_OK_AND_ASSIGN(PolicyBatch batch, MakePolicyBatch(*policy, theta, stale, 2, {}));

  // By hand: mean over tasks of the masked mean of exp(log pi - log pi_b) * A.
  const at::Tensor log_prob =
      policy->Distribution(theta, batch.observations).LogProb(batch.actions).detach();
  const at::Tensor behavior_log_prob =
      policy->Distribution(behavior, batch.observations).LogProb(batch.actions).detach();
  const at::Tensor ratio = at::exp(log_prob - behavior_log_prob);
  const double expected =
      ((ratio * batch.advantages * batch.mask).sum(1) / batch.mask.sum(1)).mean().item<double>();
  EXPECT_NEAR(SurrogateObjective(*policy, theta, batch).item<double>(), expected, 1e-6);
  EXPECT_GT(std::abs(expected), 1e-3);  // the ratios are not 1
  // The KL is still measured from theta (the trust region's centre).
  EXPECT_NEAR(MeanKl(*policy, theta, batch).item<double>(), 0, 1e-7);
  // Gradient of the weighted inner objective == gradient of the surrogate (both are
  // mean(ratio * grad log pi * A)).
  const at::Tensor g1 =
      Flatten(torch::autograd::grad({SurrogateObjective(*policy, theta, batch)}, theta));
  const at::Tensor g2 = Flatten(
      torch::autograd::grad({PolicyGradientObjective(*policy, theta, batch).mean()}, theta));
  EXPECT_TRUE(at::allclose(g1, g2, 1e-5, 1e-6));
  // ... and differs from the uncorrected gradient.
  MBRL_ASSERT_OK_AND_ASSIGN(PolicyBatch plain, MakePolicyBatch(*policy, theta, Example(), 2, {}));
  const at::Tensor g3 = Flatten(
      torch::autograd::grad({PolicyGradientObjective(*policy, theta, plain).mean()}, theta));
  EXPECT_GT((g1 - g3).abs().max().item<double>(), 1e-4);
}

TEST(PolicyBatchTest, StrideSlotsKeepsEveryKthSlotOfEveryField) {
  auto policy = MakePolicy();
  Rollouts stale = Example();
  stale.behavior_log_probs = ActionLogProbs(*policy, policy->parameters(), stale);
  MBRL_ASSERT_OK_AND_ASSIGN(PolicyBatch batch,
                            MakePolicyBatch(*policy, policy->parameters(), stale, 2, {}));
  const PolicyBatch strided = StrideSlots(batch, 5);  // slots 0, 5, 10 of 12
  const at::Tensor kept = at::tensor({0, 5, 10}, at::kLong);
  EXPECT_TRUE(at::equal(strided.observations, batch.observations.index_select(1, kept)));
  EXPECT_TRUE(at::equal(strided.actions, batch.actions.index_select(1, kept)));
  EXPECT_TRUE(at::equal(strided.advantages, batch.advantages.index_select(1, kept)));
  EXPECT_TRUE(at::equal(strided.mask, batch.mask.index_select(1, kept)));
  EXPECT_TRUE(at::equal(strided.old_log_prob, batch.old_log_prob.index_select(1, kept)));
  EXPECT_TRUE(
      at::equal(strided.behavior_log_prob, batch.behavior_log_prob.index_select(1, kept)));
  EXPECT_TRUE(at::equal(strided.old_distribution.mean,
                        batch.old_distribution.mean.index_select(1, kept)));
  EXPECT_TRUE(at::equal(StrideSlots(batch, 1).observations, batch.observations));
}

TEST(PolicyBatchTest, RejectsBadInput) {
  auto policy = MakePolicy();
  EXPECT_THAT(MakePolicyBatch(*policy, policy->parameters(), Example(), 4, {}),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  Rollouts nan = Example();
  nan.observations[0][0][0] = NAN;
  EXPECT_THAT(MakePolicyBatch(*policy, policy->parameters(), nan, 2, {}),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  Rollouts bad_behavior = Example();
  bad_behavior.behavior_log_probs = at::zeros({6, 3});
  EXPECT_THAT(MakePolicyBatch(*policy, policy->parameters(), bad_behavior, 2, {}),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl::learner
