#include "learner/rollouts.h"

#include <ATen/ATen.h>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

Rollouts Example() {
  at::manual_seed(1);
  Rollouts r;
  r.observations = at::randn({3, 5, 2});
  r.actions = at::randn({3, 4, 1});
  r.rewards = at::tensor({1.0f, 2.0f, 3.0f, 4.0f, 1.0f, 1.0f, 0.0f, 0.0f, 5.0f, 0.0f, 0.0f, 0.0f})
                  .view({3, 4});
  r.lengths = at::tensor({4, 2, 1}, at::kInt);
  r.terminated = at::tensor({0, 1, 1}, at::kInt).to(at::kBool);
  return r;
}

TEST(RolloutsTest, MaskAndReturns) {
  const Rollouts r = Example();
  EXPECT_TRUE(at::equal(r.StepMask(), at::tensor({1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f,
                                                  1.0f, 0.0f, 0.0f, 0.0f})
                                          .view({3, 4})));
  EXPECT_TRUE(at::equal(r.Returns(), at::tensor({10.0, 2.0, 5.0}, at::kDouble)));
}

TEST(RolloutsTest, ProtoRoundTripIsExact) {
  const Rollouts r = Example();
  v1::RolloutBatch batch;
  MBRL_ASSERT_OK(RolloutsToProto(r, &batch));
  MBRL_ASSERT_OK_AND_ASSIGN(Rollouts back, RolloutsFromProto(batch, 2, 1));
  EXPECT_TRUE(at::equal(back.observations, r.observations));
  EXPECT_TRUE(at::equal(back.actions, r.actions));
  EXPECT_TRUE(at::equal(back.rewards, r.rewards));
  EXPECT_TRUE(at::equal(back.lengths, r.lengths));
  EXPECT_TRUE(at::equal(back.terminated, r.terminated));
}

TEST(RolloutsTest, MalformedBatchesAreRejected) {
  v1::RolloutBatch good;
  MBRL_ASSERT_OK(RolloutsToProto(Example(), &good));
  EXPECT_THAT(RolloutsFromProto(good, 3, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("observations")));
  EXPECT_THAT(RolloutsFromProto(good, 2, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("actions")));

  Rollouts zero_length = Example();
  zero_length.lengths[2] = 0;
  EXPECT_THAT(ValidateRollouts(zero_length, 2, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lengths")));
  Rollouts too_long = Example();
  too_long.lengths[0] = 5;
  EXPECT_THAT(ValidateRollouts(too_long, 2, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  Rollouts nan = Example();
  nan.rewards[1][1] = NAN;
  EXPECT_THAT(ValidateRollouts(nan, 2, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rewards: has NaN")));
  Rollouts wrong_type = Example();
  wrong_type.lengths = wrong_type.lengths.to(at::kLong);
  EXPECT_THAT(ValidateRollouts(wrong_type, 2, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lengths: expected Int")));
  v1::RolloutBatch garbage = good;
  garbage.mutable_rewards()->set_data("abc");
  EXPECT_THAT(RolloutsFromProto(garbage, 2, 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RolloutsTest, SliceAndConcat) {
  const Rollouts r = Example();
  const Rollouts joined = ConcatRollouts({SliceRollouts(r, 0, 1), SliceRollouts(r, 1, 2)});
  EXPECT_TRUE(at::equal(joined.observations, r.observations));
  EXPECT_TRUE(at::equal(joined.lengths, r.lengths));
  EXPECT_FALSE(joined.behavior_log_probs.defined());
  Rollouts stale = Example();
  stale.behavior_log_probs = at::randn({stale.trajectories(), stale.horizon()});
  const Rollouts rejoined =
      ConcatRollouts({SliceRollouts(stale, 0, 1), SliceRollouts(stale, 1, 2)});
  EXPECT_TRUE(at::equal(rejoined.behavior_log_probs, stale.behavior_log_probs));
}

}  // namespace
}  // namespace mbrl::learner
