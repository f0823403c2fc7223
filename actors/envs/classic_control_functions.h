// The batched reward and termination functions of the classic-control environments, as
// LibTorch expressions of (obs, act, next_obs). Each equals its env's per-step reward and
// termination (the env's header states the formula; the conformance suite checks agreement).
#ifndef MBRL_ACTORS_ENVS_CLASSIC_CONTROL_FUNCTIONS_H_
#define MBRL_ACTORS_ENVS_CLASSIC_CONTROL_FUNCTIONS_H_

#include <memory>

#include "actors/envs/batched_functions.h"

namespace mbrl::envs {

std::unique_ptr<BatchedEnvFunctions> PendulumFunctions();
std::unique_ptr<BatchedEnvFunctions> CartPoleFunctions();
std::unique_ptr<BatchedEnvFunctions> CartPoleSwingUpFunctions();
std::unique_ptr<BatchedEnvFunctions> MountainCarContinuousFunctions();
std::unique_ptr<BatchedEnvFunctions> AcrobotFunctions();
std::unique_ptr<BatchedEnvFunctions> Point2DFunctions();
std::unique_ptr<BatchedEnvFunctions> MockLineFunctions();

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_CLASSIC_CONTROL_FUNCTIONS_H_
