#include "services/replay/sum_tree.h"

#include <random>

#include "gtest/gtest.h"

namespace mbrl::replay {
namespace {

TEST(SumTreeTest, RangeUpdatesKeepExactSums) {
  SumTree tree(8);
  tree.SetRange(0, 8, 1.0);
  EXPECT_DOUBLE_EQ(tree.total(), 8.0);
  tree.Set(3, 5.0);
  EXPECT_DOUBLE_EQ(tree.total(), 12.0);
  tree.SetRange(6, 4, 2.0);  // wraps: positions 6, 7, 8 (slot 0), 9 (slot 1)
  EXPECT_DOUBLE_EQ(tree.Get(8), 2.0);
  EXPECT_DOUBLE_EQ(tree.Get(0), 2.0);                             // the same slot
  EXPECT_DOUBLE_EQ(tree.total(), 2 + 2 + 1 + 5 + 1 + 1 + 2 + 2);  // slots 0..7
}

TEST(SumTreeTest, FindFollowsCumulativeRanges) {
  SumTree tree(4);
  // Window [10, 14) on a ring of 4: positions 12, 13, 10, 11 sit in slots 0..3, and the
  // cumulative ranges follow slot order: [0, 3) -> 12, [3, 7) -> 13, [7, 8) -> 10, 11 never.
  tree.Set(10, 1.0);
  tree.Set(11, 0.0);
  tree.Set(12, 3.0);
  tree.Set(13, 4.0);
  EXPECT_EQ(tree.Find(0.5, 10), 12u);
  EXPECT_EQ(tree.Find(3.0, 10), 13u);
  EXPECT_EQ(tree.Find(6.99, 10), 13u);
  EXPECT_EQ(tree.Find(7.0, 10), 10u);
  EXPECT_EQ(tree.Find(7.99, 10), 10u);
}

TEST(SumTreeTest, GrowKeepsTheLiveWindow) {
  SumTree tree(4);
  for (uint64_t p = 5; p < 9; ++p) tree.Set(p, static_cast<double>(p));
  tree.Grow(10, /*front=*/5);
  EXPECT_EQ(tree.capacity(), 16u);
  for (uint64_t p = 5; p < 9; ++p) EXPECT_DOUBLE_EQ(tree.Get(p), static_cast<double>(p));
  EXPECT_DOUBLE_EQ(tree.total(), 5 + 6 + 7 + 8);
  tree.SetRange(9, 12, 1.0);  // the window is now [5, 21)
  EXPECT_DOUBLE_EQ(tree.total(), 26 + 12);
}

TEST(SumTreeTest, DrawsProportionally) {
  SumTree tree(1024);
  tree.SetRange(0, 1000, 1.0);
  tree.Set(500, 1000.0);  // half the mass
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, tree.total());
  int hits = 0;
  for (int i = 0; i < 20000; ++i) hits += tree.Find(u(rng), 0) == 500;
  EXPECT_NEAR(hits / 20000.0, 1000.0 / 1999.0, 0.02);
}

}  // namespace
}  // namespace mbrl::replay
