// The classic-control reward and termination functions on hand-made transitions, including the
// terminating ones that random rollouts (the conformance suite) rarely reach.
#include "actors/envs/classic_control_functions.h"

#include <ATen/ATen.h>

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

at::Tensor Rows(std::vector<std::vector<float>> rows) {
  const int64_t columns = rows.front().size();
  at::Tensor tensor = at::empty({static_cast<int64_t>(rows.size()), columns}, at::kFloat);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int64_t c = 0; c < columns; ++c) tensor[r][c] = rows[r][c];
  }
  return tensor;
}

std::vector<bool> Bools(const at::Tensor& tensor) {
  std::vector<bool> values;
  for (int64_t i = 0; i < tensor.size(0); ++i) values.push_back(tensor[i].item<bool>());
  return values;
}

std::vector<float> Floats(const at::Tensor& tensor) {
  std::vector<float> values;
  for (int64_t i = 0; i < tensor.size(0); ++i) values.push_back(tensor[i].item<float>());
  return values;
}

TEST(ClassicControlFunctionsTest, Pendulum) {
  const auto functions = PendulumFunctions();
  // theta = pi (hanging), theta_dot = 1, u = 2: -(pi^2 + 0.1 + 0.004).
  const at::Tensor reward = functions->Reward(Rows({{-1, 0, 1}}), Rows({{2}}), Rows({{1, 0, 0}}));
  EXPECT_NEAR(reward[0].item<float>(), -(M_PI * M_PI + 0.1 + 0.004), 1e-5);
  EXPECT_EQ(Bools(functions->Terminated(Rows({{1, 0, 0}, {-1, 0, 8}}))),
            (std::vector<bool>{false, false}));
}

TEST(ClassicControlFunctionsTest, CartPoleTerminatesBeyondTheThresholds) {
  const auto functions = CartPoleFunctions();
  const at::Tensor next = Rows({{0, 0, 0, 0},
                                {2.41f, 0, 0, 0},
                                {-2.41f, 0, 0, 0},
                                {0, 0, 0.21f, 0},
                                {0, 0, -0.21f, 0},
                                {2.39f, 5, 0.2f, -5}});
  EXPECT_EQ(Bools(functions->Terminated(next)),
            (std::vector<bool>{false, true, true, true, true, false}));
  EXPECT_EQ(Floats(functions->Reward(next, at::zeros({6, 1}), next)), std::vector<float>(6, 1.0f));
}

TEST(ClassicControlFunctionsTest, CartPoleSwingUpRewardsTheUprightCentredPole) {
  const auto functions = CartPoleSwingUpFunctions();
  // Upright at x = 0: exp(0) - 0.01 a^2; hanging at x = 0: exp(-(2 L)^2 / L^2) = exp(-4).
  const at::Tensor next = Rows({{0, 0, 1, 0, 0}, {0, 0, -1, 0, 0}, {0.6f, 0, 0, 1, 0}});
  const std::vector<float> reward = Floats(functions->Reward(next, Rows({{0.5f}, {0}, {0}}), next));
  EXPECT_NEAR(reward[0], 1.0 - 0.0025, 1e-6);
  EXPECT_NEAR(reward[1], std::exp(-4.0), 1e-6);
  // Horizontal (theta = pi/2) at x = 0.6: ee = (1.2, 0), |ee - (0, .6)|^2 = 1.8 -> exp(-5).
  EXPECT_NEAR(reward[2], std::exp(-5.0), 1e-6);
  EXPECT_EQ(Bools(functions->Terminated(next)), (std::vector<bool>{false, false, false}));
}

TEST(ClassicControlFunctionsTest, MountainCarGoalBonus) {
  const auto functions = MountainCarContinuousFunctions();
  const at::Tensor next = Rows({{0.46f, 0.01f}, {0.46f, -0.01f}, {0.44f, 0.01f}, {0.45f, 0}});
  EXPECT_EQ(Bools(functions->Terminated(next)), (std::vector<bool>{true, false, false, true}));
  const std::vector<float> reward =
      Floats(functions->Reward(next, Rows({{1}, {0.5f}, {0}, {-1}}), next));
  EXPECT_NEAR(reward[0], 100 - 0.1, 1e-5);
  EXPECT_NEAR(reward[1], -0.025, 1e-7);
  EXPECT_NEAR(reward[2], 0.0, 1e-7);
  EXPECT_NEAR(reward[3], 100 - 0.1, 1e-5);
}

TEST(ClassicControlFunctionsTest, AcrobotTerminatesWithTheTipAboveTheBar) {
  const auto functions = AcrobotFunctions();
  auto obs = [](double th1, double th2) {
    return std::vector<float>{static_cast<float>(std::cos(th1)),
                              static_cast<float>(std::sin(th1)),
                              static_cast<float>(std::cos(th2)),
                              static_cast<float>(std::sin(th2)),
                              0,
                              0};
  };
  // Tip height -cos(th1) - cos(th1 + th2): 2 (upright), -2 (hanging), cos(0.3) = 0.955 (first
  // link horizontal, second 0.3 rad from vertical: below the bar), 0.5 + cos(0.1) = 1.495.
  const at::Tensor next = Rows(
      {obs(M_PI, 0), obs(0, 0), obs(M_PI / 2, M_PI / 2 + 0.3), obs(2 * M_PI / 3, M_PI / 3 + 0.1)});
  EXPECT_EQ(Bools(functions->Terminated(next)), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(Floats(functions->Reward(next, at::zeros({4, 1}), next)),
            (std::vector<float>{0, -1, -1, 0}));
}

TEST(ClassicControlFunctionsTest, Point2DDistanceAndGoal) {
  const auto functions = Point2DFunctions();
  const at::Tensor next = Rows({{0.3f, -0.4f}, {0.005f, -0.005f}, {0.005f, 0.02f}});
  const std::vector<float> reward = Floats(functions->Reward(next, at::zeros({3, 2}), next));
  EXPECT_NEAR(reward[0], -0.5, 1e-6);
  EXPECT_NEAR(reward[1], -std::sqrt(2 * 0.005 * 0.005), 1e-7);
  EXPECT_EQ(Bools(functions->Terminated(next)), (std::vector<bool>{false, true, false}));
}

TEST(ClassicControlFunctionsTest, MockLine) {
  const auto functions = MockLineFunctions();
  const at::Tensor next = Rows({{2, 0}, {-0.5f, 3}});
  EXPECT_EQ(Floats(functions->Reward(next, at::zeros({2, 1}), next)),
            (std::vector<float>{-0.004f, -0.00025f}));
  EXPECT_EQ(Bools(functions->Terminated(next)), (std::vector<bool>{false, false}));
}

}  // namespace
}  // namespace mbrl::envs
