#include "actors/envs/classic_control_functions.h"

#include <ATen/ATen.h>

#include "actors/envs/pendulum.h"
#include "actors/envs/transition_functions.h"

namespace mbrl::envs {
namespace {

at::Tensor Column(const at::Tensor& batch, int64_t index) { return batch.select(1, index); }

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

}  // namespace mbrl::envs
