#include "learner/transition_buffer.h"

#include <ATen/ATen.h>

#include "common/logging.h"

namespace mbrl::learner {
namespace {

at::Tensor AppendKeepLast(const at::Tensor& old, const at::Tensor& added, int64_t capacity) {
  const at::Tensor all = old.defined() ? at::cat({old, added}) : added.clone();
  const int64_t rows = all.size(0);
  return rows > capacity ? all.narrow(0, rows - capacity, capacity).clone() : all;
}

}  // namespace

TransitionBuffer::TransitionBuffer(int64_t capacity) : capacity_(capacity) {
  MBRL_CHECK(capacity >= 1) << "capacity " << capacity;
}

void TransitionBuffer::Add(const TransitionData& data) {
  if (data.size() == 0) return;
  data_.observations = AppendKeepLast(data_.observations, data.observations, capacity_);
  data_.actions = AppendKeepLast(data_.actions, data.actions, capacity_);
  data_.next_observations =
      AppendKeepLast(data_.next_observations, data.next_observations, capacity_);
}

}  // namespace mbrl::learner
