#include "services/replay/client.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/channel.h"
#include "services/replay/shard_server.h"
#include "services/replay/synthetic_chunks.h"

namespace mbrl::replay {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::Duration kCallTimeout = absl::Seconds(7);
constexpr absl::Duration kStreamLifetime = absl::Minutes(3);

v1::TrajectoryChunk Chunk(uint64_t episode, uint32_t index, uint32_t steps = 10) {
  return MakeSyntheticChunk(episode, index, index * steps, steps, 3, 2);
}

ReplayClientOptions FastOptions() {
  ReplayClientOptions options;
  options.call_timeout = kCallTimeout;
  options.insert_stream_lifetime = kStreamLifetime;
  options.retry.backoff.initial_delay = absl::Milliseconds(1);
  options.retry.backoff.max_delay = absl::Milliseconds(50);
  options.retry.total_timeout = absl::Seconds(20);
  options.retry.seed = 11;
  options.seed = 5;
  return options;
}

TEST(ShardOfTest, IsSplitMix64ModuloShards) {
  // Pinned so that clients in other languages route the same way.
  EXPECT_EQ(ShardOf(0, 1000), 0xe220a8397b1dcdafULL % 1000);
  EXPECT_EQ(ShardOf(0, 1000), 535u);
  EXPECT_EQ(ShardOf(1, 1000), 465u);
  EXPECT_EQ(ShardOf(12345, 7), 5u);
  std::vector<int> counts(4, 0);
  for (uint64_t id = 0; id < 40000; ++id) ++counts[ShardOf(id, 4)];  // sequential ids too
  for (int count : counts) EXPECT_NEAR(count, 10000, 500);
}

// ---- A fake stub that records every call's deadline ----

class FakeInsertStream
    : public grpc::ClientReaderWriterInterface<v1::InsertRequest, v1::InsertResponse> {
 public:
  // Fails (UNAVAILABLE, no acknowledgement) if `fail`, else acknowledges every request.
  explicit FakeInsertStream(bool fail) : fail_(fail) {}
  void WaitForInitialMetadata() override {}
  bool NextMessageSize(uint32_t* sz) override {
    *sz = 1 << 20;
    return true;
  }
  bool Write(const v1::InsertRequest& msg, grpc::WriteOptions options) override {
    absl::MutexLock lock(&mu_);
    if (fail_ || closed_) return false;
    v1::InsertResponse& response = acks_.emplace_back();
    response.set_request_id(msg.request_id());
    response.set_stored_chunks(msg.chunks_size());
    return true;
  }
  bool Read(v1::InsertResponse* msg) override {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return fail_ || closed_ || !acks_.empty();
    };
    mu_.Await(absl::Condition(&ready));
    if (acks_.empty()) return false;
    *msg = acks_.front();
    acks_.pop_front();
    return true;
  }
  bool WritesDone() override { return Close(); }
  grpc::Status Finish() override {
    Close();
    return fail_ ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake: connection refused")
                 : grpc::Status(grpc::StatusCode::CANCELLED, "fake: cancelled");
  }
  bool Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    return true;
  }

 private:
  const bool fail_;
  absl::Mutex mu_;
  std::deque<v1::InsertResponse> acks_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

template <typename Response>
class FakeReader : public grpc::ClientReaderInterface<Response> {
 public:
  explicit FakeReader(std::vector<Response> responses) : responses_(std::move(responses)) {}
  void WaitForInitialMetadata() override {}
  bool NextMessageSize(uint32_t* sz) override {
    *sz = 1 << 20;
    return true;
  }
  bool Read(Response* msg) override {
    if (next_ >= responses_.size()) return false;
    *msg = responses_[next_++];
    return true;
  }
  grpc::Status Finish() override { return grpc::Status::OK; }

 private:
  std::vector<Response> responses_;
  size_t next_ = 0;
};

class FakeStub : public v1::ReplayShard::StubInterface {
 public:
  // The first `failing_streams` Insert streams fail; the first `failing_infos` Info calls too.
  FakeStub(int failing_streams, int failing_infos)
      : failing_streams_(failing_streams), failing_infos_(failing_infos) {}

