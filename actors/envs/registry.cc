#include "actors/envs/registry.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "actors/envs/acrobot.h"
#include "actors/envs/cartpole.h"
#include "actors/envs/classic_control_functions.h"
#include "actors/envs/locomotion.h"
#include "actors/envs/locomotion_functions.h"
#include "actors/envs/mock_line.h"
#include "actors/envs/mountain_car.h"
#include "actors/envs/pendulum.h"
#include "actors/envs/point_goal.h"
#include "actors/envs/remote_env.h"
#include "common/status_macros.h"

namespace mbrl::envs {
namespace {

struct RegisteredEnv {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<Env>>(int max_episode_steps)> make_env;
  std::function<absl::StatusOr<std::unique_ptr<BatchedEnvFunctions>>()> make_functions;
  // Null unless the env has a native batched implementation.
  std::function<absl::StatusOr<std::unique_ptr<VectorEnv>>(int max_episode_steps,
                                                           const VectorEnvOptions& options)>
      make_vector_env;
};

template <typename EnvType>
absl::StatusOr<std::unique_ptr<Env>> Make(int max_episode_steps) {
  return std::make_unique<EnvType>(max_episode_steps);
}

RegisteredEnv Locomotion(const std::string& name) {
  return {
      name,
      [name](int max_episode_steps) { return LocomotionEnv::Create(name, max_episode_steps); },
      [name] { return LocomotionFunctions(name); },
      /*make_vector_env=*/nullptr,
  };
}

const std::vector<RegisteredEnv>& Registry() {
  static const auto* const registry = new std::vector<RegisteredEnv>{
      {"Acrobot", Make<Acrobot>, AcrobotFunctions, /*make_vector_env=*/nullptr},
      {"CartPole", Make<CartPole>, CartPoleFunctions, /*make_vector_env=*/nullptr},
      {"CartPoleSwingUp", Make<CartPoleSwingUp>, CartPoleSwingUpFunctions,
       /*make_vector_env=*/nullptr},
      {"MockLine", Make<MockLine>, MockLineFunctions, /*make_vector_env=*/nullptr},
      {"MountainCarContinuous", Make<MountainCarContinuous>, MountainCarContinuousFunctions,
       /*make_vector_env=*/nullptr},
      {"Pendulum", Make<Pendulum>, PendulumFunctions, PendulumVectorEnv::Create},
      {"Point2D", Make<Point2D>, Point2DFunctions, /*make_vector_env=*/nullptr},
      Locomotion("Ant"),
      Locomotion("HalfCheetah"),
      Locomotion("Hopper"),
      Locomotion("InvertedPendulum"),
      Locomotion("Swimmer"),
      Locomotion("Walker2d"),
  };
  return *registry;
}

absl::StatusOr<const RegisteredEnv*> Find(const std::string& name) {
  for (const RegisteredEnv& entry : Registry()) {
    if (entry.name == name) return &entry;
  }
  return absl::NotFoundError(absl::StrCat("unknown environment \"", name, "\"; registered: ",
                                          absl::StrJoin(RegisteredEnvNames(), ", ")));
}

absl::StatusOr<int> MaxEpisodeSteps(const v1::EnvConfig& config) {
  if (config.horizon() < 1 || config.horizon() > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("env horizon must be in [1, 2^31), got ", config.horizon()));
  }
  return static_cast<int>(config.horizon());
}

// An empty remote_address (e.g. a config printed with every default filled in) is native.
bool IsRemote(const v1::EnvConfig& config) {
  return config.has_remote_address() && !config.remote_address().empty();
}

}  // namespace

std::vector<std::string> RegisteredEnvNames() {
  std::vector<std::string> names;
  for (const RegisteredEnv& entry : Registry()) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::unique_ptr<Env>> MakeEnv(const v1::EnvConfig& config) {
  MBRL_ASSIGN_OR_RETURN(const int max_episode_steps, MaxEpisodeSteps(config));
  if (IsRemote(config)) {
    RemoteEnvOptions options;
    options.address = config.remote_address();
    return RemoteEnv::Create(config.name(), max_episode_steps, options);
  }
  MBRL_ASSIGN_OR_RETURN(const RegisteredEnv* entry, Find(config.name()));
  return entry->make_env(max_episode_steps);
}

absl::StatusOr<std::unique_ptr<VectorEnv>> MakeVectorEnv(const v1::EnvConfig& config,
                                                         const VectorEnvOptions& options) {
  MBRL_ASSIGN_OR_RETURN(const int max_episode_steps, MaxEpisodeSteps(config));
  if (!IsRemote(config)) {
    MBRL_ASSIGN_OR_RETURN(const RegisteredEnv* entry, Find(config.name()));
    if (entry->make_vector_env) return entry->make_vector_env(max_episode_steps, options);
  }
  return InstanceVectorEnv::Create([&config] { return MakeEnv(config); }, options);
}

absl::StatusOr<std::unique_ptr<BatchedEnvFunctions>> MakeBatchedEnvFunctions(
    const std::string& name) {
  MBRL_ASSIGN_OR_RETURN(const RegisteredEnv* entry, Find(name));
  return entry->make_functions();
}

}  // namespace mbrl::envs
