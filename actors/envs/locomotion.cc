#include "actors/envs/locomotion.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "actors/envs/mujoco_model.h"
#include "actors/envs/random.h"
#include "common/status_macros.h"

namespace mbrl::envs {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<LocomotionTask>& Tasks() {
  using T = LocomotionTermination;
  constexpr ResetNoise kU01{NoiseKind::kUniform, 0.1};
  constexpr ResetNoise kN01{NoiseKind::kNormal, 0.1};
  constexpr ResetNoise kU0005{NoiseKind::kUniform, 0.005};
  constexpr ResetNoise kU001{NoiseKind::kUniform, 0.01};
  static const auto* const tasks = new std::vector<LocomotionTask>{
      // name, model, frame skip, qpos skip, qvel clip, qpos noise, qvel noise,
      // velocity index, ctrl cost, alive bonus, reward clip, termination
      {"HalfCheetah", "half_cheetah.xml", 5, 1, kInf, kU01, kN01, 8, 0.1, 0.0, 1000, T::kNever},
      {"Hopper", "hopper.xml", 4, 1, 10, kU0005, kU0005, 5, 1e-3, 1.0, 1000, T::kHopper},
      {"Walker2d", "walker2d.xml", 4, 1, 10, kU0005, kU0005, 8, 1e-3, 1.0, kInf, T::kWalker2d},
      {"Swimmer", "swimmer.xml", 4, 2, kInf, kU01, kU01, 3, 1e-4, 0.0, 1000, T::kNever},
      {"Ant", "ant.xml", 5, 2, kInf, kU01, kN01, 13, 5e-3, 1.0, kInf, T::kAnt},
      {"InvertedPendulum", "inverted_pendulum.xml", 2, 0, kInf, kU001, kU001, -1, 0.0, 1.0, kInf,
       T::kInvertedPendulum},
  };
  return *tasks;
}

bool AllFinite(absl::Span<const float> values) {
  return std::all_of(values.begin(), values.end(), [](float x) { return std::isfinite(x); });
}

double Noise(const ResetNoise& noise, EnvRandom& random) {
  return noise.kind == NoiseKind::kUniform ? random.Uniform(-noise.scale, noise.scale)
                                           : noise.scale * random.Normal();
}

}  // namespace

const LocomotionTask* FindLocomotionTask(const std::string& name) {
  for (const LocomotionTask& task : Tasks()) {
    if (task.name == name) return &task;
  }
  return nullptr;
}

std::vector<std::string> LocomotionTaskNames() {
  std::vector<std::string> names;
  for (const LocomotionTask& task : Tasks()) names.push_back(task.name);
  return names;
}

double LocomotionReward(const LocomotionTask& task, absl::Span<const float> action,
                        absl::Span<const float> next_observation) {
  double action_norm2 = 0;
  for (float a : action) action_norm2 += static_cast<double>(a) * a;
  const double velocity = task.velocity_index >= 0 ? next_observation[task.velocity_index] : 0.0;
  const double reward = velocity + task.alive_bonus - task.ctrl_cost * action_norm2;
  return std::clamp(reward, -task.reward_clip, task.reward_clip);
}

