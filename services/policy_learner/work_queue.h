// The env actors' collection work, as the policy learner hands it out: the real episodes of the
// EpisodePlan that are released (may be collected now), leased to the actors that claimed them,
// and collected (reported durable in replay).
//
// An actor claims a contiguous run of released episodes of one iteration that nobody holds a
// lease on and that are not collected yet. A lease that runs out before the episodes are
// reported makes them claimable again (the actor crashed or hangs): running an episode twice is
// harmless, since the replay shards store each (episode id, chunk) once. Reports are idempotent.
//
// Not thread-safe: the policy learner calls it under its own lock.
#ifndef MBRL_SERVICES_POLICY_LEARNER_WORK_QUEUE_H_
#define MBRL_SERVICES_POLICY_LEARNER_WORK_QUEUE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "mbrl/v1/checkpoint.pb.h"
#include "services/common/episode_plan.h"

namespace mbrl::policy_learner {

class WorkQueue {
 public:
  struct Claim {
    uint64_t first_episode = 0;
    uint32_t episodes = 0;
    int64_t iteration = 0;
  };

  // Episodes are claimable for `lease` after each claim.
  WorkQueue(const EpisodePlan& plan, absl::Duration lease);

  // Makes every episode below `end` claimable (never shrinks).
  void ReleaseThrough(uint64_t end);
  uint64_t released() const { return released_; }

  // Up to `max_episodes` (>= 1) claimable episodes of one iteration, leased until now + lease:
  // never-claimed ones first, then ones whose lease ran out. nullopt if there are none.
  std::optional<Claim> ClaimEpisodes(uint32_t max_episodes, absl::Time now);

  // Marks `episodes` episodes from `first_episode` on collected, episode j having taken
  // steps[j] steps (missing entries count 0). Returns the steps of the episodes that were not
  // collected before (so each episode counts once); episodes outside the plan are ignored.
  uint64_t Collect(uint64_t first_episode, uint32_t episodes, const std::vector<uint64_t>& steps);

  bool IsCollected(uint64_t episode) const;
  // Every episode of `iteration` is collected.
  bool IterationCollected(int64_t iteration) const;
  uint64_t collected_episodes() const { return collected_count_; }

  // The collected episodes as ranges (checkpoints), and back.
  std::vector<v1::EpisodeRange> CollectedRanges() const;
  void RestoreCollected(const std::vector<v1::EpisodeRange>& ranges);

 private:
  struct Lease {
    uint32_t episodes;
    absl::Time expiry;
  };

  const EpisodePlan plan_;
  const absl::Duration lease_;
  const uint64_t total_;
  uint64_t released_ = 0;
  // Every episode below next_ has been claimed at least once (or is collected).
  uint64_t next_ = 0;
  std::map<uint64_t, Lease> leases_;  // by first episode
  std::vector<bool> collected_;
  uint64_t collected_count_ = 0;
  std::vector<int64_t> collected_per_iteration_;
};

}  // namespace mbrl::policy_learner

#endif  // MBRL_SERVICES_POLICY_LEARNER_WORK_QUEUE_H_
