#include "learner/conjugate_gradient.h"

#include <ATen/ATen.h>

#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

TEST(ConjugateGradientTest, SolvesTwoByTwoExactlyInTwoIterations) {
  // [[4, 1], [1, 3]] x = [1, 2]  =>  x = [1/11, 7/11].
  const at::Tensor a = at::tensor({4.0, 1.0, 1.0, 3.0}, at::kDouble).view({2, 2});
  const ConjugateGradientResult result = ConjugateGradient(
      [&](const at::Tensor& v) { return at::mv(a, v); }, at::tensor({1.0, 2.0}, at::kDouble), 10);
  EXPECT_LE(result.iterations, 2);
  EXPECT_NEAR(result.solution[0].item<double>(), 1.0 / 11, 1e-12);
  EXPECT_NEAR(result.solution[1].item<double>(), 7.0 / 11, 1e-12);
}

TEST(ConjugateGradientTest, SolvesARandomSpdSystem) {
  at::manual_seed(7);
  const int64_t n = 30;
  const at::Tensor m = at::randn({n, n}, at::kDouble);
  const at::Tensor a = at::matmul(m.t(), m) + at::eye(n, at::kDouble);
  const at::Tensor b = at::randn({n}, at::kDouble);
  const ConjugateGradientResult result =
      ConjugateGradient([&](const at::Tensor& v) { return at::mv(a, v); }, b, 200, 1e-20);
  const at::Tensor expected = at::linalg_solve(a, b);
  EXPECT_TRUE(at::allclose(result.solution, expected, 1e-8, 1e-8));
  EXPECT_LT((at::mv(a, result.solution) - b).norm().item<double>(), 1e-8);
}

TEST(ConjugateGradientTest, StopsAtTheIterationLimit) {
  at::manual_seed(8);
  const at::Tensor m = at::randn({20, 20}, at::kDouble);
  const at::Tensor a = at::matmul(m.t(), m) + at::eye(20, at::kDouble);
  const ConjugateGradientResult result = ConjugateGradient(
      [&](const at::Tensor& v) { return at::mv(a, v); }, at::randn({20}, at::kDouble), 3);
  EXPECT_EQ(result.iterations, 3);
}

}  // namespace
}  // namespace mbrl::learner
