// The model learner's view of the real transitions in replay: the transitions of every episode
// scanned so far, kept in a canonical order (by the episode's global index in the EpisodePlan,
// then by the shard's sequence), and which iterations have all their episodes in.
//
// The canonical order makes the training data independent of how scans interleave with inserts
// and of the number of shards, so a SYNC run with one actor of each kind fits exactly the same
// data every time, and a restarted model learner (which re-reads replay from the start) rebuilds
// the same data. Transitions of episodes the plan does not know (inserted by something else)
// come after the plan's, in the order they were scanned.
//
// Not thread-safe: one owner thread.
#ifndef MBRL_SERVICES_MODEL_LEARNER_EPISODE_STORE_H_
#define MBRL_SERVICES_MODEL_LEARNER_EPISODE_STORE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "learner/dynamics/interface.h"
#include "mbrl/v1/replay.pb.h"
#include "services/common/episode_plan.h"

namespace mbrl::model_learner {

class EpisodeStore {
 public:
  // Keeps at most the newest `capacity` transitions (in canonical order; older episodes are
  // dropped whole once no transition of theirs is among the newest `capacity`).
  EpisodeStore(const EpisodePlan& plan, int64_t observation_dim, int64_t action_dim,
               int64_t capacity);

  // Adds the transitions of one Scan response. INVALID_ARGUMENT (nothing added) for a malformed
  // batch: wrong dtypes or shapes, non-finite values.
  absl::Status Add(const v1::ScanResponse& response);

  // k: every episode of iterations 0 .. k - 1 has ended (its last transition is in).
  int64_t complete_iterations() const { return complete_iterations_; }
  // Transitions added since construction (dropped ones included).
  uint64_t added() const { return added_; }
  // Transitions held.
  int64_t size() const { return rows_; }

  // The newest `capacity` transitions held, in canonical order (new tensors).
  learner::TransitionData Data() const;

 private:
  struct Piece {
    int64_t first_key;
    at::Tensor observations;
    at::Tensor actions;
    at::Tensor next_observations;
  };
  struct Episode {
    std::vector<Piece> pieces;
    int64_t rows = 0;
  };

  // The canonical position of an episode id.
  uint64_t OrderOf(uint64_t episode_id);
  void MarkEnded(uint64_t order);
  void DropOldEpisodes();

  const EpisodePlan plan_;
  const int64_t observation_dim_;
  const int64_t action_dim_;
  const int64_t capacity_;
  // Plan episode ids -> global index, for every episode of the plan's iterations.
  absl::flat_hash_map<uint64_t, uint64_t> plan_index_;
  // Episodes outside the plan -> their position after the plan's (arrival order).
  absl::flat_hash_map<uint64_t, uint64_t> foreign_index_;
  std::map<uint64_t, Episode> episodes_;       // by canonical position
  absl::flat_hash_map<uint64_t, bool> ended_;  // plan episodes whose last transition is in
  std::vector<int64_t> ended_per_iteration_;
  int64_t complete_iterations_ = 0;
  int64_t rows_ = 0;
  uint64_t added_ = 0;
};

}  // namespace mbrl::model_learner

#endif  // MBRL_SERVICES_MODEL_LEARNER_EPISODE_STORE_H_
