// Point2D: the 2-D point-goal task of MB-MPO / rllab (rllab's PointEnv, used in MB-MPO's
// point-environment experiments): a point moves by its action towards the goal at the origin.
//
//   s' = s + clip(a, -0.1, 0.1)            (a in [-0.1, 0.1]^2)
//   reward = -|s'|  (Euclidean distance to the goal after the step)
//   terminated when |x'| < 0.01 and |y'| < 0.01
//   observation [x, y] (unbounded); reset: x, y ~ U(-1, 1)
#ifndef MBRL_ACTORS_ENVS_POINT_GOAL_H_
#define MBRL_ACTORS_ENVS_POINT_GOAL_H_

#include <cstdint>

#include "actors/envs/interface.h"

namespace mbrl::envs {

EnvSpec Point2DSpec(int max_episode_steps);

class Point2D final : public Env {
 public:
  explicit Point2D(int max_episode_steps) : Env(Point2DSpec(max_episode_steps)) {}

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  double x_ = 0;
  double y_ = 0;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_POINT_GOAL_H_
