#include "learner/real_sampler.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "learner/testing/fakes.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;

TEST(RunEpisodesTest, RecordsClippedTransitionsAndReturns) {
  testing::LineEnv a(/*horizon=*/4), b(4);
  std::vector<envs::Env*> envs = {&a, &b};
  // Always push +2 (applied as +1).
  MBRL_ASSERT_OK_AND_ASSIGN(EpisodeBatch batch,
                            RunEpisodes(envs, {7, 8}, [](const at::Tensor& obs) {
                              return at::full({obs.size(0), 1}, 2.0f);
                            }));
  EXPECT_EQ(batch.steps, 8);
  EXPECT_EQ(batch.transitions.size(), 8);
  EXPECT_TRUE(batch.transitions.actions.eq(1).all().item<bool>());
  EXPECT_TRUE(at::allclose(batch.transitions.next_observations - batch.transitions.observations,
                           at::ones({8, 1})));
  for (int e = 0; e < 2; ++e) {
    const double x0 = batch.initial_observations[e][0].item<double>();
    double expected = 0;
    for (int t = 1; t <= 4; ++t) expected -= (x0 + t) * (x0 + t);
    EXPECT_NEAR(batch.returns[e], expected, 1e-4);
  }
  // Same seed, same start.
  float x = 0;
  MBRL_ASSERT_OK(a.Reset(7, absl::MakeSpan(&x, 1)));
  EXPECT_EQ(x, batch.initial_observations[0][0].item<float>());
}

TEST(RunEpisodesTest, EpisodesEndAtTermination) {
  testing::LineEnv a(/*horizon=*/10, /*limit=*/2.5f);
  std::vector<envs::Env*> envs = {&a};
  MBRL_ASSERT_OK_AND_ASSIGN(EpisodeBatch batch, RunEpisodes(envs, {1}, [](const at::Tensor& obs) {
                              return at::ones({obs.size(0), 1});
                            }));
  // x0 in [-1, 1], +1 per step: |x| > 2.5 after 2 to 4 steps.
  EXPECT_GE(batch.steps, 2);
  EXPECT_LE(batch.steps, 4);
}

TEST(RunEpisodesTest, BadPolicyOutputIsAnError) {
  testing::LineEnv a(3);
  std::vector<envs::Env*> envs = {&a};
  EXPECT_THAT(RunEpisodes(envs, {1},
                          [](const at::Tensor&) {
                            return at::ones({2, 1});
                          }),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("actions")));
  EXPECT_THAT(RunEpisodes(envs, {1},
                          [](const at::Tensor&) {
                            return at::full({1, 1}, NAN);
                          }),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("not finite")));
  EXPECT_THAT(RunEpisodes(envs, {1, 2}, [](const at::Tensor& o) { return o; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UniformRandomActionsTest, StayWithinBounds) {
  const envs::BoxSpace space{2, {-2.0f, 0.0f}, {2.0f, 0.5f}};
  BatchedActionFn act = UniformRandomActions(space, at::detail::createCPUGenerator(3));
  const at::Tensor actions = act(at::zeros({5000, 3}));
  EXPECT_GE(actions.select(1, 0).min().item<float>(), -2.0f);
  EXPECT_LE(actions.select(1, 0).max().item<float>(), 2.0f);
  EXPECT_GE(actions.select(1, 1).min().item<float>(), 0.0f);
  EXPECT_LE(actions.select(1, 1).max().item<float>(), 0.5f);
  EXPECT_NEAR(actions.select(1, 0).mean().item<float>(), 0.0, 0.1);
}

TEST(SampleInitialObservationsTest, IsDeterministicInTheSeed) {
  testing::LineEnv env(5);
  MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor a, SampleInitialObservations(env, 10, 100));
  MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor b, SampleInitialObservations(env, 10, 100));
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_EQ(a.sizes(), (at::IntArrayRef{10, 1}));
  EXPECT_GT(a.std().item<float>(), 0.1);
}

}  // namespace
}  // namespace mbrl::learner
