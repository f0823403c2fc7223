#include "services/policy_learner/work_queue.h"

#include <algorithm>

namespace mbrl::policy_learner {

WorkQueue::WorkQueue(const EpisodePlan& plan, absl::Duration lease)
    : plan_(plan),
      lease_(lease),
      total_(plan.FirstEpisode(plan.iterations())),
      collected_(total_, false),
      collected_per_iteration_(plan.iterations(), 0) {}

void WorkQueue::ReleaseThrough(uint64_t end) {
  released_ = std::max(released_, std::min(end, total_));
}

std::optional<WorkQueue::Claim> WorkQueue::ClaimEpisodes(uint32_t max_episodes, absl::Time now) {
  max_episodes = std::max<uint32_t>(max_episodes, 1);
  while (next_ < released_ && collected_[next_]) ++next_;
  // The run to hand out: [first, end), within [first, limit).
  auto run_end = [&](uint64_t first, uint64_t limit) {
    const int64_t iteration = plan_.IterationOf(first);
    limit = std::min<uint64_t>({limit, first + max_episodes, plan_.FirstEpisode(iteration + 1)});
    uint64_t end = first;
    while (end < limit && !collected_[end]) ++end;
    return end;
  };
  if (next_ < released_) {
    const uint64_t first = next_;
    const uint64_t end = run_end(first, released_);
    leases_[first] = {static_cast<uint32_t>(end - first), now + lease_};
    next_ = end;
    return Claim{first, static_cast<uint32_t>(end - first), plan_.IterationOf(first)};
  }
  // An expired lease: the first of its episodes that is still not collected, and what follows.
  for (auto it = leases_.begin(); it != leases_.end(); ++it) {
    if (it->second.expiry > now) continue;
    const uint64_t lease_end = it->first + it->second.episodes;
    uint64_t first = it->first;
    while (first < lease_end && collected_[first]) ++first;
    if (first == lease_end) continue;
    const uint64_t end = run_end(first, lease_end);
    const absl::Time old_expiry = it->second.expiry;
    leases_.erase(it);
    leases_[first] = {static_cast<uint32_t>(end - first), now + lease_};
    if (end < lease_end) leases_[end] = {static_cast<uint32_t>(lease_end - end), old_expiry};
    return Claim{first, static_cast<uint32_t>(end - first), plan_.IterationOf(first)};
  }
  return std::nullopt;
}

uint64_t WorkQueue::Collect(uint64_t first_episode, uint32_t episodes,
                            const std::vector<uint64_t>& steps) {
  uint64_t new_steps = 0;
  for (uint32_t j = 0; j < episodes; ++j) {
    const uint64_t e = first_episode + j;
    if (e >= total_ || collected_[e]) continue;
    collected_[e] = true;
    ++collected_count_;
    ++collected_per_iteration_[plan_.IterationOf(e)];
    if (j < steps.size()) new_steps += steps[j];
  }
  // Leases whose episodes are all collected are done.
  for (auto it = leases_.begin(); it != leases_.end();) {
    bool done = true;
    for (uint64_t e = it->first; e < it->first + it->second.episodes && done; ++e) {
      done = collected_[e];
    }
    it = done ? leases_.erase(it) : std::next(it);
  }
  return new_steps;
}

bool WorkQueue::IsCollected(uint64_t episode) const {
  return episode < total_ && collected_[episode];
}

bool WorkQueue::IterationCollected(int64_t iteration) const {
  if (iteration < 0 || iteration >= plan_.iterations()) return false;
  return collected_per_iteration_[iteration] >= plan_.EpisodesIn(iteration);
}

std::vector<v1::EpisodeRange> WorkQueue::CollectedRanges() const {
  std::vector<v1::EpisodeRange> ranges;
  for (uint64_t e = 0; e < total_;) {
    if (!collected_[e]) {
      ++e;
      continue;
    }
    uint64_t end = e;
    while (end < total_ && collected_[end]) ++end;
    v1::EpisodeRange range;
    range.set_first(e);
    range.set_count(end - e);
    ranges.push_back(range);
    e = end;
  }
  return ranges;
}

void WorkQueue::RestoreCollected(const std::vector<v1::EpisodeRange>& ranges) {
  for (const v1::EpisodeRange& range : ranges) {
    Collect(range.first(), static_cast<uint32_t>(range.count()), {});
  }
}

}  // namespace mbrl::policy_learner
