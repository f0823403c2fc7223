// The conformance suite: every registered environment passes the same checks (OpenSpiel's
// basic_tests pattern). Adding an env to the registry adds it here.
#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "actors/envs/registry.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

constexpr int kHorizon = 50;

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Env> NewEnv(int horizon = kHorizon) {
    v1::EnvConfig config;
    config.set_name(GetParam());
    config.set_horizon(horizon);
    absl::StatusOr<std::unique_ptr<Env>> env = MakeEnv(config);
    EXPECT_THAT(env, IsOk());
    return env.ok() ? std::move(*env) : nullptr;
  }

  // An action drawn uniformly from the action bounds (or N(0, 1) on an unbounded side),
  // stretched by `overshoot` around the centre so that some entries fall outside the bounds.
  static std::vector<float> RandomAction(const BoxSpace& space, std::mt19937_64* rng,
                                         double overshoot = 1.0) {
    std::vector<float> action(space.dim);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    for (int i = 0; i < space.dim; ++i) {
      const double low = space.low[i], high = space.high[i];
      if (std::isfinite(low) && std::isfinite(high)) {
        action[i] =
            static_cast<float>(0.5 * (low + high) + overshoot * 0.5 * (high - low) * unit(*rng));
      } else {
        action[i] = static_cast<float>(unit(*rng));
      }
    }
    return action;
  }
};

TEST_P(ConformanceTest, SpecIsWellFormed) {
  std::unique_ptr<Env> env = NewEnv();
  ASSERT_NE(env, nullptr);
  const EnvSpec& spec = env->spec();
  EXPECT_EQ(spec.name, GetParam());
  EXPECT_EQ(spec.max_episode_steps, kHorizon);
  for (const BoxSpace* space : {&spec.observation, &spec.action}) {
    EXPECT_GT(space->dim, 0);
    ASSERT_EQ(space->low.size(), space->dim);
    ASSERT_EQ(space->high.size(), space->dim);
    for (int i = 0; i < space->dim; ++i) {
      EXPECT_FALSE(std::isnan(space->low[i]) || std::isnan(space->high[i]));
      EXPECT_LE(space->low[i], space->high[i]) << "entry " << i;
    }
  }
  for (int i = 0; i < spec.action.dim; ++i) {
    EXPECT_TRUE(std::isfinite(spec.action.low[i]) && std::isfinite(spec.action.high[i]))
        << "action bounds must be finite (entry " << i << ")";
  }
}

TEST_P(ConformanceTest, SameSeedSameTrajectory) {
  std::unique_ptr<Env> a = NewEnv(), b = NewEnv();
  ASSERT_NE(a, nullptr);
  const int obs_dim = a->spec().observation.dim;
  std::vector<float> obs_a(obs_dim), obs_b(obs_dim);
  std::mt19937_64 rng(1);
  for (uint64_t seed : {0ull, 1ull, 123456789ull}) {
    ASSERT_THAT(a->Reset(seed, absl::MakeSpan(obs_a)), IsOk());
    ASSERT_THAT(b->Reset(seed, absl::MakeSpan(obs_b)), IsOk());
    ASSERT_EQ(obs_a, obs_b) << "seed " << seed;
    for (int t = 0; t < kHorizon; ++t) {
      const std::vector<float> action = RandomAction(a->spec().action, &rng);
      MBRL_ASSERT_OK_AND_ASSIGN(StepResult ra, a->Step(action, absl::MakeSpan(obs_a)));
      MBRL_ASSERT_OK_AND_ASSIGN(StepResult rb, b->Step(action, absl::MakeSpan(obs_b)));
      ASSERT_EQ(obs_a, obs_b) << "seed " << seed << " step " << t;
      ASSERT_EQ(ra.reward, rb.reward);
      ASSERT_EQ(ra.terminated, rb.terminated);
      ASSERT_EQ(ra.truncated, rb.truncated);
      if (ra.terminated || ra.truncated) break;
    }
  }
  // A reset depends on the seed only, not on what came before.
  std::vector<float> again(obs_dim);
  ASSERT_THAT(a->Reset(7, absl::MakeSpan(obs_a)), IsOk());
  ASSERT_THAT(b->Reset(7, absl::MakeSpan(again)), IsOk());
  EXPECT_EQ(obs_a, again);
}

