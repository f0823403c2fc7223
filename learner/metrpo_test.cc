#include "learner/metrpo.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "learner/imagination.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/testing/fakes.h"

namespace mbrl::learner {
namespace {

TEST(ModelVoteTest, FollowsTheThirtyPercentRule) {
  ModelVote vote(/*threshold=*/0.3, /*patience=*/10);
  EXPECT_FALSE(vote.Exhausted(0));
  EXPECT_TRUE(vote.Observe({1, 1, 1, 1, 1}, 0));  // the first is always a new best
  // 1 of 5 members worse (20% <= 30%): a new best, and the bests move (down, for member 0).
  EXPECT_TRUE(vote.Observe({0.5, 2, 2, 2, 2}, 5));
  // 2 of 5 worse than the new bests (40% > 30%): rejected, even though the others improved.
  EXPECT_FALSE(vote.Observe({0.6, 1.9, 1.9, 3, 3}, 10));
  EXPECT_FALSE(vote.Exhausted(14));
  EXPECT_TRUE(vote.Exhausted(15));
  // Equal is not worse.
  EXPECT_TRUE(vote.Observe({0.5, 2, 2, 2, 2}, 20));
  EXPECT_FALSE(vote.Exhausted(29));
}

class MetrpoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GaussianMlpOptions options;
    options.observation_dim = 2;
    options.action_dim = 1;
    options.hidden = {8};
    policy_ = GaussianMlpPolicy::Create(options, 2).value();
  }
  std::unique_ptr<GaussianMlpPolicy> policy_;
  testing::LineFunctions functions_;
  envs::BoxSpace space_{1, {-1.0f}, {1.0f}};
  at::Generator generator_ = at::detail::createCPUGenerator(4);
};

TEST_F(MetrpoTest, MemberReturnsScoreEachMemberSeparately) {
  // Member 1 pushes x far away every step: far lower returns under -(x')^2.
  testing::TaggedShiftModel model({0.0f, 3.0f});
  MBRL_ASSERT_OK_AND_ASSIGN(
      std::vector<double> returns,
      MemberReturns(model, {0, 1}, *policy_, policy_->parameters(), functions_, space_,
                    at::zeros({4, 2}), /*horizon=*/5, generator_));
  ASSERT_EQ(returns.size(), 2u);
  EXPECT_LT(returns[1], returns[0] - 10);
  // Deterministic: the same call gives the same numbers.
  MBRL_ASSERT_OK_AND_ASSIGN(std::vector<double> again,
                            MemberReturns(model, {0, 1}, *policy_, policy_->parameters(),
                                          functions_, space_, at::zeros({4, 2}), 5, generator_));
  EXPECT_EQ(returns, again);
}

TEST_F(MetrpoTest, TrpoPolicyStepImprovesImaginedReturns) {
  // Reward -(x')^2 with x' = x + a: the policy should learn to push x towards 0.
  testing::TaggedShiftModel model({0.0f, 0.0f});
  at::Generator starts_generator = at::detail::createCPUGenerator(1);
  ImaginationOptions options{.horizon = 10,
                             .propagation = v1::MetrpoConfig::RANDOM_MEMBER_PER_STEP};
  AdvantageOptions advantages{.discount = 1.0};
  const at::Tensor validation = at::rand({1, 200, 2}, starts_generator) * 4 - 2;
  auto mean_return = [&] {
    ImaginationOptions deterministic = options;
    deterministic.deterministic_policy = true;
    return Imagine(model, {0, 1}, *policy_, policy_->parameters(), functions_, space_, validation,
                   deterministic, generator_)
        ->Returns()
        .mean()
        .item<double>();
  };
  const double before = mean_return();
  for (int step = 0; step < 15; ++step) {
    const at::Tensor starts = at::rand({1, 200, 2}, starts_generator) * 4 - 2;
    MBRL_ASSERT_OK_AND_ASSIGN(Rollouts rollouts,
                              Imagine(model, {0, 1}, *policy_, policy_->parameters(), functions_,
                                      space_, starts, options, generator_));
    MBRL_ASSERT_OK_AND_ASSIGN(TrpoReport report,
                              TrpoPolicyStep(*policy_, rollouts, advantages, TrpoOptions{}));
    EXPECT_LE(report.kl, 0.01 * (1 + 1e-4));
  }
  EXPECT_GT(mean_return(), before + 1.0) << "before " << before;
}

}  // namespace
}  // namespace mbrl::learner
