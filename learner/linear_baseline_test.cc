#include "learner/linear_baseline.h"

#include <ATen/ATen.h>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

TEST(LinearFeatureBaselineTest, FeaturesAreRllabs) {
  // One trajectory, two steps, obs_dim 2; 12 is clipped to 10.
  const at::Tensor obs = at::tensor({0.5f, 12.0f, -2.0f, 3.0f}).view({1, 2, 2});
  const at::Tensor features = LinearFeatureBaseline::Features(obs);
  ASSERT_EQ(features.sizes(), (at::IntArrayRef{1, 2, 8}));
  const at::Tensor expected = at::tensor({0.5, 10.0, 0.25, 100.0, 0.0, 0.0, 0.0, 1.0,  //
                                          -2.0, 3.0, 4.0, 9.0, 0.01, 0.0001, 0.000001, 1.0},
                                         at::kDouble)
                                  .view({1, 2, 8});
  EXPECT_TRUE(at::allclose(features, expected, 1e-12, 1e-12)) << features;
}

TEST(LinearFeatureBaselineTest, FitEqualsTheClosedFormRidgeSolution) {
  at::manual_seed(3);
  const int64_t n = 4, h = 6, d = 3;
  const at::Tensor obs = at::randn({n, h, d});
  const at::Tensor returns = at::randn({n, h});
  at::Tensor mask = at::ones({n, h});
  mask[1].narrow(0, 4, 2).fill_(0);  // trajectory 1 took 4 steps
  LinearFeatureBaseline baseline;
  ASSERT_THAT(baseline.Fit(obs, returns, mask), IsOk());

  // Closed form over the valid rows only: w = (F'F + 1e-5 I)^-1 F'R, features built by hand.
  std::vector<at::Tensor> rows;
  std::vector<double> targets;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t t = 0; t < h; ++t) {
      if (mask[i][t].item<float>() == 0) continue;
      const at::Tensor o = obs[i][t].to(at::kDouble).clamp(-10, 10);
      const double s = t / 100.0;
      rows.push_back(at::cat({o, o * o, at::tensor({s, s * s, s * s * s, 1.0}, at::kDouble)}));
      targets.push_back(returns[i][t].item<double>());
    }
  }
  const at::Tensor f = at::stack(rows);
  const at::Tensor r = at::tensor(targets, at::kDouble);
  const at::Tensor w = at::linalg_solve(
      at::matmul(f.t(), f) + 1e-5 * at::eye(f.size(1), at::kDouble), at::matmul(f.t(), r));
  EXPECT_TRUE(at::allclose(baseline.coefficients(), w, 1e-8, 1e-8))
      << baseline.coefficients() << "\nvs\n"
      << w;
}

TEST(LinearFeatureBaselineTest, RecoversAnExactLinearTarget) {
  const int64_t n = 3, h = 50;
  const at::Tensor obs = at::linspace(-1, 1, n * h).view({n, h, 1});
  const at::Tensor t = (at::arange(h, at::kFloat) / 100).view({1, h});
  const at::Tensor returns = 2 * obs.squeeze(2) - 3 * t + 0.5;
  LinearFeatureBaseline baseline;
  ASSERT_THAT(baseline.Fit(obs, returns, at::ones({n, h})), IsOk());
  EXPECT_TRUE(at::allclose(baseline.Predict(obs), returns, 1e-3, 1e-3));
}

TEST(LinearFeatureBaselineTest, PredictsZeroBeforeFitAndRejectsBadInput) {
  LinearFeatureBaseline baseline;
  EXPECT_TRUE(baseline.Predict(at::ones({2, 3, 1})).eq(0).all().item<bool>());
  EXPECT_THAT(baseline.Fit(at::ones({2, 3, 1}), at::ones({2, 4}), at::ones({2, 4})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(baseline.Fit(at::ones({2, 3, 1}), at::ones({2, 3}), at::zeros({2, 3})),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("no valid step")));
}

}  // namespace
}  // namespace mbrl::learner
