#include "learner/mbmpo.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/testing/fakes.h"

namespace mbrl::learner {
namespace {

std::unique_ptr<GaussianMlpPolicy> MakePolicy(int64_t obs = 2, int64_t act = 1) {
  GaussianMlpOptions options;
  options.observation_dim = obs;
  options.action_dim = act;
  options.hidden = {4};
  return GaussianMlpPolicy::Create(options, 4).value();
}

std::vector<at::Tensor> AsDouble(absl::Span<const at::Tensor> params) {
  std::vector<at::Tensor> out;
  for (const at::Tensor& p : params) out.push_back(p.detach().to(at::kDouble).requires_grad_(true));
  return out;
}

// T tasks of random steps; the old distribution is `params` (one policy or one per task).
PolicyBatch RandomBatch(const Policy& policy, absl::Span<const at::Tensor> params, int64_t tasks,
                        int64_t m, uint64_t seed) {
  at::manual_seed(seed);
  PolicyBatch batch;
  batch.observations = at::randn({tasks, m, policy.observation_dim()}, at::kDouble);
  batch.actions = at::randn({tasks, m, policy.action_dim()}, at::kDouble);
  batch.advantages = at::randn({tasks, m}, at::kDouble);
  batch.mask = at::ones({tasks, m}, at::kDouble);
  batch.mask[0].narrow(0, m - 3, 3).fill_(0);  // some padding in task 0
  at::NoGradGuard no_grad;
  const DiagGaussian old = policy.Distribution(params, batch.observations);
  batch.old_distribution = {old.mean.detach(), old.log_std.detach()};
  batch.old_log_prob = batch.old_distribution.LogProb(batch.actions);
  return batch;
}

TEST(AdaptPolicyTest, EachTaskTakesItsOwnPolicyGradientStep) {
  auto policy = MakePolicy();
  const std::vector<at::Tensor> theta = AsDouble(policy->parameters());
  const PolicyBatch pre = RandomBatch(*policy, theta, /*tasks=*/3, 20, 1);
  MbmpoOptions options;
  options.inner_learning_rate = 0.1;
  const std::vector<at::Tensor> adapted = AdaptPolicy(*policy, theta, pre, options, false);
  for (int64_t task = 0; task < 3; ++task) {
    const at::Tensor log_prob =
        policy->Distribution(theta, pre.observations[task]).LogProb(pre.actions[task]);
    const at::Tensor objective =
        (log_prob * pre.advantages[task] * pre.mask[task]).sum() / pre.mask[task].sum();
    const std::vector<at::Tensor> gradient = torch::autograd::grad({objective}, theta);
    for (size_t i = 0; i < theta.size(); ++i) {
      EXPECT_TRUE(
          at::allclose(adapted[i][task], theta[i].detach() + 0.1 * gradient[i], 1e-10, 1e-10))
          << "task " << task << " parameter " << i;
    }
  }
  EXPECT_FALSE(adapted[0].requires_grad());
}

// The post-adaptation objective F(theta) = mean_k surrogate_k(theta + alpha grad J_k(theta)).
class MetaGradientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = MakePolicy();
    theta_ = AsDouble(policy_->parameters());
    {
      at::NoGradGuard no_grad;
      theta_.back().fill_(-0.5);
    }
    options_.inner_learning_rate = 0.5;  // large, so second-order terms matter
    pre_ = RandomBatch(*policy_, theta_, 2, 16, 2);
    const std::vector<at::Tensor> adapted_old =
        AdaptPolicy(*policy_, theta_, pre_, options_, false);
    post_ = RandomBatch(*policy_, adapted_old, 2, 16, 3);
  }
  double Objective(absl::Span<const at::Tensor> theta, bool first_order = false) {
    MbmpoOptions options = options_;
    options.first_order = first_order;
    return SurrogateObjective(*policy_, AdaptPolicy(*policy_, theta, pre_, options, true), post_)
        .item<double>();
  }
  at::Tensor MetaGradient(bool first_order) {
    MbmpoOptions options = options_;
    options.first_order = first_order;
    const at::Tensor objective =
        SurrogateObjective(*policy_, AdaptPolicy(*policy_, theta_, pre_, options, true), post_);
    return Flatten(torch::autograd::grad({objective}, theta_));
  }
  at::Tensor FiniteDifferenceGradient() {
    const at::Tensor flat = Flatten(theta_).detach();
    at::Tensor out = at::zeros_like(flat);
    const double eps = 1e-6;
    for (int64_t i = 0; i < flat.numel(); ++i) {
      at::Tensor plus = flat.clone(), minus = flat.clone();
      plus[i] += eps;
      minus[i] -= eps;
      auto as_params = [&](const at::Tensor& f) {
        std::vector<at::Tensor> p;
        for (const at::Tensor& t : UnflattenLike(f, theta_))
          p.push_back(t.clone().requires_grad_(true));
        return p;
      };
      out[i] = (Objective(as_params(plus)) - Objective(as_params(minus))) / (2 * eps);
    }
    return out;
  }

