#include "bench/env_bench.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "actors/envs/locomotion.h"
#include "actors/envs/registry.h"
#include "common/status_macros.h"

namespace mbrl::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

v1::EnvConfig Config(const std::string& name, int horizon) {
  v1::EnvConfig config;
  config.set_name(name);
  config.set_horizon(horizon);
  return config;
}

// Uniform actions within the bounds, `rows` rows of `count` values, cycled through by callers.
std::vector<float> RandomActions(const envs::BoxSpace& space, int count, int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> actions(static_cast<size_t>(rows) * count);
  for (size_t k = 0; k < actions.size(); ++k) {
    const int i = k % space.dim;
    actions[k] = std::uniform_real_distribution<float>(space.low[i], space.high[i])(rng);
  }
  return actions;
}

// Steps a vector env of `envs_per_thread * threads` envs for about `seconds`; returns env steps
// per second per thread.
absl::StatusOr<double> VectorRate(const std::string& name, int horizon, int envs_per_thread,
                                  int threads, double seconds) {
  const int n = envs_per_thread * threads;
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::VectorEnv> env,
                        envs::MakeVectorEnv(Config(name, horizon), {n, threads}));
  const int obs_dim = env->spec().observation.dim, act_dim = env->spec().action.dim;
  constexpr int kActionRows = 64;
  const std::vector<float> actions = RandomActions(env->spec().action, n * act_dim, kActionRows, 1);
  std::vector<float> observations(n * obs_dim), final_observations(n * obs_dim), rewards(n);
  std::vector<uint8_t> terminated(n), truncated(n);
  const envs::VectorStepOutput output{absl::MakeSpan(observations), absl::MakeSpan(rewards),
                                      absl::MakeSpan(terminated), absl::MakeSpan(truncated),
                                      absl::MakeSpan(final_observations)};
  MBRL_RETURN_IF_ERROR(env->Reset(/*seed=*/0, absl::MakeSpan(observations)));
  int64_t calls = 0;
  const Clock::time_point start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 8; ++k, ++calls) {
      const float* row = &actions[(calls % kActionRows) * n * act_dim];
      MBRL_RETURN_IF_ERROR(env->Step(absl::MakeConstSpan(row, n * act_dim), output));
    }
    elapsed = SecondsSince(start);
  }
  return static_cast<double>(calls) * n / elapsed / threads;
}

struct OverheadTimes {
  double ours = 0;  // seconds per env step
  double raw = 0;
};

