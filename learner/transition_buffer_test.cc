#include "learner/transition_buffer.h"

#include <ATen/ATen.h>

#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

TransitionData Rows(float first, int64_t n) {
  const at::Tensor x = at::arange(first, first + n, at::kFloat).unsqueeze(1);
  return {x, x * 10, x + 1};
}

TEST(TransitionBufferTest, KeepsTheNewestRowsInOrder) {
  TransitionBuffer buffer(5);
  EXPECT_EQ(buffer.size(), 0);
  buffer.Add(Rows(0, 3));
  EXPECT_EQ(buffer.size(), 3);
  buffer.Add(Rows(3, 4));  // 7 rows: 0 and 1 are dropped
  EXPECT_EQ(buffer.size(), 5);
  EXPECT_TRUE(at::equal(buffer.data().observations.squeeze(1), at::arange(2, 7, at::kFloat)));
  EXPECT_TRUE(at::equal(buffer.data().actions, buffer.data().observations * 10));
  EXPECT_TRUE(at::equal(buffer.data().next_observations, buffer.data().observations + 1));
}

}  // namespace
}  // namespace mbrl::learner
