#include "actors/envs/registry.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "actors/envs/classic_control_functions.h"
#include "actors/envs/pendulum.h"

namespace mbrl::envs {
namespace {

struct RegisteredEnv {
  std::string name;
  std::function<std::unique_ptr<Env>(int max_episode_steps)> make_env;
  std::function<std::unique_ptr<BatchedEnvFunctions>()> make_functions;
};

template <typename EnvType>
std::unique_ptr<Env> Make(int max_episode_steps) {
  return std::make_unique<EnvType>(max_episode_steps);
}

const std::vector<RegisteredEnv>& Registry() {
  static const auto* const registry = new std::vector<RegisteredEnv>{
      {"Pendulum", Make<Pendulum>, PendulumFunctions},
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

}  // namespace

std::vector<std::string> RegisteredEnvNames() {
  std::vector<std::string> names;
  for (const RegisteredEnv& entry : Registry()) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::unique_ptr<Env>> MakeEnv(const v1::EnvConfig& config) {
  if (config.horizon() < 1 || config.horizon() > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("env horizon must be in [1, 2^31), got ", config.horizon()));
  }
  absl::StatusOr<const RegisteredEnv*> entry = Find(config.name());
  if (!entry.ok()) return entry.status();
  return (*entry)->make_env(static_cast<int>(config.horizon()));
}

absl::StatusOr<std::unique_ptr<BatchedEnvFunctions>> MakeBatchedEnvFunctions(
    const std::string& name) {
  absl::StatusOr<const RegisteredEnv*> entry = Find(name);
  if (!entry.ok()) return entry.status();
  return (*entry)->make_functions();
}

}  // namespace mbrl::envs
