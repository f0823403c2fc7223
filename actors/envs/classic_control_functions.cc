#include "actors/envs/classic_control_functions.h"

#include <ATen/ATen.h>

#include "actors/envs/cartpole.h"
#include "actors/envs/mountain_car.h"
#include "actors/envs/pendulum.h"
#include "actors/envs/transition_functions.h"

namespace mbrl::envs {
namespace {

at::Tensor Column(const at::Tensor& batch, int64_t index) { return batch.select(1, index); }

at::Tensor CartPoleTerminated(const at::Tensor& next_obs) {
  using C = CartPoleConstants;
  const at::Tensor x = Column(next_obs, 0), theta = Column(next_obs, 2);
  return (x < -C::kXThreshold) | (x > C::kXThreshold) | (theta < -C::kThetaThreshold) |
         (theta > C::kThetaThreshold);
}

at::Tensor MountainCarTerminated(const at::Tensor& next_obs) {
  using C = MountainCarConstants;
  return (Column(next_obs, 0) >= C::kGoalPosition) & (Column(next_obs, 1) >= C::kGoalVelocity);
}

at::Tensor AcrobotTerminated(const at::Tensor& next_obs) {
  // -cos(th1) - cos(th1 + th2) > 1, with cos(th1 + th2) = c1 c2 - s1 s2.
  const at::Tensor c1 = Column(next_obs, 0), s1 = Column(next_obs, 1);
  const at::Tensor c2 = Column(next_obs, 2), s2 = Column(next_obs, 3);
  return -c1 - (c1 * c2 - s1 * s2) > 1.0;
}

at::Tensor Point2DTerminated(const at::Tensor& next_obs) {
  return (Column(next_obs, 0).abs() < 0.01) & (Column(next_obs, 1).abs() < 0.01);
}

}  // namespace

std::unique_ptr<BatchedEnvFunctions> PendulumFunctions() {
  // The cost is of the pre-step state: theta from (cos, sin), which atan2 returns already
  // normalized to [-pi, pi].
  return MakeTransitionFunctions(
      "Pendulum", /*obs_dim=*/3, /*act_dim=*/1,
      [](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        const at::Tensor theta = at::atan2(Column(obs, 1), Column(obs, 0));
        const at::Tensor theta_dot = Column(obs, 2);
        const double max_torque = PendulumConstants::kMaxTorque;
        const at::Tensor u = Column(act, 0).clamp(-max_torque, max_torque);
        return -(theta * theta + 0.1 * theta_dot * theta_dot + 0.001 * u * u);
      },
      /*terminated=*/nullptr);
}

std::unique_ptr<BatchedEnvFunctions> CartPoleFunctions() {
  return MakeTransitionFunctions(
      "CartPole", /*obs_dim=*/4, /*act_dim=*/1,
      [](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        return at::ones({obs.size(0)}, obs.options());
      },
      CartPoleTerminated);
}

std::unique_ptr<BatchedEnvFunctions> CartPoleSwingUpFunctions() {
  return MakeTransitionFunctions(
      "CartPoleSwingUp", /*obs_dim=*/5, /*act_dim=*/1,
      [](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        constexpr double kL = CartPoleConstants::kSwingUpLength;
        const at::Tensor ee_x = Column(next_obs, 0) + kL * Column(next_obs, 3);
        const at::Tensor ee_y = kL * Column(next_obs, 2);
        const at::Tensor distance2 = ee_x * ee_x + (ee_y - kL) * (ee_y - kL);
        const at::Tensor a = Column(act, 0);
        return at::exp(-distance2 / (kL * kL)) - 0.01 * a * a;
      },
      /*terminated=*/nullptr);
}

std::unique_ptr<BatchedEnvFunctions> MountainCarContinuousFunctions() {
  return MakeTransitionFunctions(
      "MountainCarContinuous", /*obs_dim=*/2, /*act_dim=*/1,
      [](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        const at::Tensor a = Column(act, 0);
        return 100.0 * MountainCarTerminated(next_obs).to(obs.scalar_type()) - 0.1 * a * a;
      },
      MountainCarTerminated);
}

std::unique_ptr<BatchedEnvFunctions> AcrobotFunctions() {
  return MakeTransitionFunctions(
      "Acrobot", /*obs_dim=*/6, /*act_dim=*/1,
      [](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        return AcrobotTerminated(next_obs).to(obs.scalar_type()) - 1.0;
      },
      AcrobotTerminated);
}

std::unique_ptr<BatchedEnvFunctions> Point2DFunctions() {
  return MakeTransitionFunctions(
      "Point2D", /*obs_dim=*/2, /*act_dim=*/2,
      [](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        return -next_obs.square().sum(1).sqrt();
      },
      Point2DTerminated);
}

std::unique_ptr<BatchedEnvFunctions> MockLineFunctions() {
  return MakeTransitionFunctions(
      "MockLine", /*obs_dim=*/2, /*act_dim=*/1,
      [](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        const at::Tensor x = Column(next_obs, 0);
        return -0.001 * x * x;
      },
      /*terminated=*/nullptr);
}

}  // namespace mbrl::envs
