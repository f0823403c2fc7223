#include "common/tensor_codec.h"

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TensorCodecTest, DecodeViewsTheMessageBytesWithoutCopying) {
  const v1::Tensor proto = MakeTensor<float>(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor tensor, TensorView(proto, "x"));
  EXPECT_EQ(tensor.data_ptr(), static_cast<const void*>(proto.data().data()));
  EXPECT_EQ(tensor.scalar_type(), at::kFloat);
  EXPECT_THAT(tensor.sizes().vec(), ElementsAre(2, 3));
  EXPECT_FLOAT_EQ(tensor[1][2].item<float>(), 6.0f);
}

TEST(TensorCodecTest, EveryDTypeRoundTrips) {
  const std::vector<at::Tensor> tensors = {
      at::arange(6, at::kFloat).reshape({2, 3}),
      at::arange(4, at::kDouble) * 0.5,
      at::arange(-3, 3, at::kInt),
      at::arange(5, at::kLong) * int64_t{1000000000000},
      at::arange(7, at::kByte),
      at::arange(4, at::kLong).remainder(2).to(at::kBool),
      at::scalar_tensor(3.5, at::kDouble),
      at::zeros({0, 4}, at::kFloat),
  };
  for (const at::Tensor& original : tensors) {
    MBRL_ASSERT_OK_AND_ASSIGN(v1::Tensor proto, ToTensorProto(original));
    MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor decoded, TensorView(proto, "t"));
    EXPECT_EQ(decoded.scalar_type(), original.scalar_type());
    EXPECT_EQ(decoded.sizes(), original.sizes());
    EXPECT_TRUE(at::equal(decoded, original)) << original;
  }
}

TEST(TensorCodecTest, EncodesNonContiguousTensorsInRowMajorOrder) {
  const at::Tensor transposed = at::arange(6, at::kFloat).reshape({2, 3}).t();
  MBRL_ASSERT_OK_AND_ASSIGN(v1::Tensor proto, ToTensorProto(transposed));
  MBRL_ASSERT_OK_AND_ASSIGN(auto values, TensorData<float>(proto, "t"));
  EXPECT_THAT(values, ElementsAre(0, 3, 1, 4, 2, 5));
}

TEST(TensorCodecTest, OwnedViewKeepsTheMessageAlive) {
  auto message = std::make_shared<v1::Tensor>(MakeTensor<float>(std::vector<float>{9, 8}, {2}));
  std::weak_ptr<v1::Tensor> watch = message;
  at::Tensor view;
  {
    MBRL_ASSERT_OK_AND_ASSIGN(view, TensorView(*message, "x", message));
    message.reset();
  }
  EXPECT_FALSE(watch.expired());
  EXPECT_FLOAT_EQ(view[1].item<float>(), 8.0f);
  view = at::Tensor();
  EXPECT_TRUE(watch.expired());
}

TEST(TensorCodecTest, DecodeRejectsWrongByteCountsAndDTypes) {
  v1::Tensor proto = MakeTensor<float>(std::vector<float>{1, 2}, {2});
  proto.mutable_data()->append("x");
  EXPECT_THAT(TensorView(proto, "obs").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("obs: float32 tensor of shape [2] needs 8 bytes, got 9")));
  proto.set_dtype(v1::DTYPE_UNSPECIFIED);
  EXPECT_THAT(TensorView(proto, "obs").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TensorCodecTest, CheckedViewEnforcesShape) {
  const v1::Tensor proto = MakeTensor<float>(std::vector<float>(6), {2, 3});
  EXPECT_TRUE(CheckedTensorView(proto, "a", v1::DTYPE_FLOAT32, {kAnyDim, 3}).ok());
  EXPECT_THAT(CheckedTensorView(proto, "a", v1::DTYPE_FLOAT32, {kAnyDim, 4}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected shape [?, 4]")));
}

TEST(TensorCodecTest, EncodeRejectsDTypesWithoutAWireTag) {
  EXPECT_THAT(ToTensorProto(at::zeros({2}, at::kHalf)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no wire encoding")));
  EXPECT_THAT(ToTensorProto(at::Tensor()).status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl
