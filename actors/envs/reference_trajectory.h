// Test helper: checks an env's trajectory against literal values computed from the reference
// definitions (testdata/classic_control_reference.py prints them).
#ifndef MBRL_ACTORS_ENVS_REFERENCE_TRAJECTORY_H_
#define MBRL_ACTORS_ENVS_REFERENCE_TRAJECTORY_H_

#include <cstdint>
#include <vector>

#include "actors/envs/interface.h"

namespace mbrl::envs {

// One row of a reference trajectory: the observation after the reset (row 0) or after step t,
// and that step's reward and termination (ignored on row 0).
struct ReferenceStep {
  std::vector<double> observation;
  double reward;
  bool terminated;
};

// Resets `env` with `seed`, applies actions[t] (each of action dim entries), and expects row
// t + 1 after step t: observations within `tolerance` (absolute, float32 observations),
// rewards within 1e-6 relative + 1e-9, terminated exactly. Reports gtest failures.
void ExpectReferenceTrajectory(Env& env, uint64_t seed,
                               const std::vector<std::vector<float>>& actions,
                               const std::vector<ReferenceStep>& expected, double tolerance = 1e-6);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_REFERENCE_TRAJECTORY_H_