  std::map<std::string, std::vector<absl::Time>> deadlines() {
    absl::MutexLock lock(&mu_);
    return deadlines_;
  }
  int streams() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(deadlines_["Insert"].size());
  }

  grpc::Status UpdatePriorities(grpc::ClientContext* context,
                                const v1::UpdatePrioritiesRequest& request,
                                v1::UpdatePrioritiesResponse* response) override {
    RecordDeadline("UpdatePriorities", *context);
    return grpc::Status::OK;
  }
  grpc::Status Info(grpc::ClientContext* context, const v1::InfoRequest& request,
                    v1::InfoResponse* response) override {
    RecordDeadline("Info", *context);
    absl::MutexLock lock(&mu_);
    if (failing_infos_ > 0) {
      --failing_infos_;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake: restarting");
    }
    response->set_transitions(100);
    return grpc::Status::OK;
  }

 private:
  void RecordDeadline(const std::string& method, const grpc::ClientContext& context) {
    absl::MutexLock lock(&mu_);
    deadlines_[method].push_back(GetDeadline(context));
  }

  grpc::ClientReaderWriterInterface<v1::InsertRequest, v1::InsertResponse>* InsertRaw(
      grpc::ClientContext* context) override {
    RecordDeadline("Insert", *context);
    absl::MutexLock lock(&mu_);
    const bool fail = failing_streams_ > 0;
    if (fail) --failing_streams_;
    return new FakeInsertStream(fail);
  }
  grpc::ClientReaderInterface<v1::SampleResponse>* SampleRaw(
      grpc::ClientContext* context, const v1::SampleRequest& request) override {
    RecordDeadline("Sample", *context);
    v1::SampleResponse response;
    const v1::TrajectoryChunk chunk = Chunk(1, 0, request.batch_size());
    *response.mutable_batch()->mutable_rewards() = chunk.rewards();
    return new FakeReader<v1::SampleResponse>({response});
  }
  grpc::ClientReaderInterface<v1::ScanResponse>* ScanRaw(grpc::ClientContext* context,
                                                         const v1::ScanRequest& request) override {
    RecordDeadline("Scan", *context);
    return new FakeReader<v1::ScanResponse>({});
  }
  // The client uses the synchronous API only.
  grpc::ClientAsyncReaderWriterInterface<v1::InsertRequest, v1::InsertResponse>* AsyncInsertRaw(
      grpc::ClientContext*, grpc::CompletionQueue*, void*) override {
    return nullptr;
  }
  grpc::ClientAsyncReaderWriterInterface<v1::InsertRequest, v1::InsertResponse>*
  PrepareAsyncInsertRaw(grpc::ClientContext*, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncReaderInterface<v1::SampleResponse>* AsyncSampleRaw(grpc::ClientContext*,
                                                                       const v1::SampleRequest&,
                                                                       grpc::CompletionQueue*,
                                                                       void*) override {
    return nullptr;
  }
  grpc::ClientAsyncReaderInterface<v1::SampleResponse>* PrepareAsyncSampleRaw(
      grpc::ClientContext*, const v1::SampleRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncReaderInterface<v1::ScanResponse>* AsyncScanRaw(grpc::ClientContext*,
                                                                   const v1::ScanRequest&,
                                                                   grpc::CompletionQueue*,
                                                                   void*) override {
    return nullptr;
  }
  grpc::ClientAsyncReaderInterface<v1::ScanResponse>* PrepareAsyncScanRaw(
      grpc::ClientContext*, const v1::ScanRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::UpdatePrioritiesResponse>* AsyncUpdatePrioritiesRaw(
      grpc::ClientContext*, const v1::UpdatePrioritiesRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::UpdatePrioritiesResponse>*
  PrepareAsyncUpdatePrioritiesRaw(grpc::ClientContext*, const v1::UpdatePrioritiesRequest&,
                                  grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::InfoResponse>* AsyncInfoRaw(
      grpc::ClientContext*, const v1::InfoRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::InfoResponse>* PrepareAsyncInfoRaw(
      grpc::ClientContext*, const v1::InfoRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }

  absl::Mutex mu_;
  int failing_streams_ ABSL_GUARDED_BY(mu_);
  int failing_infos_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Time>> deadlines_ ABSL_GUARDED_BY(mu_);
};

TEST(ReplayClientTest, EveryCallCarriesADeadline) {
  auto stub = std::make_shared<FakeStub>(/*failing_streams=*/0, /*failing_infos=*/0);
  absl::StatusOr<std::unique_ptr<ReplayClient>> client =
      ReplayClient::Create({stub}, FastOptions());
  ASSERT_THAT(client, IsOk());
  const absl::Time before = absl::Now();
  ASSERT_THAT((*client)->Insert({Chunk(1, 0), Chunk(2, 0)}), IsOk());
  ASSERT_THAT((*client)->Flush(absl::Seconds(20)), IsOk());
  ASSERT_THAT((*client)->Sample(16), IsOk());
  std::vector<uint64_t> cursors;
  ASSERT_THAT((*client)->ScanSince(&cursors, 100, [](uint32_t, const v1::ScanResponse&) {}),
              IsOk());
  ASSERT_THAT((*client)->UpdatePriorities({0}, {3}, {1.0}), IsOk());
  ASSERT_THAT((*client)->Info()[0], IsOk());
  const absl::Time after = absl::Now();

  const std::map<std::string, std::vector<absl::Time>> deadlines = stub->deadlines();
  for (const char* method : {"Insert", "Sample", "Scan", "UpdatePriorities", "Info"}) {
    ASSERT_TRUE(deadlines.count(method)) << method << " was never called";
    const absl::Duration timeout = std::string(method) == "Insert" ? kStreamLifetime : kCallTimeout;
    for (absl::Time deadline : deadlines.at(method)) {
      EXPECT_NE(deadline, absl::InfiniteFuture()) << method << " has no deadline";
      EXPECT_GE(deadline, before + timeout) << method;
      EXPECT_LE(deadline, after + timeout) << method;
    }
  }
}

TEST(ReplayClientTest, ResendsOverNewStreamsAfterUnavailable) {
  auto stub = std::make_shared<FakeStub>(/*failing_streams=*/3, /*failing_infos=*/1);
  absl::StatusOr<std::unique_ptr<ReplayClient>> client =
      ReplayClient::Create({stub}, FastOptions());
  ASSERT_THAT(client, IsOk());
  std::vector<v1::TrajectoryChunk> chunks;
  for (uint32_t i = 0; i < 20; ++i) chunks.push_back(Chunk(i, 0));
  ASSERT_THAT((*client)->Insert(std::move(chunks)), IsOk());
  ASSERT_THAT((*client)->Flush(absl::Seconds(20)), IsOk());
  const WriterStats stats = (*client)->writer_stats();
  EXPECT_EQ(stats.acknowledged_chunks, 20u);
  EXPECT_EQ(stats.streams_opened, 4u);
  EXPECT_EQ(stub->streams(), 4);
  EXPECT_GT(stats.resent_requests, 0u);
  // Info: one UNAVAILABLE, then the retry succeeds.
  EXPECT_THAT((*client)->Info()[0], IsOk());
  EXPECT_EQ(stub->deadlines()["Info"].size(), 2u);
}

// ---- Against real shards ----

class ShardsTest : public ::testing::Test {
 protected:
  // Starts `n` shards on loopback TCP ports.
  void StartShards(int n) {
    for (int i = 0; i < n; ++i) StartShard(i, n, 0);
  }
  void StartShard(int index, int n, int port) {
    ReplayShardOptions options;
    options.shard_index = index;
    options.num_shards = n;
    ServerOptions server;
    server.address = "127.0.0.1:" + std::to_string(port);
    absl::StatusOr<std::unique_ptr<ReplayShardServer>> shard =
        ReplayShardServer::Start(options, server);
    ASSERT_THAT(shard, IsOk());
    if (shards_.size() <= static_cast<size_t>(index)) shards_.resize(index + 1);
    shards_[index] = std::move(*shard);
  }
  std::unique_ptr<ReplayClient> Connect(ReplayClientOptions options = FastOptions()) {
    std::vector<std::string> targets;
    for (const auto& shard : shards_) targets.push_back(shard->server().address());
    absl::StatusOr<std::unique_ptr<ReplayClient>> client =
        ReplayClient::Connect(targets, ChannelOptions(), options);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? std::move(*client) : nullptr;
  }
  uint64_t Stored(int shard) {
    v1::InfoResponse info;
    shards_[shard]->service().FindTable("").value()->FillInfo(&info);
    return info.transitions();
  }

  std::vector<std::unique_ptr<ReplayShardServer>> shards_;
};

TEST_F(ShardsTest, RoutesByEpisodeSamplesInProportionAndScansAll) {
  StartShards(3);
  std::unique_ptr<ReplayClient> client = Connect();
  std::vector<uint64_t> expected(3, 0);
  std::vector<v1::TrajectoryChunk> chunks;
  for (uint64_t episode = 100; episode < 160; ++episode) {
    // Uneven sizes: episode e has (e % 5 + 1) chunks.
    for (uint32_t c = 0; c <= episode % 5; ++c) {
      chunks.push_back(Chunk(episode, c));
      expected[ShardOf(episode, 3)] += 10;
    }
  }
  ASSERT_THAT(client->Insert(std::move(chunks)), IsOk());
  ASSERT_THAT(client->Flush(absl::Seconds(30)), IsOk());
  for (int s = 0; s < 3; ++s) EXPECT_EQ(Stored(s), expected[s]) << "shard " << s;

  std::vector<double> drawn(3, 0);
  double total_drawn = 0;
  for (int i = 0; i < 40; ++i) {
    absl::StatusOr<SampledBatch> sample = client->Sample(256);
    ASSERT_THAT(sample, IsOk());
    ASSERT_EQ(sample->shards.size(), 256u);
    EXPECT_TRUE(sample->unavailable_shards.empty());
    EXPECT_EQ(sample->batch.rewards().shape(0), 256);
    ASSERT_THAT(CheckSyntheticBatch(sample->batch), IsOk());
    for (uint32_t shard : sample->shards) drawn[shard] += 1;
    total_drawn += 256;
    // Every row came from the shard that holds its episode.
    absl::Span<const int64_t> episodes =
        *TensorData<int64_t>(sample->batch.episode_ids(), "episode_ids");
    for (size_t r = 0; r < episodes.size(); ++r) {
      ASSERT_EQ(ShardOf(static_cast<uint64_t>(episodes[r]), 3), sample->shards[r]);
    }
  }
  const double total = expected[0] + expected[1] + expected[2];
  for (int s = 0; s < 3; ++s) {
    EXPECT_NEAR(drawn[s] / total_drawn, expected[s] / total, 0.03) << "shard " << s;
  }

  std::vector<uint64_t> cursors;
  uint64_t scanned = 0;
  ASSERT_THAT(client->ScanSince(&cursors, 64,
                                [&](uint32_t shard, const v1::ScanResponse& response) {
                                  scanned += response.end_sequence() - response.first_sequence();
                                }),
              IsOk());
  EXPECT_EQ(scanned, static_cast<uint64_t>(total));
  // Incremental: only what arrived since.
  ASSERT_THAT(client->Insert({Chunk(999, 0)}), IsOk());
  ASSERT_THAT(client->Flush(absl::Seconds(30)), IsOk());
  scanned = 0;
  ASSERT_THAT(client->ScanSince(&cursors, 64,
                                [&](uint32_t shard, const v1::ScanResponse& response) {
                                  EXPECT_EQ(shard, ShardOf(999, 3));
                                  scanned += response.end_sequence() - response.first_sequence();
                                }),
              IsOk());
  EXPECT_EQ(scanned, 10u);

  // Priorities go to the shard that holds each key.
  absl::StatusOr<SampledBatch> sample = client->Sample(8, v1::SampleRequest::PRIORITIZED);
  ASSERT_THAT(sample, IsOk());
  ASSERT_EQ(sample->probabilities.size(), 8u);
  absl::Span<const int64_t> keys = *TensorData<int64_t>(sample->batch.keys(), "keys");
  EXPECT_THAT(client->UpdatePriorities(sample->shards, {keys.begin(), keys.end()},
                                       std::vector<double>(8, 2.0)),
              IsOk());
}

TEST_F(ShardsTest, KeepsWorkingWhenAShardIsDownAndNoticesItsReturn) {
  StartShards(2);
  ReplayClientOptions options = FastOptions();
  options.retry.total_timeout = absl::Milliseconds(300);
  options.call_timeout = absl::Seconds(2);
  options.down_retry_interval = absl::Milliseconds(200);
  std::unique_ptr<ReplayClient> client = Connect(options);
  std::vector<v1::TrajectoryChunk> chunks;
  for (uint64_t episode = 0; episode < 20; ++episode) chunks.push_back(Chunk(episode, 0));
  ASSERT_THAT(client->Insert(chunks), IsOk());
  ASSERT_THAT(client->Flush(absl::Seconds(30)), IsOk());

  const int port = shards_[1]->server().port();
  shards_[1]->Shutdown();
  // Sampling goes on with shard 0, and says shard 1 was skipped.
  absl::StatusOr<SampledBatch> sample = client->Sample(64);
  ASSERT_THAT(sample, IsOk());
  EXPECT_EQ(sample->shards, std::vector<uint32_t>(64, 0));
  EXPECT_EQ(sample->unavailable_shards, std::vector<uint32_t>{1});
  // Scanning covers shard 0 and names shard 1.
  std::vector<uint64_t> cursors;
  EXPECT_THAT(client->ScanSince(&cursors, 100, [](uint32_t, const v1::ScanResponse&) {}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("replay shard(s) 1")));
  EXPECT_GT(cursors[0], 0u);
  // Inserting: shard 0's chunks are stored; shard 1's are given up on and reported.
  std::vector<v1::TrajectoryChunk> more;
  uint64_t for_shard0 = 0;
  for (uint64_t episode = 100; episode < 120; ++episode) {
    more.push_back(Chunk(episode, 0));
    for_shard0 += ShardOf(episode, 2) == 0 ? 10 : 0;
  }
  const uint64_t before = Stored(0);
  ASSERT_THAT(client->Insert(more), IsOk());  // queued: the shard is not known down yet
  EXPECT_THAT(client->Flush(absl::Seconds(30)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("replay shard 1")));
  EXPECT_EQ(Stored(0), before + for_shard0);
  EXPECT_GT(client->writer_stats().dropped_chunks, 0u);
  // Now it is known down: its chunks are refused at once, the others still go.
  EXPECT_THAT(client->Insert(more),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("replay shard(s) 1 are down")));

  // The shard comes back on the same port: the client notices and writes to it again.
  StartShard(1, 2, port);
  bool accepted = false;
  for (int attempt = 0; attempt < 200 && !accepted; ++attempt) {
    accepted = client->Insert({Chunk(7777, 1)}).ok() || ShardOf(7777, 2) == 0;
    if (!accepted) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(accepted);
  std::vector<v1::TrajectoryChunk> back;
  for (uint64_t episode = 200; episode < 220; ++episode) back.push_back(Chunk(episode, 0));
  bool stored = false;
  for (int attempt = 0; attempt < 100 && !stored; ++attempt) {
    stored = client->Insert(back).ok() && client->Flush(absl::Seconds(30)).ok();
    if (!stored) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(stored);
  EXPECT_GT(Stored(1), 0u);
}

}  // namespace
}  // namespace mbrl::replay