bool LocomotionTerminated(const LocomotionTask& task, absl::Span<const float> s) {
  switch (task.termination) {
    case LocomotionTermination::kNever:
      return false;
    case LocomotionTermination::kHopper: {
      const bool bounded =
          std::all_of(s.begin() + 3, s.end(), [](float x) { return std::abs(x) < 100; });
      return !(AllFinite(s) && bounded && s[0] > 0.7 && std::abs(s[1]) < 0.2);
    }
    case LocomotionTermination::kWalker2d:
      return !(s[0] > 0.8 && s[0] < 2.0 && s[1] > -1.0 && s[1] < 1.0);
    case LocomotionTermination::kAnt:
      return !(AllFinite(s) && s[0] >= 0.2 && s[0] <= 1.0);
    case LocomotionTermination::kInvertedPendulum:
      return !(AllFinite(s) && std::abs(s[1]) <= 0.2);
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Env>> LocomotionEnv::Create(const std::string& name,
                                                           int max_episode_steps) {
  const LocomotionTask* task = FindLocomotionTask(name);
  if (task == nullptr) {
    return absl::NotFoundError(absl::StrCat("no locomotion env \"", name, "\"; there are ",
                                            absl::StrJoin(LocomotionTaskNames(), ", ")));
  }
  MBRL_ASSIGN_OR_RETURN(const mjModel* model, SharedMujocoModel(task->model_file));
  if (model->nmocap != 0 || model->nuserdata != 0) {
    return absl::InternalError(absl::StrCat(name, ": DoReset does not reset mocap or user data"));
  }
  EnvSpec spec;
  spec.name = task->name;
  spec.max_episode_steps = max_episode_steps;
  spec.observation.dim = model->nq - task->qpos_skip + model->nv;
  spec.observation.low.assign(spec.observation.dim, -std::numeric_limits<float>::infinity());
  spec.observation.high.assign(spec.observation.dim, std::numeric_limits<float>::infinity());
  spec.action.dim = model->nu;
  for (int i = 0; i < model->nu; ++i) {
    spec.action.low.push_back(static_cast<float>(model->actuator_ctrlrange[2 * i]));
    spec.action.high.push_back(static_cast<float>(model->actuator_ctrlrange[2 * i + 1]));
  }
  return std::unique_ptr<Env>(new LocomotionEnv(*task, model, std::move(spec)));
}

LocomotionEnv::LocomotionEnv(const LocomotionTask& task, const mjModel* model, EnvSpec spec)
    : Env(std::move(spec)), task_(task), model_(model), data_(mj_makeData(model)) {}

LocomotionEnv::~LocomotionEnv() { mj_deleteData(data_); }

void LocomotionEnv::Observe(absl::Span<float> observation) const {
  float* out = observation.data();
  for (int i = task_.qpos_skip; i < model_->nq; ++i) *out++ = static_cast<float>(data_->qpos[i]);
  for (int i = 0; i < model_->nv; ++i) {
    *out++ = static_cast<float>(std::clamp(data_->qvel[i], -task_.qvel_clip, task_.qvel_clip));
  }
}

void LocomotionEnv::DoReset(uint64_t seed, absl::Span<float> observation) {
  EnvRandom random(seed);
  // Resets every input of mj_step to its mj_resetData value, without mj_resetData's zeroing of
  // the whole multi-megabyte data buffer (100 us, 2% of a 200-step HalfCheetah episode);
  // mj_forward below recomputes everything derived.
  data_->time = 0;
  std::fill_n(data_->act, model_->na, 0.0);
  std::fill_n(data_->ctrl, model_->nu, 0.0);
  std::fill_n(data_->qacc_warmstart, model_->nv, 0.0);
  std::fill_n(data_->qfrc_applied, model_->nv, 0.0);
  std::fill_n(data_->xfrc_applied, 6 * model_->nbody, 0.0);
  for (int i = 0; i < mjNWARNING; ++i) data_->warning[i] = mjWarningStat{};
  for (int i = 0; i < model_->nq; ++i) {
    data_->qpos[i] = model_->qpos0[i] + Noise(task_.qpos_noise, random);
  }
  for (int i = 0; i < model_->nv; ++i) data_->qvel[i] = Noise(task_.qvel_noise, random);
  mj_forward(model_, data_);
  Observe(observation);
}

double LocomotionEnv::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                             bool* terminated) {
  for (int i = 0; i < model_->nu; ++i) data_->ctrl[i] = action[i];
  for (int k = 0; k < task_.frame_skip; ++k) mj_step(model_, data_);
  Observe(observation);
  *terminated = LocomotionTerminated(task_, observation);
  return LocomotionReward(task_, action, observation);
}

}  // namespace mbrl::envs
