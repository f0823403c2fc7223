// SnapshotPublisher (server) and SnapshotSubscriber (client) over a real loopback server.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mbrl/v1/model_learner.grpc.pb.h"
#include "services/common/channel.h"
#include "services/common/server.h"
#include "services/common/snapshot_publisher.h"
#include "services/common/snapshot_subscriber.h"

namespace mbrl {
namespace {

uint64_t Version(const v1::ModelSnapshot& snapshot) { return snapshot.version(); }

class FakeModelLearner final : public v1::ModelLearner::CallbackService {
 public:
  SnapshotPublisher<v1::ModelSnapshot> publisher{Version};

  void Publish(uint64_t version, int payload_bytes = 16) {
    v1::ModelSnapshot snapshot;
    snapshot.set_version(version);
    snapshot.mutable_parameters()->add_tensors()->mutable_tensor()->set_data(
        std::string(payload_bytes, 'x'));
    publisher.Publish(std::make_shared<const v1::ModelSnapshot>(std::move(snapshot)));
  }

 private:
  grpc::ServerWriteReactor<v1::ModelSnapshot>* WatchModel(
      grpc::CallbackServerContext* context, const v1::WatchModelRequest* request) override {
    return publisher.Watch(request->known_version());
  }
};

struct Server {
  FakeModelLearner service;
  std::unique_ptr<GrpcServer> server;

  explicit Server(int port = 0) {
    ServerOptions options;
    options.address = absl::StrCat("127.0.0.1:", port);
    server = std::move(GrpcServer::Start(options, {{"mbrl.v1.ModelLearner", &service}})).value();
  }
  ~Server() { Stop(); }
  void Stop() {
    if (server == nullptr) return;
    service.publisher.Shutdown();
    server->Shutdown();
    server.reset();
  }
};

std::unique_ptr<SnapshotSubscriber<v1::ModelSnapshot>> Subscribe(const std::string& address) {
  ChannelOptions channel_options;
  channel_options.max_reconnect_backoff = absl::Milliseconds(200);
  auto stub = v1::ModelLearner::NewStub(CreateChannel(address, channel_options).value());
  std::shared_ptr<v1::ModelLearner::Stub> shared(std::move(stub));
  SnapshotSubscriberOptions options;
  options.backoff.initial_delay = absl::Milliseconds(10);
  options.backoff.max_delay = absl::Milliseconds(200);
  return std::make_unique<SnapshotSubscriber<v1::ModelSnapshot>>(
      "model learner",
      [shared](grpc::ClientContext* context, uint64_t known) {
        v1::WatchModelRequest request;
        request.set_known_version(known);
        return shared->WatchModel(context, request);
      },
      Version, options);
}

TEST(SnapshotStreamTest, CurrentSnapshotAtOnceThenEveryPublish) {
  Server server;
  server.service.Publish(1);
  auto subscriber = Subscribe(server.server->address());
  auto snapshot = subscriber->WaitNewer(0, absl::Seconds(10));
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->version(), 1u);
  // Nothing newer: the wait times out with the snapshot held.
  EXPECT_EQ(subscriber->WaitNewer(1, absl::Milliseconds(50))->version(), 1u);
  server.service.Publish(2);
  EXPECT_EQ(subscriber->WaitNewer(1, absl::Seconds(10))->version(), 2u);
  EXPECT_EQ(subscriber->subscriptions(), 1);
}

TEST(SnapshotStreamTest, SlowSubscribersSkipToTheNewest) {
  Server server;
  auto subscriber = Subscribe(server.server->address());
  // Large snapshots published faster than they can be written.
  for (uint64_t version = 1; version <= 40; ++version) server.service.Publish(version, 1 << 20);
  auto snapshot = subscriber->WaitNewer(39, absl::Seconds(20));
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->version(), 40u);
}

TEST(SnapshotStreamTest, ResubscribesAfterTheServerRestarts) {
  auto server = std::make_unique<Server>();
  const int port = server->server->port();
  server->service.Publish(5);
  auto subscriber = Subscribe(server->server->address());
  ASSERT_NE(subscriber->WaitNewer(4, absl::Seconds(10)), nullptr);
  server->Stop();
  server = std::make_unique<Server>(port);
  server->service.Publish(6);
  auto snapshot = subscriber->WaitNewer(5, absl::Seconds(20));
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->version(), 6u);
  EXPECT_GE(subscriber->subscriptions(), 2);
}

TEST(SnapshotStreamTest, ShutdownEndsStreamsAndStopWakesWaiters) {
  Server server;
  auto subscriber = Subscribe(server.server->address());
  server.service.Publish(1);
  ASSERT_NE(subscriber->WaitNewer(0, absl::Seconds(10)), nullptr);
  server.Stop();
  subscriber->Stop();
  // Returns at once after Stop().
  const absl::Time start = absl::Now();
  subscriber->WaitNewer(1, absl::Seconds(30));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace mbrl