  std::unique_ptr<GaussianMlpPolicy> policy_;
  std::vector<at::Tensor> theta_;
  MbmpoOptions options_;
  PolicyBatch pre_, post_;
};

TEST_F(MetaGradientTest, EqualsTheFiniteDifferenceGradientOfThePostAdaptationObjective) {
  const at::Tensor exact = MetaGradient(/*first_order=*/false);
  const at::Tensor numeric = FiniteDifferenceGradient();
  EXPECT_TRUE(at::allclose(exact, numeric, 1e-6, 1e-7)) << (exact - numeric).abs().max();
  // The first-order approximation drops the inner step's Hessian and misses the numbers.
  const at::Tensor first_order = MetaGradient(/*first_order=*/true);
  EXPECT_GT((first_order - numeric).abs().max().item<double>(), 1e-3);
}

TEST_F(MetaGradientTest, FirstOrderIsTheMeanPostUpdateGradient) {
  const std::vector<at::Tensor> adapted = AdaptPolicy(*policy_, theta_, pre_, options_, false);
  std::vector<at::Tensor> leaves;
  for (const at::Tensor& a : adapted) leaves.push_back(a.detach().requires_grad_(true));
  const std::vector<at::Tensor> per_task =
      torch::autograd::grad({SurrogateObjective(*policy_, leaves, post_)}, leaves);
  std::vector<at::Tensor> summed;
  for (const at::Tensor& g : per_task) summed.push_back(g.sum(0));
  EXPECT_TRUE(at::allclose(MetaGradient(/*first_order=*/true), Flatten(summed), 1e-10, 1e-10));
}

