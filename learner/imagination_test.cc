#include "learner/imagination.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "learner/parameters.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/testing/fakes.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;
using Config = v1::MetrpoConfig;

class ImagineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GaussianMlpOptions options;
    options.observation_dim = 2;
    options.action_dim = 1;
    options.hidden = {4};
    policy_ = GaussianMlpPolicy::Create(options, 1).value();
  }
  absl::StatusOr<Rollouts> Run(const DynamicsModel& model, std::vector<int64_t> members,
                               const at::Tensor& starts, ImaginationOptions options,
                               const envs::BatchedEnvFunctions& functions) {
    return Imagine(model, members, *policy_, policy_->parameters(), functions, space_, starts,
                   options, generator_);
  }

  std::unique_ptr<GaussianMlpPolicy> policy_;
  envs::BoxSpace space_{1, {-1.0f}, {1.0f}};
  testing::LineFunctions functions_;
  at::Generator generator_ = at::detail::createCPUGenerator(2);
};

TEST_F(ImagineTest, FixedMembersFollowTheModelAndRewardExactly) {
  testing::TaggedShiftModel model({0.0f, 0.25f});
  const at::Tensor starts = at::rand({1, 6, 2}) - 0.5;
  MBRL_ASSERT_OK_AND_ASSIGN(
      Rollouts r,
      Run(model, {0, 1}, starts, {.horizon = 4, .propagation = Config::FIXED_MEMBER}, functions_));
  ASSERT_EQ(r.observations.sizes(), (at::IntArrayRef{6, 5, 2}));
  EXPECT_TRUE(r.lengths.eq(4).all().item<bool>());
  EXPECT_FALSE(r.terminated.any().item<bool>());
  for (int64_t n = 0; n < 6; ++n) {
    const int64_t member = n / 3;  // two blocks of three rows
    for (int64_t t = 0; t < 4; ++t) {
      const float x = r.observations[n][t][0].item<float>();
      const float applied = std::clamp(r.actions[n][t][0].item<float>(), -1.0f, 1.0f);
      const float next = x + applied + (member == 1 ? 0.25f : 0.0f);
      EXPECT_NEAR(r.observations[n][t + 1][0].item<float>(), next, 1e-5);
      EXPECT_EQ(r.observations[n][t + 1][1].item<float>(), member);
      EXPECT_NEAR(r.rewards[n][t].item<float>(), -next * next, 1e-5);
    }
  }
}

TEST_F(ImagineTest, ActionsAreRecordedUnclippedButAppliedClipped) {
  testing::TaggedShiftModel model({0.0f});
  std::vector<at::Tensor> params = CloneDetached(policy_->parameters());
  params[params.size() - 2].fill_(5.0f);  // output bias: mean action ~5
  ImaginationOptions options{.horizon = 2, .deterministic_policy = true};
  MBRL_ASSERT_OK_AND_ASSIGN(Rollouts r, Imagine(model, {0}, *policy_, params, functions_, space_,
                                                at::zeros({1, 3, 2}), options, generator_));
  EXPECT_GT(r.actions.min().item<float>(), 1.5f);
  EXPECT_TRUE(at::allclose(r.observations.select(2, 0).select(1, 1), at::ones({3})));
}

TEST_F(ImagineTest, TerminatedTrajectoriesArePaddedWithZeros) {
  testing::TaggedShiftModel model({5.0f});  // every step lands beyond the limit
  testing::LineFunctions ending(/*limit=*/2.0f);
  MBRL_ASSERT_OK_AND_ASSIGN(Rollouts r,
                            Run(model, {0}, at::zeros({1, 4, 2}), {.horizon = 5}, ending));
  EXPECT_TRUE(r.lengths.eq(1).all().item<bool>());
  EXPECT_TRUE(r.terminated.all().item<bool>());
  EXPECT_TRUE(r.rewards.narrow(1, 1, 4).eq(0).all().item<bool>());
  EXPECT_TRUE(r.actions.narrow(1, 1, 4).eq(0).all().item<bool>());
  EXPECT_TRUE(r.observations.narrow(1, 2, 4).eq(0).all().item<bool>());
  EXPECT_TRUE(r.observations.select(1, 1).select(1, 0).ge(3).all().item<bool>());
  MBRL_EXPECT_OK(ValidateRollouts(r, 2, 1));
}

