#include "learner/parameters.h"

#include <ATen/ATen.h>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParametersTest, FlattenAndUnflattenRoundTrip) {
  const std::vector<at::Tensor> tensors = {at::arange(6, at::kFloat).view({2, 3}),
                                           at::tensor({7.0f})};
  const at::Tensor flat = Flatten(tensors);
  EXPECT_EQ(flat.numel(), 7);
  EXPECT_EQ(TotalElements(tensors), 7);
  const std::vector<at::Tensor> back = UnflattenLike(flat, tensors);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_TRUE(at::equal(back[0], tensors[0]));
  EXPECT_TRUE(at::equal(back[1], tensors[1]));
}

TEST(ParametersTest, ParameterSetRoundTripIsBitExact) {
  at::manual_seed(4);
  const std::vector<std::string> names = {"a", "b"};
  const std::vector<at::Tensor> source = {at::randn({3, 4}), at::randn({5})};
  v1::ParameterSet set;
  MBRL_ASSERT_OK(WriteParameterSet(names, source, &set));
  std::vector<at::Tensor> target = {at::zeros({3, 4}), at::zeros({5})};
  MBRL_ASSERT_OK(ReadParameterSet(set, names, target));
  EXPECT_TRUE(at::equal(target[0], source[0]));
  EXPECT_TRUE(at::equal(target[1], source[1]));
}

TEST(ParametersTest, ReadRejectsMismatchesAndChangesNothing) {
  const std::vector<std::string> names = {"a", "b"};
  v1::ParameterSet set;
  MBRL_ASSERT_OK(WriteParameterSet(names, {at::ones({2}), at::ones({3})}, &set));
  std::vector<at::Tensor> target = {at::zeros({2}), at::zeros({4})};
  EXPECT_THAT(ReadParameterSet(set, names, target),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'b': expected")));
  EXPECT_TRUE(target[0].eq(0).all().item<bool>()) << "a was changed by a failed read";

  std::vector<at::Tensor> ok_target = {at::zeros({2}), at::zeros({3})};
  EXPECT_THAT(ReadParameterSet(set, {"a", "c"}, ok_target),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'c' is missing")));
  v1::ParameterSet twice = set;
  *twice.add_tensors() = set.tensors(0);
  EXPECT_THAT(ReadParameterSet(twice, names, ok_target),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  v1::ParameterSet with_nan;
  MBRL_ASSERT_OK(WriteParameterSet(names, {at::full({2}, NAN), at::ones({3})}, &with_nan));
  EXPECT_THAT(ReadParameterSet(with_nan, names, ok_target),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ParameterSet doubles;
  MBRL_ASSERT_OK(
      WriteParameterSet(names, {at::ones({2}, at::kDouble), at::ones({3}, at::kDouble)}, &doubles));
  EXPECT_THAT(ReadParameterSet(doubles, names, ok_target),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Double")));
}

}  // namespace
}  // namespace mbrl::learner
