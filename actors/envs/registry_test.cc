#include "actors/envs/registry.h"

#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;

v1::EnvConfig Config(const std::string& name, int horizon) {
  v1::EnvConfig config;
  config.set_name(name);
  config.set_horizon(horizon);
  return config;
}

TEST(RegistryTest, NamesAreSortedAndIncludePendulum) {
  const std::vector<std::string> names = RegisteredEnvNames();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_THAT(names, Contains("Pendulum"));
}

TEST(RegistryTest, MakeEnvUsesTheConfiguredHorizon) {
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Env> env, MakeEnv(Config("Pendulum", 7)));
  EXPECT_EQ(env->spec().name, "Pendulum");
  EXPECT_EQ(env->spec().max_episode_steps, 7);
}

TEST(RegistryTest, DefaultConfigIsPendulumWithMbMposHorizon) {
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Env> env, MakeEnv(v1::EnvConfig()));
  EXPECT_EQ(env->spec().name, "Pendulum");
  EXPECT_EQ(env->spec().max_episode_steps, 200);
}

TEST(RegistryTest, UnknownNamesAreNotFoundAndListTheRegisteredOnes) {
  EXPECT_THAT(MakeEnv(Config("Pendulm", 200)),
              StatusIs(absl::StatusCode::kNotFound,
                       ::testing::AllOf(HasSubstr("\"Pendulm\""), HasSubstr("Pendulum"))));
  EXPECT_THAT(MakeBatchedEnvFunctions("Pendulm"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(RegistryTest, ZeroHorizonIsInvalid) {
  EXPECT_THAT(MakeEnv(Config("Pendulum", 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("horizon")));
}

TEST(RegistryTest, EveryRegisteredEnvHasFunctions) {
  for (const std::string& name : RegisteredEnvNames()) {
    EXPECT_THAT(MakeEnv(Config(name, 10)), IsOk()) << name;
    EXPECT_THAT(MakeBatchedEnvFunctions(name), IsOk()) << name;
  }
}

}  // namespace
}  // namespace mbrl::envs
