#include "actors/envs/vector_env.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "actors/envs/pendulum.h"
#include "actors/envs/random.h"
#include "actors/envs/registry.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

v1::EnvConfig Config(const std::string& name, int horizon) {
  v1::EnvConfig config;
  config.set_name(name);
  config.set_horizon(horizon);
  return config;
}

// Buffers for one VectorEnv::Step.
struct Outputs {
  Outputs(int n, int obs_dim)
      : observations(n * obs_dim),
        rewards(n),
        terminated(n),
        truncated(n),
        final_observations(n * obs_dim, std::numeric_limits<float>::quiet_NaN()) {}
  VectorStepOutput View() {
    return {absl::MakeSpan(observations), absl::MakeSpan(rewards), absl::MakeSpan(terminated),
            absl::MakeSpan(truncated), absl::MakeSpan(final_observations)};
  }
  std::vector<float> observations, rewards;
  std::vector<uint8_t> terminated, truncated;
  std::vector<float> final_observations;
};

std::vector<float> RandomActions(const EnvSpec& spec, int n, std::mt19937_64* rng) {
  std::vector<float> actions(n * spec.action.dim);
  for (size_t k = 0; k < actions.size(); ++k) {
    const int i = k % spec.action.dim;
    std::uniform_real_distribution<float> dist(1.3f * spec.action.low[i],
                                               1.3f * spec.action.high[i]);
    actions[k] = dist(*rng);
  }
  return actions;
}

// The vector env against N separately stepped envs with the documented seeds and auto-reset.
void ExpectMatchesIndependentEnvs(const std::string& name, int horizon, int num_envs,
                                  int num_threads, int steps) {
  SCOPED_TRACE(name + " threads " + std::to_string(num_threads));
  const v1::EnvConfig config = Config(name, horizon);
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VectorEnv> vector_env,
                            MakeVectorEnv(config, {num_envs, num_threads}));
  const EnvSpec& spec = vector_env->spec();
  const int obs_dim = spec.observation.dim, act_dim = spec.action.dim;
  constexpr uint64_t kSeed = 1000;
  std::vector<std::unique_ptr<Env>> envs;
  std::vector<float> expected_obs(num_envs * obs_dim);
  for (int i = 0; i < num_envs; ++i) {
    MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Env> env, MakeEnv(config));
    ASSERT_THAT(env->Reset(kSeed + i, absl::MakeSpan(&expected_obs[i * obs_dim], obs_dim)), IsOk());
    envs.push_back(std::move(env));
  }
  Outputs out(num_envs, obs_dim);
  ASSERT_THAT(vector_env->Reset(kSeed, absl::MakeSpan(out.observations)), IsOk());
  ASSERT_EQ(out.observations, expected_obs);
  std::vector<uint64_t> episodes(num_envs, 1);
  std::mt19937_64 rng(5);
  int ended = 0;
  for (int t = 0; t < steps; ++t) {
    const std::vector<float> actions = RandomActions(spec, num_envs, &rng);
    ASSERT_THAT(vector_env->Step(actions, out.View()), IsOk());
    for (int i = 0; i < num_envs; ++i) {
      std::vector<float> obs(obs_dim);
      MBRL_ASSERT_OK_AND_ASSIGN(
          StepResult result,
          envs[i]->Step(absl::MakeConstSpan(&actions[i * act_dim], act_dim), absl::MakeSpan(obs)));
      ASSERT_EQ(out.rewards[i], static_cast<float>(result.reward)) << "t " << t << " env " << i;
      ASSERT_EQ(out.terminated[i], result.terminated) << "t " << t << " env " << i;
      ASSERT_EQ(out.truncated[i], result.truncated) << "t " << t << " env " << i;
      const float* row = &out.observations[i * obs_dim];
      if (result.terminated || result.truncated) {
        ++ended;
        ASSERT_EQ(std::vector<float>(&out.final_observations[i * obs_dim],
                                     &out.final_observations[(i + 1) * obs_dim]),
                  obs);
        ASSERT_THAT(envs[i]->Reset(MixSeed(kSeed + i, episodes[i]++), absl::MakeSpan(obs)), IsOk());
      }
      ASSERT_EQ(std::vector<float>(row, row + obs_dim), obs) << "t " << t << " env " << i;
    }
  }
  EXPECT_GT(ended, 0);
}

TEST(VectorEnvTest, NativePendulumMatchesIndependentEnvs) {
  ExpectMatchesIndependentEnvs("Pendulum", /*horizon=*/20, /*num_envs=*/7, /*num_threads=*/1,
                               /*steps=*/45);
  ExpectMatchesIndependentEnvs("Pendulum", /*horizon=*/20, /*num_envs=*/7, /*num_threads=*/3,
                               /*steps=*/45);
}

TEST(VectorEnvTest, InstancesMatchIndependentEnvsWithTerminations) {
  // CartPole terminates under random pushes; the horizon truncates the rest.
  ExpectMatchesIndependentEnvs("CartPole", /*horizon=*/40, /*num_envs=*/5, /*num_threads=*/2,
                               /*steps=*/120);
  ExpectMatchesIndependentEnvs("Acrobot", /*horizon=*/10, /*num_envs=*/3, /*num_threads=*/4,
                               /*steps=*/25);
}

