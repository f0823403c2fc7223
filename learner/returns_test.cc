#include "learner/returns.h"

#include <ATen/ATen.h>

#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

at::Tensor Rows(std::vector<std::vector<float>> rows) {
  std::vector<at::Tensor> out;
  for (auto& row : rows) out.push_back(at::tensor(row, at::kFloat));
  return at::stack(out);
}

void ExpectNear(const at::Tensor& actual, const at::Tensor& expected) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(at::allclose(actual, expected, 1e-6, 1e-6)) << actual << "\nvs\n" << expected;
}

// Two trajectories, H = 3: the first takes 3 steps, the second 2 (its third slot is padding,
// with garbage that must be ignored).
const auto kRewards = [] { return Rows({{1, 2, 3}, {4, 5, 99}}); };
const auto kMask = [] { return Rows({{1, 1, 1}, {1, 1, 0}}); };

TEST(DiscountedReturnsTest, EqualsHandComputedValues) {
  // gamma = 0.5: row 0: R2 = 3, R1 = 2 + 1.5 = 3.5, R0 = 1 + 1.75 = 2.75;
  //              row 1: R1 = 5, R0 = 4 + 2.5 = 6.5, padding 0.
  ExpectNear(DiscountedReturns(kRewards(), kMask(), 0.5), Rows({{2.75, 3.5, 3}, {6.5, 5, 0}}));
}

TEST(DiscountedReturnsTest, UndiscountedIsTheSumOfTheRest) {
  ExpectNear(DiscountedReturns(kRewards(), kMask(), 1.0), Rows({{6, 5, 3}, {9, 5, 0}}));
}

TEST(GeneralizedAdvantagesTest, EqualsHandComputedValues) {
  // gamma = 0.5, lambda = 0.5, values row 0 = 1, row 1 = 2 (padding value 9 is ignored).
  // Row 0: d2 = 3 - 1 = 2, d1 = 2 + 0.5 - 1 = 1.5, d0 = 1 + 0.5 - 1 = 0.5;
  //        A2 = 2, A1 = 1.5 + 0.25 * 2 = 2, A0 = 0.5 + 0.25 * 2 = 1.
  // Row 1: d1 = 5 - 2 = 3, d0 = 4 + 1 - 2 = 3; A1 = 3, A0 = 3 + 0.75 = 3.75.
  const at::Tensor values = Rows({{1, 1, 1}, {2, 2, 9}});
  ExpectNear(GeneralizedAdvantages(kRewards(), values, kMask(), 0.5, 0.5),
             Rows({{1, 2, 2}, {3.75, 3, 0}}));
}

TEST(GeneralizedAdvantagesTest, LambdaOneWithZeroValuesIsTheDiscountedReturn) {
  const at::Tensor zeros = at::zeros({2, 3});
  ExpectNear(GeneralizedAdvantages(kRewards(), zeros, kMask(), 0.9, 1.0),
             DiscountedReturns(kRewards(), kMask(), 0.9));
}

TEST(GeneralizedAdvantagesTest, LambdaZeroIsTheOneStepTdError) {
  const at::Tensor values = Rows({{1, 1, 1}, {2, 2, 9}});
  // d_t = r_t + gamma V_{t+1} - V_t (V = 0 after the last step).
  ExpectNear(GeneralizedAdvantages(kRewards(), values, kMask(), 0.5, 0.0),
             Rows({{0.5, 1.5, 2}, {3, 3, 0}}));
}

}  // namespace
}  // namespace mbrl::learner
