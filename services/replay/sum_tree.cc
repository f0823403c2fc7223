#include "services/replay/sum_tree.h"

#include <algorithm>

namespace mbrl::replay {
namespace {

uint64_t RoundUpToPowerOfTwo(uint64_t n) {
  uint64_t power = 1;
  while (power < n) power <<= 1;
  return power;
}

}  // namespace

SumTree::SumTree(uint64_t capacity)
    : capacity_(RoundUpToPowerOfTwo(std::max<uint64_t>(capacity, 1))), tree_(2 * capacity_, 0.0) {}

void SumTree::SetRange(uint64_t first, uint64_t count, double value) {
  if (count == 0) return;
  count = std::min(count, capacity_);
  // The range may wrap around the ring: update it as one or two contiguous leaf spans, then
  // recompute their ancestors level by level (sums recomputed, never adjusted: no drift).
  const uint64_t start = Slot(first);
  const uint64_t spans[2][2] = {{start, std::min(start + count, capacity_)},
                                {0, start + count > capacity_ ? start + count - capacity_ : 0}};
  for (const auto& span : spans) {
    uint64_t lo = span[0], hi = span[1];
    if (lo >= hi) continue;
    std::fill(tree_.begin() + capacity_ + lo, tree_.begin() + capacity_ + hi, value);
    lo = (capacity_ + lo) / 2;
    hi = (capacity_ + hi - 1) / 2;
    while (lo >= 1) {
      for (uint64_t i = lo; i <= hi; ++i) tree_[i] = tree_[2 * i] + tree_[2 * i + 1];
      if (lo == 1) break;
      lo /= 2;
      hi /= 2;
    }
  }
}

uint64_t SumTree::Find(double u, uint64_t front) const {
  uint64_t i = 1;
  while (i < capacity_) {
    const double left = tree_[2 * i];
    if (u < left) {
      i = 2 * i;
    } else {
      u -= left;
      i = 2 * i + 1;
    }
  }
  const uint64_t slot = i - capacity_;
  return front + ((slot - Slot(front)) & (capacity_ - 1));
}

void SumTree::Grow(uint64_t needed, uint64_t front) {
  if (needed <= capacity_) return;
  SumTree grown(RoundUpToPowerOfTwo(needed));
  for (uint64_t p = front; p < front + capacity_; ++p) {
    const double value = Get(p);
    if (value != 0) grown.tree_[grown.capacity_ + grown.Slot(p)] = value;
  }
  for (uint64_t i = grown.capacity_ - 1; i >= 1; --i) {
    grown.tree_[i] = grown.tree_[2 * i] + grown.tree_[2 * i + 1];
  }
  *this = std::move(grown);
}

}  // namespace mbrl::replay
