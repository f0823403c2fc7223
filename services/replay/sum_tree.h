// A sum tree over a sliding window of positions (a ring), for prioritized sampling: O(log n)
// point updates and proportional draws, O(count + log n) range updates (a whole chunk at once).
//
// Positions are consecutive integers; the live window [front, front + capacity) maps onto the
// ring, and Grow() doubles the capacity when the window needs more room. Not thread-safe.
#ifndef MBRL_SERVICES_REPLAY_SUM_TREE_H_
#define MBRL_SERVICES_REPLAY_SUM_TREE_H_

#include <cstdint>
#include <vector>

namespace mbrl::replay {

class SumTree {
 public:
  // `capacity` is rounded up to a power of two (at least 1).
  explicit SumTree(uint64_t capacity = 1024);

  uint64_t capacity() const { return capacity_; }

  // Sets `count` positions from `first` to `value` (>= 0). Positions must lie in a window of
  // `capacity()` consecutive positions that holds every non-zero one.
  void SetRange(uint64_t first, uint64_t count, double value);
  void Set(uint64_t position, double value) { SetRange(position, 1, value); }
  double Get(uint64_t position) const { return tree_[capacity_ + Slot(position)]; }

  double total() const { return tree_[1]; }

  // The position p in [front, front + capacity()) whose cumulative range holds `u` in
  // [0, total()). Rounding may land on a zero-valued position; callers check Get().
  uint64_t Find(double u, uint64_t front) const;

  // Doubles the capacity until it is >= `needed`, keeping the values of the live window
  // [front, front + old capacity).
  void Grow(uint64_t needed, uint64_t front);

 private:
  uint64_t Slot(uint64_t position) const { return position & (capacity_ - 1); }

  uint64_t capacity_;
  std::vector<double> tree_;  // 1-based heap; leaves at [capacity_, 2 * capacity_)
};

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_SUM_TREE_H_
