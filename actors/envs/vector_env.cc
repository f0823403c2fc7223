#include "actors/envs/vector_env.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "actors/envs/random.h"
#include "common/status_macros.h"

namespace mbrl::envs {
namespace {

absl::Status CheckSize(const EnvSpec& spec, const char* what, size_t size, size_t expected) {
  if (size == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(spec.name, ": ", what, " has ", size, " entries, needs ", expected));
}

}  // namespace

absl::Status VectorEnv::ValidateOptions(const VectorEnvOptions& options) {
  if (options.num_envs < 1 || options.num_threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat("vector env: num_envs (", options.num_envs,
                                                   ") and num_threads (", options.num_threads,
                                                   ") must be >= 1"));
  }
  return absl::OkStatus();
}

VectorEnv::VectorEnv(EnvSpec spec, const VectorEnvOptions& options)
    : spec_(std::move(spec)),
      num_envs_(options.num_envs),
      runner_(std::min(options.num_threads, options.num_envs)),
      episode_steps_(options.num_envs, 0),
      episodes_started_(options.num_envs, 0) {}

absl::Status VectorEnv::Reset(uint64_t seed, absl::Span<float> observations) {
  const size_t obs_dim = spec_.observation.dim;
  if (absl::Status status =
          CheckSize(spec_, "observations", observations.size(), num_envs_ * obs_dim);
      !status.ok()) {
    return status;
  }
  seed_ = seed;
  const absl::Status status = RunRanges([&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      episode_steps_[i] = 0;
      episodes_started_[i] = 1;
      MBRL_RETURN_IF_ERROR(DoReset(i, seed + i, &observations[i * obs_dim]));
    }
    return absl::OkStatus();
  });
  started_ = status.ok();
  return status;
}

absl::Status VectorEnv::RunRanges(const std::function<absl::Status(int begin, int end)>& fn) {
  std::vector<absl::Status> statuses(num_threads());
  runner_.Run([&](int chunk) {
    const ChunkRange range = SplitRange(num_envs_, num_threads(), chunk);
    statuses[chunk] = fn(range.begin, range.end);
  });
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status VectorEnv::Step(absl::Span<const float> actions, const VectorStepOutput& output) {
  if (!started_) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec_.name, ": vector env Step before Reset"));
  }
  const size_t n = num_envs_, obs_dim = spec_.observation.dim, act_dim = spec_.action.dim;
  for (absl::Status status : {
           CheckSize(spec_, "actions", actions.size(), n * act_dim),
           CheckSize(spec_, "observations", output.observations.size(), n * obs_dim),
           CheckSize(spec_, "rewards", output.rewards.size(), n),
           CheckSize(spec_, "terminated", output.terminated.size(), n),
           CheckSize(spec_, "truncated", output.truncated.size(), n),
           CheckSize(spec_, "final_observations", output.final_observations.size(), n * obs_dim),
       }) {
    if (!status.ok()) return status;
  }
  for (size_t k = 0; k < actions.size(); ++k) {
    if (!std::isfinite(actions[k])) {
      return absl::InvalidArgumentError(absl::StrCat(spec_.name, ": action entry ", k % act_dim,
                                                     " of env ", k / act_dim, " is not finite (",
                                                     actions[k], ")"));
    }
  }
  const absl::Status status =
      RunRanges([&](int begin, int end) { return StepRange(begin, end, actions.data(), output); });
  started_ = status.ok();
  return status;
}

absl::Status VectorEnv::StepRange(int begin, int end, const float* actions,
                                  const VectorStepOutput& output) {
  const int obs_dim = spec_.observation.dim;
  MBRL_RETURN_IF_ERROR(DoStepRange(begin, end, actions, output.observations.data(),
                                   output.rewards.data(), output.terminated.data()));
  for (int i = begin; i < end; ++i) {
    const bool terminated = output.terminated[i] != 0;
    const bool truncated = !terminated && ++episode_steps_[i] >= spec_.max_episode_steps;
    output.truncated[i] = truncated;
    if (!terminated && !truncated) continue;
    float* observation = &output.observations[i * obs_dim];
    std::copy(observation, observation + obs_dim, &output.final_observations[i * obs_dim]);
    episode_steps_[i] = 0;
    MBRL_RETURN_IF_ERROR(DoReset(i, MixSeed(seed_ + i, episodes_started_[i]++), observation));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VectorEnv>> InstanceVectorEnv::Create(
    const std::function<absl::StatusOr<std::unique_ptr<Env>>()>& make_env,
    const VectorEnvOptions& options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) return status;
  std::vector<std::unique_ptr<Env>> envs;
  for (int i = 0; i < options.num_envs; ++i) {
    absl::StatusOr<std::unique_ptr<Env>> env = make_env();
    if (!env.ok()) return env.status();
    envs.push_back(std::move(*env));
  }
  return std::unique_ptr<VectorEnv>(new InstanceVectorEnv(std::move(envs), options));
}

InstanceVectorEnv::InstanceVectorEnv(std::vector<std::unique_ptr<Env>> envs,
                                     const VectorEnvOptions& options)
    : VectorEnv(envs.front()->spec(), options), envs_(std::move(envs)) {}

absl::Status InstanceVectorEnv::DoReset(int index, uint64_t seed, float* observation) {
  return envs_[index]->Reset(seed, absl::MakeSpan(observation, spec().observation.dim));
}

absl::Status InstanceVectorEnv::DoStepRange(int begin, int end, const float* actions,
                                            float* observations, float* rewards,
                                            uint8_t* terminated) {
  const int obs_dim = spec().observation.dim, act_dim = spec().action.dim;
  for (int i = begin; i < end; ++i) {
    MBRL_ASSIGN_OR_RETURN(const StepResult result,
                          envs_[i]->Step(absl::MakeConstSpan(actions + i * act_dim, act_dim),
                                         absl::MakeSpan(observations + i * obs_dim, obs_dim)));
    rewards[i] = static_cast<float>(result.reward);
    terminated[i] = result.terminated;
  }
  return absl::OkStatus();
}

}  // namespace mbrl::envs