TEST_F(ImagineTest, RandomMemberPerStepDealsEqualSharesThatChange) {
  testing::TaggedShiftModel model({0.0f, 0.0f, 0.0f});
  MBRL_ASSERT_OK_AND_ASSIGN(
      Rollouts r, Run(model, {0, 1, 2}, at::zeros({1, 30, 2}),
                      {.horizon = 6, .propagation = Config::RANDOM_MEMBER_PER_STEP}, functions_));
  const at::Tensor tags = r.observations.select(2, 1).narrow(1, 1, 6);  // [30, 6]
  for (int64_t t = 0; t < 6; ++t) {
    for (int member = 0; member < 3; ++member) {
      EXPECT_EQ(tags.select(1, t).eq(member).sum().item<int64_t>(), 10) << t;
    }
  }
  // Rows change member between steps.
  EXPECT_GT(tags.ne(tags.select(1, 0).unsqueeze(1)).sum().item<int64_t>(), 30);
}

TEST_F(ImagineTest, RowsThatDoNotSplitEvenlyFillTheLastBlockShort) {
  testing::TaggedShiftModel model({0.0f, 0.0f, 0.0f});
  MBRL_ASSERT_OK_AND_ASSIGN(Rollouts r,
                            Run(model, {0, 1, 2}, at::zeros({1, 7, 2}),
                                {.horizon = 2, .propagation = Config::FIXED_MEMBER}, functions_));
  // Blocks of ceil(7 / 3) = 3 rows: members 0, 0, 0, 1, 1, 1, 2.
  EXPECT_TRUE(at::equal(r.observations.select(1, 1).select(1, 1),
                        at::tensor({0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 2.0f})));
  MBRL_ASSERT_OK_AND_ASSIGN(
      Rollouts random,
      Run(model, {0, 1, 2}, at::zeros({1, 7, 2}),
          {.horizon = 3, .propagation = Config::RANDOM_MEMBER_PER_STEP}, functions_));
  EXPECT_EQ(random.trajectories(), 7);
  MBRL_EXPECT_OK(ValidateRollouts(random, 2, 1));
}

TEST_F(ImagineTest, MeanPropagationAveragesTheMembers) {
  testing::TaggedShiftModel model({0.0f, 1.0f});
  ImaginationOptions options{
      .horizon = 1, .propagation = Config::MEAN, .deterministic_policy = true};
  MBRL_ASSERT_OK_AND_ASSIGN(Rollouts r,
                            Run(model, {0, 1}, at::zeros({1, 3, 2}), options, functions_));
  const at::Tensor applied = r.actions.select(1, 0).select(1, 0).clamp(-1, 1);
  EXPECT_TRUE(at::allclose(r.observations.select(1, 1).select(1, 0), applied + 0.5));
  EXPECT_TRUE(at::allclose(r.observations.select(1, 1).select(1, 1), at::full({3}, 0.5)));
}

TEST_F(ImagineTest, PerTaskPoliciesActOnTheirOwnTasks) {
  testing::TaggedShiftModel model({0.0f});
  std::vector<at::Tensor> batched;
  for (const at::Tensor& p : policy_->parameters())
    batched.push_back(at::stack({p, p}).detach().clone());
  batched[batched.size() - 2][1].fill_(0.7f);  // task 1's output bias
  batched[batched.size() - 2][0].fill_(-0.7f);
  std::vector<at::Tensor> task1_params, task0_params;
  for (const at::Tensor& p : batched) {
    task0_params.push_back(p[0]);
    task1_params.push_back(p[1]);
  }
  ImaginationOptions options{.horizon = 1, .deterministic_policy = true};
  const at::Tensor starts = at::rand({2, 3, 2});
  MBRL_ASSERT_OK_AND_ASSIGN(Rollouts r, Imagine(model, {0}, *policy_, batched, functions_, space_,
                                                starts, options, generator_));
  const at::Tensor first = r.actions.select(1, 0);
  EXPECT_TRUE(at::allclose(first.narrow(0, 0, 3), Act(*policy_, task0_params, starts[0], nullptr)));
  EXPECT_TRUE(at::allclose(first.narrow(0, 3, 3), Act(*policy_, task1_params, starts[1], nullptr)));
}

TEST_F(ImagineTest, RejectsInconsistentArguments) {
  testing::TaggedShiftModel model({0.0f, 0.0f});
  EXPECT_THAT(Run(model, {0}, at::zeros({3, 2}), {.horizon = 2}, functions_),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("start_states")));
  EXPECT_THAT(Run(model, {}, at::zeros({1, 2, 2}), {.horizon = 2}, functions_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Run(model, {0}, at::zeros({1, 2, 2}), {.horizon = 0}, functions_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<at::Tensor> three_tasks;
  for (const at::Tensor& p : policy_->parameters()) three_tasks.push_back(at::stack({p, p, p}));
  EXPECT_THAT(Imagine(model, {0}, *policy_, three_tasks, functions_, space_, at::zeros({2, 2, 2}),
                      {.horizon = 2}, generator_),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("3 policies")));
}

}  // namespace
}  // namespace mbrl::learner
