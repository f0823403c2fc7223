// MockLine: the 1-D point mass of mbrl-lib's algorithm tests (tests/algorithms/
// test_algorithms.py, MockLineEnv), the cheapest task a planner must solve.
//
//   starts at x = 1, v = 0 (every episode: the seed is not used)
//   v += a (a in [-1, 1]); x += v
//   reward = -0.001 x^2 (after the step); never terminates
//   observation [x, v] (unbounded); mbrl-lib's episodes last 30 steps (EnvConfig.horizon)
#ifndef MBRL_ACTORS_ENVS_MOCK_LINE_H_
#define MBRL_ACTORS_ENVS_MOCK_LINE_H_

#include <cstdint>

#include "actors/envs/interface.h"

namespace mbrl::envs {

EnvSpec MockLineSpec(int max_episode_steps);

class MockLine final : public Env {
 public:
  explicit MockLine(int max_episode_steps) : Env(MockLineSpec(max_episode_steps)) {}

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  double position_ = 1;
  double velocity_ = 0;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_MOCK_LINE_H_
