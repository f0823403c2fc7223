#include "services/common/episode_plan.h"

#include <algorithm>
#include <string>

namespace mbrl {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

uint64_t Mix64(uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

uint64_t StableHash(const std::string& text) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001B3ULL;
  }
  return Mix64(hash);
}

absl::StatusOr<EpisodePlan> EpisodePlan::Create(const v1::ExperimentConfig& config) {
  EpisodePlan plan;
  plan.seed_ = config.seed();
  plan.horizon_ = config.env().horizon();
  plan.evaluation_episodes_ = config.evaluation().episodes();
  if (plan.horizon_ < 1) return absl::InvalidArgumentError("env.horizon must be >= 1");
  int64_t initial_random_steps = 0;
  if (config.has_mbmpo()) {
    const v1::MbmpoConfig& mbmpo = config.mbmpo();
    plan.mbmpo_ = true;
    plan.iterations_ = mbmpo.iterations();
    plan.tasks_ = mbmpo.meta_batch_size();
    plan.episodes_per_task_ = mbmpo.real_episodes_per_task();
    plan.episodes_ = plan.tasks_ * plan.episodes_per_task_;
    initial_random_steps = static_cast<int64_t>(mbmpo.initial_random_steps());
  } else if (config.has_metrpo()) {
    const v1::MetrpoConfig& metrpo = config.metrpo();
    plan.iterations_ = metrpo.iterations();
    plan.episodes_ = std::max<int64_t>(
        1, CeilDiv(static_cast<int64_t>(metrpo.real_steps_per_iteration()), plan.horizon_));
    initial_random_steps = static_cast<int64_t>(metrpo.initial_random_steps());
  } else {
    return absl::InvalidArgumentError("the config sets no algorithm (mbmpo or metrpo)");
  }
  if (plan.iterations_ < 1 || plan.tasks_ < 1 || plan.episodes_per_task_ < 1) {
    return absl::InvalidArgumentError("iterations, tasks and episodes per task must be >= 1");
  }
  plan.random_first_ = initial_random_steps > 0;
  plan.first_episodes_ = plan.random_first_
                             ? std::max<int64_t>(1, CeilDiv(initial_random_steps, plan.horizon_))
                             : plan.episodes_;
  return plan;
}

int64_t EpisodePlan::EpisodesIn(int64_t iteration) const {
  return iteration == 0 ? first_episodes_ : episodes_;
}

uint64_t EpisodePlan::FirstEpisode(int64_t iteration) const {
  if (iteration <= 0) return 0;
  return static_cast<uint64_t>(first_episodes_ + (iteration - 1) * episodes_);
}

int64_t EpisodePlan::IterationOf(uint64_t episode) const {
  const int64_t e = static_cast<int64_t>(episode);
  if (e < first_episodes_) return 0;
  return 1 + (e - first_episodes_) / episodes_;
}

bool EpisodePlan::RandomActions(int64_t iteration) const { return iteration == 0 && random_first_; }

int64_t EpisodePlan::MaxStepsThrough(int64_t iteration) const {
  return static_cast<int64_t>(FirstEpisode(iteration + 1)) * horizon_;
}

uint32_t EpisodePlan::TaskOf(uint64_t episode) const {
  const int64_t iteration = IterationOf(episode);
  if (!mbmpo_ || RandomActions(iteration)) return 0;
  const int64_t index = static_cast<int64_t>(episode - FirstEpisode(iteration));
  return static_cast<uint32_t>((index / episodes_per_task_) % tasks_);
}

uint64_t EpisodePlan::EpisodeId(uint64_t episode) const {
  return Mix64(Mix64(seed_ ^ 0x6D62726C65706973ULL) + episode);
}

uint64_t EpisodePlan::EpisodeSeed(uint64_t episode) const { return (seed_ << 32) + episode; }

uint64_t EpisodePlan::EvaluationSeed(int64_t iteration) const {
  return ((seed_ << 32) | (uint64_t{1} << 31)) +
         static_cast<uint64_t>(iteration) * static_cast<uint64_t>(evaluation_episodes_);
}

}  // namespace mbrl
