#include "learner/normalizer.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;

TEST(NormalizerTest, FitsMeanAndPopulationStd) {
  const at::Tensor data = at::tensor({1.0f, 5.0f, 3.0f, 5.0f}).view({2, 2});
  MBRL_ASSERT_OK_AND_ASSIGN(Normalizer normalizer, Normalizer::Fit(data));
  EXPECT_NEAR(normalizer.mean()[0].item<float>(), 2.0, 1e-6);
  EXPECT_NEAR(normalizer.std()[0].item<float>(), 1.0, 1e-6);
  // A constant feature gets the floor, not zero.
  EXPECT_NEAR(normalizer.std()[1].item<float>(), Normalizer::kMinStd, 1e-9);
  EXPECT_EQ(normalizer.count(), 2u);
  const at::Tensor x = at::tensor({4.0f, 5.0f});
  EXPECT_TRUE(at::allclose(normalizer.Normalize(x), at::tensor({2.0f, 0.0f})));
  EXPECT_TRUE(at::allclose(normalizer.Denormalize(normalizer.Normalize(x)), x));
}

TEST(NormalizerTest, ProtoRoundTripIsExact) {
  at::manual_seed(1);
  MBRL_ASSERT_OK_AND_ASSIGN(Normalizer normalizer, Normalizer::Fit(at::randn({10, 3})));
  v1::NormalizerStats stats;
  MBRL_ASSERT_OK(normalizer.ToProto(&stats));
  MBRL_ASSERT_OK_AND_ASSIGN(Normalizer restored, Normalizer::FromProto(stats, 3));
  EXPECT_TRUE(at::equal(restored.mean(), normalizer.mean()));
  EXPECT_TRUE(at::equal(restored.std(), normalizer.std()));
  EXPECT_EQ(restored.count(), 10u);
}

TEST(NormalizerTest, RejectsBadInput) {
  EXPECT_THAT(Normalizer::Fit(at::tensor({NAN, 1.0f}).view({2, 1})),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("NaN")));
  EXPECT_THAT(Normalizer::Fit(at::ones({3})), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::NormalizerStats stats;
  MBRL_ASSERT_OK(Normalizer::Identity(2).ToProto(&stats));
  EXPECT_THAT(Normalizer::FromProto(stats, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  MBRL_ASSERT_OK(Normalizer::Identity(1).ToProto(&stats));
  stats.mutable_std()->set_data(std::string(4, '\0'));  // std = 0
  EXPECT_THAT(Normalizer::FromProto(stats, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("<= 0")));
}

}  // namespace
}  // namespace mbrl::learner