TEST_P(ConformanceTest, ProtocolErrorsChangeNothing) {
  std::unique_ptr<Env> env = NewEnv(), twin = NewEnv();
  ASSERT_NE(env, nullptr);
  const EnvSpec& spec = env->spec();
  std::vector<float> obs(spec.observation.dim), twin_obs(spec.observation.dim);
  const std::vector<float> zero_action(spec.action.dim, 0.0f);
  EXPECT_THAT(env->Step(zero_action, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  std::vector<float> short_obs(spec.observation.dim + 1);
  EXPECT_THAT(env->Reset(3, absl::MakeSpan(short_obs)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(env->Step(zero_action, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_THAT(env->Reset(3, absl::MakeSpan(obs)), IsOk());
  ASSERT_THAT(twin->Reset(3, absl::MakeSpan(twin_obs)), IsOk());
  std::vector<float> long_action(spec.action.dim + 1, 0.0f);
  EXPECT_THAT(env->Step(long_action, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(env->Step(zero_action, absl::MakeSpan(short_obs)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<float> action = zero_action;
    action.back() = bad;
    EXPECT_THAT(env->Step(action, absl::MakeSpan(obs)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_EQ(obs, twin_obs) << "a rejected step wrote the observation";
  EXPECT_EQ(env->elapsed_steps(), 0);
  // The episode continues exactly as the twin's, which saw no bad calls.
  std::mt19937_64 rng(2);
  for (int t = 0; t < 10; ++t) {
    const std::vector<float> action = RandomAction(spec.action, &rng);
    MBRL_ASSERT_OK_AND_ASSIGN(StepResult a, env->Step(action, absl::MakeSpan(obs)));
    MBRL_ASSERT_OK_AND_ASSIGN(StepResult b, twin->Step(action, absl::MakeSpan(twin_obs)));
    ASSERT_EQ(obs, twin_obs);
    ASSERT_EQ(a.reward, b.reward);
    if (a.terminated || a.truncated) break;
  }
}

TEST_P(ConformanceTest, OutOfBoundActionsAreClipped) {
  std::unique_ptr<Env> env = NewEnv(), twin = NewEnv();
  ASSERT_NE(env, nullptr);
  const BoxSpace& action_space = env->spec().action;
  std::vector<float> obs(env->spec().observation.dim), twin_obs(obs.size());
  ASSERT_THAT(env->Reset(11, absl::MakeSpan(obs)), IsOk());
  ASSERT_THAT(twin->Reset(11, absl::MakeSpan(twin_obs)), IsOk());
  for (int t = 0; t < 10; ++t) {
    std::vector<float> wild(action_space.dim), clipped(action_space.dim);
    for (int i = 0; i < action_space.dim; ++i) {
      const bool high = (t + i) % 2 == 0;
      const float bound = high ? action_space.high[i] : action_space.low[i];
      wild[i] = bound + (high ? 1.0f : -1.0f) * (1.0f + 100.0f * std::abs(bound));
      clipped[i] = bound;
    }
    MBRL_ASSERT_OK_AND_ASSIGN(StepResult a, env->Step(wild, absl::MakeSpan(obs)));
    MBRL_ASSERT_OK_AND_ASSIGN(StepResult b, twin->Step(clipped, absl::MakeSpan(twin_obs)));
    ASSERT_EQ(obs, twin_obs) << "step " << t;
    ASSERT_EQ(a.reward, b.reward);
    if (a.terminated || a.truncated) break;
  }
}

// Random transitions through the env, then the batched functions on the same transitions.
TEST_P(ConformanceTest, BatchedFunctionsAgreeWithStepping) {
  std::unique_ptr<Env> env = NewEnv();
  ASSERT_NE(env, nullptr);
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchedEnvFunctions> functions,
                            MakeBatchedEnvFunctions(GetParam()));
  const EnvSpec& spec = env->spec();
  const int obs_dim = spec.observation.dim, act_dim = spec.action.dim;
  std::vector<float> observations, actions, next_observations, rewards;
  std::vector<uint8_t> terminated;
  std::vector<float> obs(obs_dim), next(obs_dim);
  std::mt19937_64 rng(3);
  uint64_t seed = 100;
  ASSERT_THAT(env->Reset(seed, absl::MakeSpan(obs)), IsOk());
  int terminations = 0;
  constexpr int kTransitions = 2000;
  for (int n = 0; n < kTransitions; ++n) {
    std::vector<float> action = RandomAction(spec.action, &rng, /*overshoot=*/1.2);
    MBRL_ASSERT_OK_AND_ASSIGN(StepResult result, env->Step(action, absl::MakeSpan(next)));
    ClipToSpace(spec.action, absl::MakeSpan(action));  // the functions take applied actions
    observations.insert(observations.end(), obs.begin(), obs.end());
    actions.insert(actions.end(), action.begin(), action.end());
    next_observations.insert(next_observations.end(), next.begin(), next.end());
    rewards.push_back(static_cast<float>(result.reward));
    terminated.push_back(result.terminated);
    terminations += result.terminated;
    obs = next;
    if (result.terminated || result.truncated) {
      ASSERT_THAT(env->Reset(++seed, absl::MakeSpan(obs)), IsOk());
    }
  }
  const auto as_tensor = [](std::vector<float>& data, int64_t columns) {
    return at::from_blob(data.data(), {static_cast<int64_t>(data.size()) / columns, columns},
                         at::kFloat);
  };
  const at::Tensor reward =
      functions->Reward(as_tensor(observations, obs_dim), as_tensor(actions, act_dim),
                        as_tensor(next_observations, obs_dim));
  const at::Tensor done = functions->Terminated(as_tensor(next_observations, obs_dim));
  ASSERT_EQ(reward.scalar_type(), at::kFloat);
  ASSERT_EQ(done.scalar_type(), at::kBool);
  ASSERT_EQ(reward.sizes(), at::IntArrayRef({kTransitions}));
  ASSERT_EQ(done.sizes(), at::IntArrayRef({kTransitions}));
  const float* r = reward.data_ptr<float>();
  const bool* d = done.data_ptr<bool>();
  for (int n = 0; n < kTransitions; ++n) {
    ASSERT_NEAR(r[n], rewards[n], 1e-5 + 1e-5 * std::abs(rewards[n])) << "transition " << n;
    ASSERT_EQ(d[n], terminated[n] != 0) << "transition " << n;
  }
  RecordProperty("terminations", terminations);
}

TEST_P(ConformanceTest, BatchedFunctionsRejectBadShapes) {
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchedEnvFunctions> functions,
                            MakeBatchedEnvFunctions(GetParam()));
  std::unique_ptr<Env> env = NewEnv();
  ASSERT_NE(env, nullptr);
  const int obs_dim = env->spec().observation.dim, act_dim = env->spec().action.dim;
  const at::Tensor obs = at::zeros({4, obs_dim});
  const at::Tensor act = at::zeros({4, act_dim});
  EXPECT_THROW(functions->Reward(obs, at::zeros({4, act_dim + 1}), obs), c10::Error);
  EXPECT_THROW(functions->Reward(obs, act, at::zeros({3, obs_dim})), c10::Error);
  EXPECT_THROW(functions->Reward(at::zeros({obs_dim}), act, obs), c10::Error);
  EXPECT_THROW(functions->Terminated(at::zeros({4, obs_dim + 2})), c10::Error);
  EXPECT_THROW(functions->Terminated(at::zeros({4, obs_dim}, at::kInt)), c10::Error);
  EXPECT_EQ(
      functions->Reward(at::zeros({0, obs_dim}), at::zeros({0, act_dim}), at::zeros({0, obs_dim}))
          .numel(),
      0);
}

// A long random rollout with the invariants checked after every step.
TEST_P(ConformanceTest, LongRandomRolloutKeepsInvariants) {
  std::unique_ptr<Env> env = NewEnv();
  ASSERT_NE(env, nullptr);
  const EnvSpec& spec = env->spec();
  std::vector<float> obs(spec.observation.dim);
  std::mt19937_64 rng(4);
  uint64_t seed = 0;
  ASSERT_THAT(env->Reset(seed, absl::MakeSpan(obs)), IsOk());
  const auto check_observation = [&spec](const std::vector<float>& obs, int n) {
    for (int i = 0; i < spec.observation.dim; ++i) {
      ASSERT_TRUE(std::isfinite(obs[i])) << "step " << n << " entry " << i;
      ASSERT_GE(obs[i], spec.observation.low[i]) << "step " << n << " entry " << i;
      ASSERT_LE(obs[i], spec.observation.high[i]) << "step " << n << " entry " << i;
    }
  };
  check_observation(obs, 0);
  int episodes = 0;
  for (int n = 0; n < 10000; ++n) {
    const std::vector<float> action = RandomAction(spec.action, &rng, /*overshoot=*/1.5);
    MBRL_ASSERT_OK_AND_ASSIGN(StepResult result, env->Step(action, absl::MakeSpan(obs)));
    ASSERT_TRUE(std::isfinite(result.reward)) << "step " << n;
    ASSERT_NO_FATAL_FAILURE(check_observation(obs, n));
    ASSERT_FALSE(result.terminated && result.truncated);
    ASSERT_EQ(result.truncated, !result.terminated && env->elapsed_steps() == kHorizon);
    ASSERT_LE(env->elapsed_steps(), kHorizon);
    if (result.terminated || result.truncated) {
      ASSERT_THAT(env->Step(action, absl::MakeSpan(obs)),
                  StatusIs(absl::StatusCode::kFailedPrecondition));
      ASSERT_THAT(env->Reset(++seed, absl::MakeSpan(obs)), IsOk());
      ASSERT_NO_FATAL_FAILURE(check_observation(obs, n));
      ASSERT_EQ(env->elapsed_steps(), 0);
      ++episodes;
    }
  }
  EXPECT_GE(episodes, 10000 / kHorizon);
}

INSTANTIATE_TEST_SUITE_P(AllEnvs, ConformanceTest, ::testing::ValuesIn(RegisteredEnvNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace mbrl::envs