TEST(VectorEnvTest, NativePendulumIsTheInstanceFallbackBitForBit) {
  constexpr int kEnvs = 9;
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VectorEnv> native,
                            PendulumVectorEnv::Create(/*max_episode_steps=*/15, {kEnvs, 2}));
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VectorEnv> instances,
                            InstanceVectorEnv::Create(
                                []() -> absl::StatusOr<std::unique_ptr<Env>> {
                                  return std::make_unique<Pendulum>(/*max_episode_steps=*/15);
                                },
                                {kEnvs, 3}));
  Outputs a(kEnvs, 3), b(kEnvs, 3);
  ASSERT_THAT(native->Reset(77, absl::MakeSpan(a.observations)), IsOk());
  ASSERT_THAT(instances->Reset(77, absl::MakeSpan(b.observations)), IsOk());
  std::mt19937_64 rng(6);
  for (int t = 0; t < 40; ++t) {
    const std::vector<float> actions = RandomActions(native->spec(), kEnvs, &rng);
    ASSERT_THAT(native->Step(actions, a.View()), IsOk());
    ASSERT_THAT(instances->Step(actions, b.View()), IsOk());
    ASSERT_EQ(a.observations, b.observations) << "t " << t;
    ASSERT_EQ(a.rewards, b.rewards) << "t " << t;
    ASSERT_EQ(a.truncated, b.truncated) << "t " << t;
  }
}

TEST(VectorEnvTest, ThreadCountDoesNotChangeResults) {
  std::vector<std::vector<float>> observations;
  for (int threads : {1, 2, 5}) {
    MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VectorEnv> env,
                              MakeVectorEnv(Config("MountainCarContinuous", 30), {11, threads}));
    EXPECT_EQ(env->num_threads(), threads);
    Outputs out(11, 2);
    ASSERT_THAT(env->Reset(3, absl::MakeSpan(out.observations)), IsOk());
    std::mt19937_64 rng(7);
    for (int t = 0; t < 70; ++t) {
      ASSERT_THAT(env->Step(RandomActions(env->spec(), 11, &rng), out.View()), IsOk());
    }
    observations.push_back(out.observations);
  }
  EXPECT_EQ(observations[0], observations[1]);
  EXPECT_EQ(observations[0], observations[2]);
}

TEST(VectorEnvTest, MoreThreadsThanEnvsIsCapped) {
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VectorEnv> env,
                            MakeVectorEnv(Config("Pendulum", 200), {2, 8}));
  EXPECT_EQ(env->num_threads(), 2);
}

TEST(VectorEnvTest, BadOptionsAreInvalid) {
  EXPECT_THAT(MakeVectorEnv(Config("Pendulum", 200), {0, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeVectorEnv(Config("CartPole", 200), {4, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeVectorEnv(Config("NoSuchEnv", 200), {4, 1}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(VectorEnvTest, ProtocolErrorsChangeNothing) {
  for (const std::string name : {"Pendulum", "CartPole"}) {
    SCOPED_TRACE(name);
    constexpr int kEnvs = 4;
    MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VectorEnv> env,
                              MakeVectorEnv(Config(name, 200), {kEnvs, 2}));
    MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VectorEnv> twin,
                              MakeVectorEnv(Config(name, 200), {kEnvs, 1}));
    const int obs_dim = env->spec().observation.dim;
    Outputs out(kEnvs, obs_dim), twin_out(kEnvs, obs_dim);
    const std::vector<float> actions(kEnvs * env->spec().action.dim, 0.5f);
    EXPECT_THAT(env->Step(actions, out.View()), StatusIs(absl::StatusCode::kFailedPrecondition));
    std::vector<float> short_obs(kEnvs * obs_dim - 1);
    EXPECT_THAT(env->Reset(1, absl::MakeSpan(short_obs)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(env->Step(actions, out.View()), StatusIs(absl::StatusCode::kFailedPrecondition));

    ASSERT_THAT(env->Reset(1, absl::MakeSpan(out.observations)), IsOk());
    ASSERT_THAT(twin->Reset(1, absl::MakeSpan(twin_out.observations)), IsOk());
    const std::vector<float> before = out.observations;
    std::vector<float> bad = actions;
    bad[bad.size() - 1] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THAT(env->Step(bad, out.View()),
                StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("env 3")));
    bad.pop_back();
    EXPECT_THAT(env->Step(bad, out.View()), StatusIs(absl::StatusCode::kInvalidArgument));
    VectorStepOutput short_rewards = out.View();
    short_rewards.rewards = short_rewards.rewards.subspan(1);
    EXPECT_THAT(env->Step(actions, short_rewards), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(out.observations, before);
    for (int t = 0; t < 5; ++t) {
      ASSERT_THAT(env->Step(actions, out.View()), IsOk());
      ASSERT_THAT(twin->Step(actions, twin_out.View()), IsOk());
      ASSERT_EQ(out.observations, twin_out.observations);
    }
  }
}

TEST(ParallelRunnerTest, RunsEveryChunkOnceAndSplitsEvenly) {
  ParallelRunner runner(3);
  std::vector<int> hits(3, 0);
  for (int round = 0; round < 100; ++round) {
    runner.Run([&hits](int chunk) { ++hits[chunk]; });
  }
  EXPECT_THAT(hits, ::testing::Each(100));
  EXPECT_EQ(SplitRange(10, 3, 0).begin, 0);
  EXPECT_EQ(SplitRange(10, 3, 0).end, 4);
  EXPECT_EQ(SplitRange(10, 3, 1).end, 7);
  EXPECT_EQ(SplitRange(10, 3, 2).end, 10);
  EXPECT_EQ(SplitRange(2, 3, 2).begin, SplitRange(2, 3, 2).end);
}

}  // namespace
}  // namespace mbrl::envs
