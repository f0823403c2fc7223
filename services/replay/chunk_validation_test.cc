#include "services/replay/chunk_validation.h"

#include <cmath>
#include <limits>

#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/replay/synthetic_chunks.h"

namespace mbrl::replay {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

v1::TrajectoryChunk Good() { return MakeSyntheticChunk(0x1f, 3, 30, 10, 4, 2); }

void ExpectInvalid(const v1::TrajectoryChunk& chunk, const std::string& message) {
  EXPECT_THAT(ValidateChunk(chunk),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  EXPECT_THAT(ValidateChunk(chunk),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("episode 0x1f chunk 3")));
}

TEST(ChunkValidationTest, AcceptsAWellFormedChunk) {
  absl::StatusOr<TransitionShape> shape = ValidateChunk(Good());
  ASSERT_THAT(shape, IsOk());
  EXPECT_EQ(shape->obs_dim, 4);
  EXPECT_EQ(shape->act_dim, 2);
  EXPECT_EQ(ChunkTransitions(Good()), 10);
  EXPECT_THAT(ValidateChunk(MakeSyntheticChunk(0x1f, 3, 30, 10, 4, 2, true)), IsOk());
}

TEST(ChunkValidationTest, RejectsWrongShapesDtypesAndByteCounts) {
  v1::TrajectoryChunk chunk = Good();
  chunk.mutable_observations()->set_shape(0, 10);  // T rows instead of T + 1
  ExpectInvalid(chunk, "observations: float32 tensor of shape [10, 4] needs 160 bytes, got 176");

  chunk = Good();
  chunk.mutable_observations()->clear_shape();
  chunk.mutable_observations()->add_shape(44);
  ExpectInvalid(chunk, "expected shape [T + 1, obs_dim]");

  chunk = Good();
  chunk.mutable_actions()->set_dtype(v1::DTYPE_INT32);
  ExpectInvalid(chunk, "actions: expected dtype float32, got int32");

  chunk = Good();
  chunk.mutable_rewards()->mutable_data()->append("x");
  ExpectInvalid(chunk, "rewards: float32 tensor of shape [10] needs 40 bytes, got 41");

  chunk = Good();
  *chunk.mutable_rewards() = MakeTensor<float>(std::vector<float>(9, 0.f), {9});
  ExpectInvalid(chunk, "rewards: expected shape [10], got [9]");

  chunk = Good();
  chunk.clear_terminated();
  ExpectInvalid(chunk, "terminated: invalid dtype unspecified");

  chunk = Good();
  *chunk.mutable_observations() = MakeTensor<float>(std::vector<float>(4, 0.f), {1, 4});
  ExpectInvalid(chunk, "T >= 1");

  chunk = Good();
  *chunk.mutable_actions() = MakeTensor<float>(std::vector<float>(), {10, 0});
  ExpectInvalid(chunk, "act_dim must be >= 1");
}

TEST(ChunkValidationTest, RejectsNonFiniteValues) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    v1::TrajectoryChunk chunk = Good();
    std::memcpy(&(*chunk.mutable_observations()->mutable_data())[4 * 7], &bad, 4);
    ExpectInvalid(chunk, "observations: element 7 is");
    chunk = Good();
    std::memcpy(&(*chunk.mutable_actions()->mutable_data())[0], &bad, 4);
    ExpectInvalid(chunk, "actions: element 0 is");
    chunk = Good();
    std::memcpy(&(*chunk.mutable_rewards()->mutable_data())[4 * 9], &bad, 4);
    ExpectInvalid(chunk, "rewards: element 9 is");
  }
}

TEST(ChunkValidationTest, RejectsBadDoneFlags) {
  v1::TrajectoryChunk chunk = Good();
  (*chunk.mutable_terminated()->mutable_data())[4] = 1;
  ExpectInvalid(chunk, "terminated: only the last step may end the episode, but step 4 of 10");
  chunk = Good();
  (*chunk.mutable_truncated()->mutable_data())[9] = 2;
  ExpectInvalid(chunk, "truncated: element 9 is 2, not 0 or 1");
}

TEST(ChunkValidationTest, ComparesShapesWithTheTable) {
  const TransitionShape table{4, 2};
  EXPECT_THAT(CheckShapeMatches(Good(), {4, 2}, table, "real"), IsOk());
  EXPECT_THAT(CheckShapeMatches(Good(), {4, 2}, TransitionShape(), "real"), IsOk());
  EXPECT_THAT(CheckShapeMatches(Good(), {5, 2}, table, "real"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("obs_dim 5 and act_dim 2 do not match table 'real'")));
}

}  // namespace
}  // namespace mbrl::replay
