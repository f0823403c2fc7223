// MuJoCo locomotion environments as MB-MPO defines them (jonasrothfuss/
// model_ensemble_meta_learning, sandbox/ours/envs/mujoco/*_random_param.py, with fixed
// dynamics parameters), on the model files in models/ (embedded in the binary).
//
// Observation = [qpos[qpos_skip:], qvel] (float32; Hopper and Walker2d clip qvel to +-10 as
// gym does). With v = observation[velocity_index] after the step (the torso's forward
// velocity, qvel[0]) and the applied action a:
//
//   env               frame skip  obs  reward (clipped to +-reward_clip)  terminated(s')
//   HalfCheetah       5 x 0.01    17   v - 0.1 |a|^2, +-1000              never
//   Hopper            4 x 0.002   11   v + 1 - 0.001 |a|^2, +-1000        not (finite(s') and
//                                                                          |s'[3:]| < 100 and
//                                                                          s'[0] > 0.7 and
//                                                                          |s'[1]| < 0.2)
//   Walker2d          4 x 0.002   17   v + 1 - 0.001 |a|^2                not (0.8 < s'[0] < 2
//                                                                          and |s'[1]| < 1)
//   Swimmer           4 x 0.01     8   v - 0.0001 |a|^2, +-1000           never
//   Ant               5 x 0.01    27   v + 1 - 0.005 |a|^2                not (finite(s') and
//                                                                          0.2 <= s'[0] <= 1)
//   InvertedPendulum  2 x 0.02     4   1                                  not (finite(s') and
//                                                                          |s'[1]| <= 0.2)
//
// (InvertedPendulum, which MB-MPO does not use, follows gym / mbrl-lib.) The reward is the
// model-side reward function of MB-MPO, a function of the observation, so an env's own reward
// equals its batched reward function exactly; MB-MPO's real envs instead use a finite-difference
// velocity (x_after - x_before) / dt, which the observation does not contain. Reset: qpos0 plus
// noise and zero velocity plus noise, per env as gym (U(+-0.1) and 0.1 N(0,1) for HalfCheetah
// and Ant; U(+-0.005) for Hopper and Walker2d; U(+-0.1) for Swimmer; U(+-0.01) for
// InvertedPendulum), then mj_forward. Actions are clipped to the actuators' control ranges.
// (None of the models has mocap bodies, activations or user data.)
#ifndef MBRL_ACTORS_ENVS_LOCOMOTION_H_
#define MBRL_ACTORS_ENVS_LOCOMOTION_H_

#include <mujoco/mujoco.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "actors/envs/interface.h"

namespace mbrl::envs {

enum class LocomotionTermination { kNever, kHopper, kWalker2d, kAnt, kInvertedPendulum };

enum class NoiseKind { kUniform, kNormal };
struct ResetNoise {
  NoiseKind kind;
  double scale;  // U(-scale, scale), or scale * N(0, 1)
};

// One environment's definition (the table in the header comment).
struct LocomotionTask {
  std::string name;
  std::string model_file;  // in models/
  int frame_skip;
  int qpos_skip;     // observation = [qpos[qpos_skip:], clip(qvel, +-qvel_clip)]
  double qvel_clip;  // infinity: no clipping
  ResetNoise qpos_noise;
  ResetNoise qvel_noise;
  int velocity_index;  // observation index of the forward velocity (-1: not rewarded)
  double ctrl_cost;    // coefficient of |a|^2
  double alive_bonus;
  double reward_clip;  // infinity: no clipping
  LocomotionTermination termination;
};

// The tasks above, by name; null if there is none.
const LocomotionTask* FindLocomotionTask(const std::string& name);
// Names of every locomotion task.
std::vector<std::string> LocomotionTaskNames();

// The scalar reward and termination of `task` on one (action, next observation); the batched
// functions (locomotion_functions.h) compute the same on tensors.
double LocomotionReward(const LocomotionTask& task, absl::Span<const float> action,
                        absl::Span<const float> next_observation);
bool LocomotionTerminated(const LocomotionTask& task, absl::Span<const float> next_observation);

class LocomotionEnv final : public Env {
 public:
  // NOT_FOUND for an unknown task name; INTERNAL if its model fails to load.
  static absl::StatusOr<std::unique_ptr<Env>> Create(const std::string& name,
                                                     int max_episode_steps);
  ~LocomotionEnv() override;

  // For benchmarks and tests: the simulator state.
  const mjModel* model() const { return model_; }
  mjData* data() { return data_; }

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  LocomotionEnv(const LocomotionTask& task, const mjModel* model, EnvSpec spec);
  void Observe(absl::Span<float> observation) const;

  const LocomotionTask& task_;
  const mjModel* const model_;  // shared, immutable
  mjData* const data_;          // owned
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_LOCOMOTION_H_
