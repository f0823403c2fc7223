// The real episodes of an experiment as every role numbers them: episodes 0, 1, 2, ... across
// iterations, iteration i holding EpisodesIn(i) of them from FirstEpisode(i) on. From its global
// index an episode gets its replay episode id, its env reset seed and (MB-MPO) the task whose
// adapted policy explores with it, so the policy learner can hand episodes out, env actors run
// them, and the model learner recognise in replay when an iteration's episodes are all in,
// without telling each other more than an index.
//
// Iteration 0 collects config.<algorithm>.initial_random_steps with uniform-random actions (in
// whole episodes) when that is > 0; every other iteration collects the algorithm's policy
// episodes (MB-MPO: meta_batch_size * real_episodes_per_task, episode k of an iteration acting
// with task k / real_episodes_per_task's adapted policy; ME-TRPO: real_steps_per_iteration in
// whole episodes). Episode e is reset with seed (config.seed << 32) + e and evaluation episode j
// of iteration i with ((config.seed << 32) | 2^31) + i * evaluation.episodes + j, the seeds
// `mbrl train` uses.
//
// Immutable and thread-safe.
#ifndef MBRL_SERVICES_COMMON_EPISODE_PLAN_H_
#define MBRL_SERVICES_COMMON_EPISODE_PLAN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl {

class EpisodePlan {
 public:
  // `config` must be validated (common/config.h) and set an algorithm; INVALID_ARGUMENT
  // otherwise.
  static absl::StatusOr<EpisodePlan> Create(const v1::ExperimentConfig& config);

  bool mbmpo() const { return mbmpo_; }
  int64_t iterations() const { return iterations_; }
  int64_t horizon() const { return horizon_; }
  // MB-MPO's meta_batch_size; 1 for ME-TRPO.
  int64_t tasks() const { return tasks_; }

  int64_t EpisodesIn(int64_t iteration) const;
  uint64_t FirstEpisode(int64_t iteration) const;
  // The iteration episode `episode` belongs to.
  int64_t IterationOf(uint64_t episode) const;
  // Whether iteration `iteration` acts with uniform-random actions.
  bool RandomActions(int64_t iteration) const;
  // The most real steps iterations 0 .. iteration can take together.
  int64_t MaxStepsThrough(int64_t iteration) const;

  // MB-MPO: the task whose adapted policy runs `episode` (0 for random or ME-TRPO episodes).
  uint32_t TaskOf(uint64_t episode) const;
  // The replay episode id (a 64-bit mix of the seed and the index: distinct across episodes and
  // seeds) and the env reset seed of `episode`.
  uint64_t EpisodeId(uint64_t episode) const;
  uint64_t EpisodeSeed(uint64_t episode) const;
  // The reset seed of evaluation episode 0 after iteration `iteration`; episode j adds j.
  uint64_t EvaluationSeed(int64_t iteration) const;

 private:
  EpisodePlan() = default;

  bool mbmpo_ = false;
  uint64_t seed_ = 0;
  int64_t iterations_ = 0;
  int64_t horizon_ = 0;
  int64_t tasks_ = 1;
  int64_t episodes_per_task_ = 1;
  int64_t first_episodes_ = 0;  // iteration 0
  int64_t episodes_ = 0;        // every later iteration
  bool random_first_ = false;
  int64_t evaluation_episodes_ = 0;
};

// SplitMix64's output function: a bijective 64-bit mix (seeds, ids, hashes of names).
uint64_t Mix64(uint64_t value);
// A stable 64-bit hash of `text` (FNV-1a, then Mix64): the same in every process and build.
uint64_t StableHash(const std::string& text);

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_EPISODE_PLAN_H_
