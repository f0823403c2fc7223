#include "common/tensor_proto.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(TensorProtoTest, MakeTensorRoundTripsThroughTypedView) {
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  const v1::Tensor tensor = MakeTensor<float>(values, {2, 3});
  EXPECT_EQ(tensor.dtype(), v1::DTYPE_FLOAT32);
  EXPECT_THAT(tensor.shape(), ElementsAre(2, 3));
  EXPECT_EQ(tensor.data().size(), 24u);
  MBRL_ASSERT_OK_AND_ASSIGN(absl::Span<const float> view, TensorData<float>(tensor, "t"));
  EXPECT_THAT(view, ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(static_cast<const void*>(view.data()), tensor.data().data());  // no copy
}

TEST(TensorProtoTest, EveryDTypeHasASizeAndName) {
  EXPECT_EQ(DTypeSize(v1::DTYPE_FLOAT32), 4u);
  EXPECT_EQ(DTypeSize(v1::DTYPE_FLOAT64), 8u);
  EXPECT_EQ(DTypeSize(v1::DTYPE_INT32), 4u);
  EXPECT_EQ(DTypeSize(v1::DTYPE_INT64), 8u);
  EXPECT_EQ(DTypeSize(v1::DTYPE_UINT8), 1u);
  EXPECT_EQ(DTypeSize(v1::DTYPE_BOOL), 1u);
  EXPECT_EQ(DTypeSize(v1::DTYPE_UNSPECIFIED), 0u);
  EXPECT_EQ(DTypeName(v1::DTYPE_INT64), "int64");
  EXPECT_EQ(DTypeName(static_cast<v1::DType>(42)), "dtype(42)");
}

TEST(TensorProtoTest, ScalarHasOneElement) {
  const std::vector<double> value = {2.5};
  const v1::Tensor scalar = MakeTensor<double>(value, {});
  EXPECT_THAT(ValidateTensor(scalar, "s"), IsOk());
  EXPECT_EQ(NumElements(scalar), 1);
}

TEST(TensorProtoTest, ZeroSizedDimensionsAreValid) {
  const v1::Tensor empty = MakeTensor<float>({}, {0, 17});
  EXPECT_THAT(ValidateTensor(empty, "e"), IsOk());
  EXPECT_EQ(NumElements(empty), 0);
}

TEST(TensorProtoTest, RejectsWrongByteCount) {
  v1::Tensor tensor = MakeTensor<float>(std::vector<float>{1, 2, 3}, {3});
  tensor.mutable_data()->pop_back();
  EXPECT_THAT(
      ValidateTensor(tensor, "rewards"),
      StatusIs(kInvalid, HasSubstr("rewards: float32 tensor of shape [3] needs 12 bytes, got 11")));
}

TEST(TensorProtoTest, RejectsUnknownDTypeAndNegativeDims) {
  v1::Tensor tensor = MakeTensor<float>(std::vector<float>{1}, {1});
  tensor.set_dtype(v1::DTYPE_UNSPECIFIED);
  EXPECT_THAT(ValidateTensor(tensor, "x"),
              StatusIs(kInvalid, HasSubstr("invalid dtype unspecified")));
  tensor.set_dtype(static_cast<v1::DType>(99));
  EXPECT_THAT(ValidateTensor(tensor, "x"), StatusIs(kInvalid, HasSubstr("dtype(99)")));
  tensor.set_dtype(v1::DTYPE_FLOAT32);
  tensor.set_shape(0, -1);
  EXPECT_THAT(ValidateTensor(tensor, "x"), StatusIs(kInvalid, HasSubstr("negative dimension")));
}

TEST(TensorProtoTest, RejectsShapesWhoseElementCountOverflows) {
  v1::Tensor tensor;
  tensor.set_dtype(v1::DTYPE_FLOAT64);
  for (int i = 0; i < 4; ++i) tensor.add_shape(int64_t{1} << 20);
  EXPECT_THAT(ValidateTensor(tensor, "huge"), StatusIs(kInvalid, HasSubstr("too large")));
}

TEST(TensorProtoTest, CheckTensorMatchesDTypeAndShapeWithWildcards) {
  const v1::Tensor obs = MakeTensor<float>(std::vector<float>(4 * 3), {4, 3});
  EXPECT_THAT(CheckTensor(obs, "obs", v1::DTYPE_FLOAT32, {kAnyDim, 3}), IsOk());
  EXPECT_THAT(CheckTensor(obs, "obs", v1::DTYPE_FLOAT32, {4, 3}), IsOk());
  EXPECT_THAT(CheckTensor(obs, "obs", v1::DTYPE_FLOAT32, {kAnyDim, 17}),
              StatusIs(kInvalid, HasSubstr("obs: expected shape [?, 17], got [4, 3]")));
  EXPECT_THAT(CheckTensor(obs, "obs", v1::DTYPE_FLOAT32, {12}),
              StatusIs(kInvalid, HasSubstr("expected shape [12]")));
  EXPECT_THAT(CheckTensor(obs, "obs", v1::DTYPE_FLOAT64, {4, 3}),
              StatusIs(kInvalid, HasSubstr("expected dtype float64, got float32")));
}

TEST(TensorProtoTest, CheckFiniteFindsNaNAndInf) {
  std::vector<float> values = {0, 1, 2};
  EXPECT_THAT(CheckFinite(MakeTensor<float>(values, {3}), "v"), IsOk());
  values[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(CheckFinite(MakeTensor<float>(values, {3}), "v"),
              StatusIs(kInvalid, HasSubstr("v: element 1 is NaN")));
  const std::vector<double> doubles = {0, 1, -std::numeric_limits<double>::infinity()};
  EXPECT_THAT(CheckFinite(MakeTensor<double>(doubles, {3}), "d"),
              StatusIs(kInvalid, HasSubstr("d: element 2 is infinite")));
  const std::vector<int32_t> ints = {1, 2};
  EXPECT_THAT(CheckFinite(MakeTensor<int32_t>(ints, {2}), "i"), IsOk());
}

TEST(TensorProtoTest, TypedViewRejectsTheWrongType) {
  const v1::Tensor tensor = MakeTensor<int64_t>(std::vector<int64_t>{7}, {1});
  EXPECT_THAT(TensorData<float>(tensor, "keys").status(),
              StatusIs(kInvalid, HasSubstr("keys: expected dtype float32, got int64")));
  MBRL_ASSERT_OK_AND_ASSIGN(auto view, TensorData<int64_t>(tensor, "keys"));
  EXPECT_THAT(view, ElementsAre(7));
}

TEST(TensorProtoDeathTest, MakeTensorChecksTheShape) {
  EXPECT_DEATH(MakeTensor<float>(std::vector<float>{1, 2, 3}, {2, 2}), "holds 4 elements, got 3");
}

}  // namespace
}  // namespace mbrl
