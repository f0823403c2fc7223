// A FIFO buffer of real transitions (the model's training data; MB-MPO keeps 1e5).
// Not thread-safe.
#ifndef MBRL_LEARNER_TRANSITION_BUFFER_H_
#define MBRL_LEARNER_TRANSITION_BUFFER_H_

#include <cstdint>

#include "learner/dynamics/interface.h"

namespace mbrl::learner {

class TransitionBuffer {
 public:
  // Precondition (checked): capacity >= 1.
  explicit TransitionBuffer(int64_t capacity);

  // Appends `data` (validated by the caller), dropping the oldest transitions beyond capacity.
  void Add(const TransitionData& data);
  // Every stored transition, oldest first (tensors shared with the buffer; do not modify).
  const TransitionData& data() const { return data_; }
  int64_t size() const { return data_.size(); }
  int64_t capacity() const { return capacity_; }

 private:
  int64_t capacity_;
  TransitionData data_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_TRANSITION_BUFFER_H_
