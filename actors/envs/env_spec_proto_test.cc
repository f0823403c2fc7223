#include "actors/envs/env_spec_proto.h"

#include <cmath>

#include "actors/envs/pendulum.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

using ::mbrl::testing::StatusIs;

TEST(EnvSpecProtoTest, RoundTripsWithInfiniteBounds) {
  EnvSpec spec = PendulumSpec(123);
  spec.observation.low[2] = -INFINITY;
  const v1::EnvSpec proto = EnvSpecToProto(spec);
  EXPECT_EQ(proto.observation().dtype(), v1::DTYPE_FLOAT32);
  EXPECT_THAT(proto.observation().shape(), ::testing::ElementsAre(3));
  MBRL_ASSERT_OK_AND_ASSIGN(EnvSpec back, EnvSpecFromProto(proto));
  EXPECT_EQ(back.name, "Pendulum");
  EXPECT_EQ(back.max_episode_steps, 123);
  EXPECT_EQ(back.observation.low, spec.observation.low);
  EXPECT_EQ(back.observation.high, spec.observation.high);
  EXPECT_EQ(back.action.low, spec.action.low);
  EXPECT_EQ(back.action.high, spec.action.high);
}

TEST(EnvSpecProtoTest, MissingObservationBoundsMeanUnbounded) {
  v1::EnvSpec proto = EnvSpecToProto(PendulumSpec(10));
  proto.mutable_observation()->clear_low();
  proto.mutable_observation()->clear_high();
  MBRL_ASSERT_OK_AND_ASSIGN(EnvSpec spec, EnvSpecFromProto(proto));
  EXPECT_THAT(spec.observation.low, ::testing::Each(-INFINITY));
  EXPECT_THAT(spec.observation.high, ::testing::Each(INFINITY));
}

TEST(EnvSpecProtoTest, RejectsMalformedSpecs) {
  const v1::EnvSpec good = EnvSpecToProto(PendulumSpec(10));
  std::vector<v1::EnvSpec> bad(7, good);
  bad[0].mutable_observation()->set_dtype(v1::DTYPE_FLOAT64);
  bad[1].mutable_action()->add_shape(2);
  bad[2].mutable_action()->clear_low();  // actions need finite bounds
  bad[3].mutable_action()->set_high(0, INFINITY);
  bad[4].mutable_observation()->set_low(0, 5);  // low > high
  bad[5].set_max_episode_steps(0);
  bad[6].mutable_observation()->set_shape(0, 0);
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_THAT(EnvSpecFromProto(bad[i]), StatusIs(absl::StatusCode::kInvalidArgument)) << i;
  }
}

}  // namespace
}  // namespace mbrl::envs
