#include "actors/envs/locomotion_functions.h"

#include <ATen/ATen.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "actors/envs/locomotion.h"
#include "actors/envs/mujoco_model.h"
#include "actors/envs/transition_functions.h"
#include "common/status_macros.h"

namespace mbrl::envs {
namespace {

at::Tensor AllFinite(const at::Tensor& s) { return at::isfinite(s).all(1); }

at::Tensor Terminated(LocomotionTermination termination, const at::Tensor& s) {
  const at::Tensor height = s.select(1, 0), angle = s.select(1, 1);
  switch (termination) {
    case LocomotionTermination::kNever:
      return at::zeros({s.size(0)}, s.options().dtype(at::kBool));
    case LocomotionTermination::kHopper:
      return ~(AllFinite(s) & (s.slice(1, 3).abs() < 100).all(1) & (height > 0.7) &
               (angle.abs() < 0.2));
    case LocomotionTermination::kWalker2d:
      return ~((height > 0.8) & (height < 2.0) & (angle > -1.0) & (angle < 1.0));
    case LocomotionTermination::kAnt:
      return ~(AllFinite(s) & (height >= 0.2) & (height <= 1.0));
    case LocomotionTermination::kInvertedPendulum:
      return ~(AllFinite(s) & (angle.abs() <= 0.2));
  }
  return at::zeros({s.size(0)}, s.options().dtype(at::kBool));
}

}  // namespace

absl::StatusOr<std::unique_ptr<BatchedEnvFunctions>> LocomotionFunctions(const std::string& name) {
  const LocomotionTask* found = FindLocomotionTask(name);
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("no locomotion env \"", name, "\""));
  }
  const LocomotionTask task = *found;
  MBRL_ASSIGN_OR_RETURN(const mjModel* model, SharedMujocoModel(task.model_file));
  const int obs_dim = model->nq - task.qpos_skip + model->nv;
  return MakeTransitionFunctions(
      task.name, obs_dim, /*act_dim=*/model->nu,
      [task](const at::Tensor& obs, const at::Tensor& act, const at::Tensor& next_obs) {
        at::Tensor reward = task.alive_bonus - task.ctrl_cost * act.square().sum(1);
        if (task.velocity_index >= 0) reward = reward + next_obs.select(1, task.velocity_index);
        if (std::isfinite(task.reward_clip)) {
          reward = reward.clamp(-task.reward_clip, task.reward_clip);
        }
        return reward;
      },
      [task](const at::Tensor& next_obs) { return Terminated(task.termination, next_obs); });
}

}  // namespace mbrl::envs