TEST(TaskMembersTest, BindsTasksToMembersInContiguousBlocks) {
  EXPECT_EQ(TaskMembers({0, 1, 2}, 6), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(TaskMembers({0, 1, 2}, 4), (std::vector<int64_t>{0, 0, 1, 2}));
  EXPECT_EQ(TaskMembers({3, 5}, 3), (std::vector<int64_t>{3, 3, 5}));
}

class MbmpoRolloutTest : public ::testing::Test {
 protected:
  testing::TaggedShiftModel model_{{0.0f, 0.3f}};
  testing::LineFunctions functions_;
  envs::BoxSpace space_{1, {-1.0f}, {1.0f}};
  std::unique_ptr<GaussianMlpPolicy> policy_ = MakePolicy(2, 1);
  at::Generator generator_ = at::detail::createCPUGenerator(3);
  ImaginationOptions imagination_{.horizon = 6};
};

TEST_F(MbmpoRolloutTest, TasksAreBoundToMembersAndPostUpdateUsesAdaptedPolicies) {
  const at::Tensor starts = at::zeros({4, 5, 2});
  MBRL_ASSERT_OK_AND_ASSIGN(MbmpoSamples samples,
                            ImagineMbmpoTasks(model_, {0, 1}, *policy_, functions_, space_, starts,
                                              starts, imagination_, MbmpoOptions{}, generator_));
  ASSERT_EQ(samples.pre.trajectories(), 20);
  // Tasks 0-1 on member 0, tasks 2-3 on member 1 (the model writes its member into obs[1]).
  const at::Tensor tags = samples.pre.observations.select(2, 1).narrow(1, 1, 6);
  EXPECT_TRUE(tags.narrow(0, 0, 10).eq(0).all().item<bool>());
  EXPECT_TRUE(tags.narrow(0, 10, 10).eq(1).all().item<bool>());
  const at::Tensor post_tags = samples.post.observations.select(2, 1).narrow(1, 1, 6);
  EXPECT_TRUE(at::equal(post_tags, tags));
  ASSERT_EQ(samples.adapted[0].size(0), 4);
  EXPECT_FALSE(at::allclose(samples.adapted[0][0], policy_->parameters()[0].detach()));
}

TEST_F(MbmpoRolloutTest, OuterStepImprovesWithinTheKlBound) {
  at::Generator starts_generator = at::detail::createCPUGenerator(1);
  const at::Tensor pre_starts = at::rand({4, 25, 2}, starts_generator) * 2 - 1;
  const at::Tensor post_starts = at::rand({4, 25, 2}, starts_generator) * 2 - 1;
  MbmpoOptions options;
  options.inner_learning_rate = 0.05;
  MBRL_ASSERT_OK_AND_ASSIGN(
      MbmpoSamples samples,
      ImagineMbmpoTasks(model_, {0, 1}, *policy_, functions_, space_, pre_starts, post_starts,
                        imagination_, options, generator_));
  const std::vector<at::Tensor> before = CloneDetached(policy_->parameters());
  MBRL_ASSERT_OK_AND_ASSIGN(MbmpoOuterReport report,
                            MbmpoOuterStep(*policy_, samples.pre, samples.post, 4, options));
  ASSERT_TRUE(report.trpo.accepted);
  EXPECT_GT(report.trpo.surrogate_after, report.trpo.surrogate_before);
  EXPECT_LE(report.trpo.kl, options.outer.max_kl * (1 + 1e-4));
  EXPECT_FALSE(at::equal(Flatten(before), Flatten(policy_->parameters()).detach()));
  EXPECT_LT(report.pre_update_return, 0);
}

TEST_F(MbmpoRolloutTest, OuterStepWithAFisherSubsampleStillImprovesWithinTheKlBound) {
  at::Generator starts_generator = at::detail::createCPUGenerator(1);
  const at::Tensor pre_starts = at::rand({4, 25, 2}, starts_generator) * 2 - 1;
  const at::Tensor post_starts = at::rand({4, 25, 2}, starts_generator) * 2 - 1;
  MbmpoOptions options;
  options.inner_learning_rate = 0.05;
  options.outer.fisher_stride = 5;
  MBRL_ASSERT_OK_AND_ASSIGN(
      MbmpoSamples samples,
      ImagineMbmpoTasks(model_, {0, 1}, *policy_, functions_, space_, pre_starts, post_starts,
                        imagination_, options, generator_));
  MBRL_ASSERT_OK_AND_ASSIGN(MbmpoOuterReport report,
                            MbmpoOuterStep(*policy_, samples.pre, samples.post, 4, options));
  ASSERT_TRUE(report.trpo.accepted);
  EXPECT_GT(report.trpo.surrogate_after, report.trpo.surrogate_before);
  // The bound is checked on all samples, whatever the curvature was estimated on.
  EXPECT_LE(report.trpo.kl, options.outer.max_kl * (1 + 1e-4));
}

TEST_F(MbmpoRolloutTest, OuterStepRejectsMalformedRollouts) {
  const at::Tensor starts = at::zeros({2, 3, 2});
  MBRL_ASSERT_OK_AND_ASSIGN(MbmpoSamples samples,
                            ImagineMbmpoTasks(model_, {0, 1}, *policy_, functions_, space_, starts,
                                              starts, imagination_, MbmpoOptions{}, generator_));
  EXPECT_THAT(MbmpoOuterStep(*policy_, samples.pre, samples.post, 4, MbmpoOptions{}),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  samples.post.rewards[0][0] = NAN;
  EXPECT_THAT(MbmpoOuterStep(*policy_, samples.pre, samples.post, 2, MbmpoOptions{}),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl::learner
