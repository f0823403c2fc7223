#include "services/common/server.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "mbrl/v1/environment.grpc.pb.h"
#include "services/common/channel.h"

namespace mbrl {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kEnvironmentService[] = "mbrl.v1.Environment";

// A real service with every method unimplemented: enough to check registration and health.
class UnimplementedEnvironment : public v1::Environment::CallbackService {};

std::string TestData(const std::string& name) {
  return std::string(getenv("TEST_SRCDIR")) + "/" + getenv("TEST_WORKSPACE") +
         "/services/common/testdata/" + name;
}

ServerOptions LoopbackOptions() {
  ServerOptions options;
  options.address = "127.0.0.1:0";
  return options;
}

// Health Check with a deadline; returns the status or the RPC error.
absl::StatusOr<HealthCheckResponse::ServingStatus> Check(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(10));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = Health::NewStub(channel)->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return response.status();
}

TEST(GrpcServerTest, BindsPortZeroAndIsNotServingUntilReady) {
  UnimplementedEnvironment environment;
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(LoopbackOptions(), {{kEnvironmentService, &environment}});
  ASSERT_THAT(server, IsOk());
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(), "127.0.0.1:" + std::to_string((*server)->port()));

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel((*server)->address(), ChannelOptions());
  ASSERT_THAT(channel, IsOk());
  EXPECT_EQ(*Check(*channel, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(*Check(*channel, kEnvironmentService), HealthCheckResponse::NOT_SERVING);
  EXPECT_THAT(Check(*channel, "no.such.Service"), StatusIs(absl::StatusCode::kNotFound));

  (*server)->SetServing(true);
  EXPECT_EQ(*Check(*channel, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(*Check(*channel, kEnvironmentService), HealthCheckResponse::SERVING);

  // The registered service answers (UNIMPLEMENTED: this test's stand-in has no methods).
  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(10));
  v1::SpecRequest request;
  v1::EnvSpec response;
  EXPECT_EQ(v1::Environment::NewStub(*channel)->Spec(&context, request, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST(GrpcServerTest, WatchSeesEveryChangeAndEndsAtShutdown) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(LoopbackOptions(), {});
  ASSERT_THAT(server, IsOk());
  // Over TCP: an in-process transport drops undelivered messages when the server shuts down.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> tcp_channel =
      CreateChannel((*server)->address(), ChannelOptions());
  ASSERT_THAT(tcp_channel, IsOk());
  std::shared_ptr<grpc::Channel> channel = *tcp_channel;

  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(20));
  HealthCheckRequest request;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch =
      Health::NewStub(channel)->Watch(&context, request);
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);

  (*server)->SetServing(true);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  (*server)->SetServing(true);  // no change: nothing sent
  (*server)->SetServing(false);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  (*server)->SetServing(true);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  // A watch of an unknown service stays open and reports SERVICE_UNKNOWN.
  grpc::ClientContext unknown_context;
  SetTimeout(unknown_context, absl::Seconds(20));
  request.set_service("later.Service");
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> unknown_watch =
      Health::NewStub(channel)->Watch(&unknown_context, request);
  ASSERT_TRUE(unknown_watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  (*server)->health().SetServing("later.Service", true);
  ASSERT_TRUE(unknown_watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  // Shutdown does not wait for the grace period: it ends the watches itself.
  std::thread shutdown([&] { (*server)->Shutdown(absl::Seconds(30)); });
  EXPECT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(watch->Read(&response));
  EXPECT_TRUE(watch->Finish().ok());
  EXPECT_TRUE(unknown_watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(unknown_watch->Read(&response));
  EXPECT_TRUE(unknown_watch->Finish().ok());
  shutdown.join();
  (*server)->Wait();  // returns at once after Shutdown
}

TEST(GrpcServerTest, CancelledWatchIsUnregistered) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(LoopbackOptions(), {});
  ASSERT_THAT(server, IsOk());
  std::shared_ptr<grpc::Channel> channel = (*server)->InProcessChannel();
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    SetTimeout(context, absl::Seconds(10));
    auto watch = Health::NewStub(channel)->Watch(&context, HealthCheckRequest());
    HealthCheckResponse response;
    ASSERT_TRUE(watch->Read(&response));
    context.TryCancel();
    while (watch->Read(&response)) {
    }
    EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // Status changes after the cancellations reach no deleted reactor (ASan would tell).
  (*server)->SetServing(true);
  (*server)->SetServing(false);
}

TEST(GrpcServerTest, MessagesUpToTheConfiguredLimitPass) {
  // Snapshots are tens of MB: the default limit accepts a 20 MB message.
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(LoopbackOptions(), {});
  ASSERT_THAT(server, IsOk());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel((*server)->address(), ChannelOptions());
  ASSERT_THAT(channel, IsOk());
  const std::string big(20 << 20, 'x');
  EXPECT_THAT(Check(*channel, big), StatusIs(absl::StatusCode::kNotFound));

  ServerOptions small = LoopbackOptions();
  small.max_message_bytes = 1 << 20;
  absl::StatusOr<std::unique_ptr<GrpcServer>> small_server = GrpcServer::Start(small, {});
  ASSERT_THAT(small_server, IsOk());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> small_channel =
      CreateChannel((*small_server)->address(), ChannelOptions());
  ASSERT_THAT(small_channel, IsOk());
  EXPECT_THAT(Check(*small_channel, std::string(2 << 20, 'x')),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(Check(*small_channel, ""), IsOk());  // the server is still up
}

TEST(GrpcServerTest, ReportsAnAddressInUse) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> first = GrpcServer::Start(LoopbackOptions(), {});
  ASSERT_THAT(first, IsOk());
  ServerOptions same = LoopbackOptions();
  same.address = "127.0.0.1:" + std::to_string((*first)->port());
  EXPECT_THAT(GrpcServer::Start(same, {}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot bind")));
}

// Calls grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with `list_services`
// through the generic stub and returns the raw response bytes.
std::string ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel) {
  class Call : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    explicit Call(const std::shared_ptr<grpc::Channel>& channel) : stub_(channel) {
      SetTimeout(context_, absl::Seconds(10));
      const std::string request("\x3a\x00", 2);  // field 7 (list_services) = ""
      grpc::Slice slice(request);
      request_ = grpc::ByteBuffer(&slice, 1);
      stub_.PrepareBidiStreamingCall(
          &context_, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
          grpc::StubOptions(), this);
      StartWriteLast(&request_, grpc::WriteOptions());
      StartRead(&response_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (ok) {
        std::vector<grpc::Slice> slices;
        if (response_.Dump(&slices).ok()) {
          for (const grpc::Slice& s : slices) bytes_.append(s.begin(), s.end());
        }
      }
    }
    void OnDone(const grpc::Status& status) override { done_.Notify(); }
    std::string Wait() {
      done_.WaitForNotification();
      return bytes_;
    }

   private:
    grpc::GenericStub stub_;
    grpc::ClientContext context_;
    grpc::ByteBuffer request_, response_;
    std::string bytes_;
    absl::Notification done_;
  };
  Call call(channel);
  return call.Wait();
}

TEST(GrpcServerTest, ServesReflection) {
  UnimplementedEnvironment environment;
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(LoopbackOptions(), {{kEnvironmentService, &environment}});
  ASSERT_THAT(server, IsOk());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel((*server)->address(), ChannelOptions());
  ASSERT_THAT(channel, IsOk());
  const std::string services = ListServicesByReflection(*channel);
  EXPECT_THAT(services, HasSubstr("mbrl.v1.Environment"));
  EXPECT_THAT(services, HasSubstr("grpc.health.v1.Health"));
}

class TlsTest : public ::testing::Test {
 protected:
  std::unique_ptr<GrpcServer> StartServer(bool require_client_cert) {
    ServerOptions options = LoopbackOptions();
    options.tls.cert_path = TestData("server.pem");
    options.tls.key_path = TestData("server.key");
    if (require_client_cert) options.tls.ca_path = TestData("ca.pem");
    absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, {});
    EXPECT_THAT(server, IsOk());
    return server.ok() ? std::move(*server) : nullptr;
  }

  static absl::StatusOr<HealthCheckResponse::ServingStatus> CheckWith(const GrpcServer& server,
                                                                      const TlsOptions& tls) {
    ChannelOptions options;
    options.tls = tls;
    // The certificate names "localhost"; dialing the IP avoids DNS (c-ares leaks under LSan).
    options.tls.server_name_override = "localhost";
    // Fail fast instead of waiting for reconnects.
    options.max_reconnect_backoff = absl::Milliseconds(200);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        CreateChannel(server.address(), options);
    if (!channel.ok()) return channel.status();
    grpc::ClientContext context;
    SetTimeout(context, absl::Seconds(2));
    HealthCheckResponse response;
    grpc::Status status =
        Health::NewStub(*channel)->Check(&context, HealthCheckRequest(), &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    return response.status();
  }
};

TEST_F(TlsTest, ServerTls) {
  std::unique_ptr<GrpcServer> server = StartServer(/*require_client_cert=*/false);
  ASSERT_NE(server, nullptr);
  TlsOptions trusting;
  trusting.ca_path = TestData("ca.pem");
  EXPECT_THAT(CheckWith(*server, trusting), IsOk());

  TlsOptions wrong_ca;
  wrong_ca.ca_path = TestData("other_ca.pem");
  EXPECT_THAT(CheckWith(*server, wrong_ca), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(CheckWith(*server, TlsOptions()), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, MutualTls) {
  std::unique_ptr<GrpcServer> server = StartServer(/*require_client_cert=*/true);
  ASSERT_NE(server, nullptr);
  TlsOptions with_cert;
  with_cert.ca_path = TestData("ca.pem");
  with_cert.cert_path = TestData("client.pem");
  with_cert.key_path = TestData("client.key");
  EXPECT_THAT(CheckWith(*server, with_cert), IsOk());

  TlsOptions without_cert;
  without_cert.ca_path = TestData("ca.pem");
  EXPECT_THAT(CheckWith(*server, without_cert), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, BadPathsAreReportedAtStart) {
  ServerOptions options = LoopbackOptions();
  options.tls.cert_path = TestData("server.pem");
  EXPECT_THAT(GrpcServer::Start(options, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  options.tls.key_path = TestData("missing.key");
  EXPECT_THAT(GrpcServer::Start(options, {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.key")));
  ServerOptions ca_only = LoopbackOptions();
  ca_only.tls.ca_path = TestData("ca.pem");
  EXPECT_THAT(GrpcServer::Start(ca_only, {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mbrl
