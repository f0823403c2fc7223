#include "services/common/channel.h"

#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

TEST(ChannelTest, DeadlineHelpersSetAndReadTheContextDeadline) {
  grpc::ClientContext unset;
  EXPECT_EQ(GetDeadline(unset), absl::InfiniteFuture());

  grpc::ClientContext context;
  const absl::Time before = absl::Now();
  SetTimeout(context, absl::Seconds(3));
  const absl::Time deadline = GetDeadline(context);
  EXPECT_GE(deadline, before + absl::Seconds(3));
  EXPECT_LE(deadline, absl::Now() + absl::Seconds(3));

  const absl::Time fixed = absl::FromUnixSeconds(2000000000);
  SetDeadline(context, fixed);
  EXPECT_EQ(GetDeadline(context), fixed);
}

TEST(ChannelTest, CreatesInsecureChannelsLazily) {
  // Nothing listens there: creating the channel must still succeed (it connects lazily).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel("127.0.0.1:1", ChannelOptions());
  ASSERT_THAT(channel, IsOk());
  EXPECT_NE(*channel, nullptr);
}

TEST(ChannelTest, RejectsHalfAClientKeyPairAndMissingFiles) {
  ChannelOptions options;
  options.tls.cert_path = "/nonexistent/client.pem";
  EXPECT_THAT(CreateChannel("127.0.0.1:1", options),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("private key")));
  options.tls.key_path = "/nonexistent/client.key";
  EXPECT_THAT(CreateChannel("127.0.0.1:1", options),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("client.pem")));
  ChannelOptions ca_only;
  ca_only.tls.ca_path = "/nonexistent/ca.pem";
  EXPECT_THAT(CreateChannel("127.0.0.1:1", ca_only), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace mbrl