// HalfCheetah episodes through the Env API and through the raw MuJoCo loop, on identical
// trajectories; the fastest of `repeats` alternating runs of each.
absl::StatusOr<OverheadTimes> HalfCheetahOverhead(const EnvBenchOptions& options) {
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::Env> base,
                        envs::LocomotionEnv::Create("HalfCheetah", options.horizon));
  auto* env = static_cast<envs::LocomotionEnv*>(base.get());
  const envs::LocomotionTask& task = *envs::FindLocomotionTask("HalfCheetah");
  const mjModel* model = env->model();
  const int obs_dim = env->spec().observation.dim, nu = model->nu;
  const int episodes = options.overhead_episodes, horizon = options.horizon;
  const std::vector<float> actions =
      RandomActions(env->spec().action, nu, episodes * horizon, /*seed=*/2);

  // The initial state of every episode, captured from the env's own resets: everything
  // mj_step reads (mj_copyData would also copy MuJoCo's multi-megabyte stack arena).
  struct SimState {
    double time;
    std::vector<double> qpos, qvel, act, qacc_warmstart;
  };
  std::vector<float> obs(obs_dim);
  std::vector<SimState> initial_states;
  for (int e = 0; e < episodes; ++e) {
    MBRL_RETURN_IF_ERROR(env->Reset(e, absl::MakeSpan(obs)));
    const mjData* d = env->data();
    initial_states.push_back({d->time,
                              {d->qpos, d->qpos + model->nq},
                              {d->qvel, d->qvel + model->nv},
                              {d->act, d->act + model->na},
                              {d->qacc_warmstart, d->qacc_warmstart + model->nv}});
  }
  // The raw loop steps the env's own mjData (restored to each episode's initial state), so both
  // sides work on the same memory.
  mjData* const raw = env->data();
  // Where each episode ends, on each side: the two loops must simulate the same trajectories.
  std::vector<double> final_x_ours(episodes), final_x_raw(episodes);

  const auto run_ours = [&]() -> absl::StatusOr<double> {
    const Clock::time_point start = Clock::now();
    for (int e = 0; e < episodes; ++e) {
      MBRL_RETURN_IF_ERROR(env->Reset(e, absl::MakeSpan(obs)));
      for (int t = 0; t < horizon; ++t) {
        const float* action = &actions[(e * horizon + t) * nu];
        MBRL_RETURN_IF_ERROR(
            env->Step(absl::MakeConstSpan(action, nu), absl::MakeSpan(obs)).status());
      }
      final_x_ours[e] = env->data()->qpos[0];
    }
    return SecondsSince(start) / (episodes * horizon);
  };
  const auto run_raw = [&]() {
    const Clock::time_point start = Clock::now();
    for (int e = 0; e < episodes; ++e) {
      const SimState& state = initial_states[e];
      raw->time = state.time;
      std::copy(state.qpos.begin(), state.qpos.end(), raw->qpos);
      std::copy(state.qvel.begin(), state.qvel.end(), raw->qvel);
      std::copy(state.act.begin(), state.act.end(), raw->act);
      std::copy(state.qacc_warmstart.begin(), state.qacc_warmstart.end(), raw->qacc_warmstart);
      for (int t = 0; t < horizon; ++t) {
        const float* action = &actions[(e * horizon + t) * nu];
        for (int i = 0; i < nu; ++i) raw->ctrl[i] = action[i];
        for (int k = 0; k < task.frame_skip; ++k) mj_step(model, raw);
      }
      final_x_raw[e] = raw->qpos[0];
    }
    return SecondsSince(start) / (episodes * horizon);
  };
  // Alternate which side goes first so that neither gains from running second (warm caches,
  // clock ramp-up); keep each side's fastest repeat.
  OverheadTimes best{1e30, 1e30};
  for (int repeat = 0; repeat < options.overhead_repeats; ++repeat) {
    if (repeat % 2 == 1) best.raw = std::min(best.raw, run_raw());
    MBRL_ASSIGN_OR_RETURN(const double ours, run_ours());
    best.ours = std::min(best.ours, ours);
    if (repeat % 2 == 0) best.raw = std::min(best.raw, run_raw());
  }
  if (final_x_ours != final_x_raw) {
    return absl::InternalError("HalfCheetah overhead: the env and the raw loop diverged");
  }
  return best;
}

}  // namespace

absl::StatusOr<EnvBenchResults> RunEnvBench(const EnvBenchOptions& options, std::ostream& log) {
  if (options.seconds <= 0 || options.pendulum_envs < 1 || options.halfcheetah_envs < 1 ||
      options.overhead_episodes < 1 || options.overhead_repeats < 1 || options.horizon < 1) {
    return absl::InvalidArgumentError("bench env: every option must be positive");
  }
  EnvBenchResults results;
  for (const auto& [name, key, envs_per_thread] :
       std::vector<std::tuple<std::string, std::string, int>>{
           {"Pendulum", "pendulum", options.pendulum_envs},
           {"HalfCheetah", "halfcheetah", options.halfcheetah_envs}}) {
    for (int threads : {1, 2}) {
      MBRL_ASSIGN_OR_RETURN(const double rate, VectorRate(name, options.horizon, envs_per_thread,
                                                          threads, options.seconds));
      log << absl::StrFormat("%s: %d thread(s) x %d envs: %.0f steps/s per core (%.0f total)\n",
                             name, threads, envs_per_thread, rate, rate * threads);
      results.emplace_back(threads == 1 ? absl::StrCat(key, "_steps_per_s_per_core")
                                        : absl::StrCat(key, "_2threads_steps_per_s_per_core"),
                           rate);
    }
  }
  MBRL_ASSIGN_OR_RETURN(const OverheadTimes times, HalfCheetahOverhead(options));
  log << absl::StrFormat(
      "HalfCheetah, one env, %d episodes x %d steps, best of %d: %.2f us/step ours, %.2f us/step "
      "raw mj_step x 5 (%.0f raw steps/s)\n",
      options.overhead_episodes, options.horizon, options.overhead_repeats, times.ours * 1e6,
      times.raw * 1e6, 1.0 / times.raw);
  results.emplace_back("halfcheetah_raw_steps_per_s", 1.0 / times.raw);
  results.emplace_back("halfcheetah_overhead_vs_raw", times.ours / times.raw);
  return results;
}

}  // namespace mbrl::bench
