// In-process tests of the ReplayShard service over gRPC: round trips, idempotence, rate
// limiting, eviction, bad input of each kind, readiness, metrics and restarts.
#include "services/replay/replay_service.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status_macros.h"
#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "mbrl/v1/replay.grpc.pb.h"
#include "services/common/channel.h"
#include "services/common/metrics_scrape.h"
#include "services/common/server.h"
#include "services/common/status_util.h"
#include "services/replay/shard_server.h"
#include "services/replay/synthetic_chunks.h"

namespace mbrl::replay {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::IsOkAndHolds;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kObs = 4;
constexpr int kAct = 2;
constexpr absl::Duration kDeadline = absl::Seconds(30);

v1::TrajectoryChunk Chunk(uint64_t episode, uint32_t index, uint32_t steps = 10) {
  return MakeSyntheticChunk(episode, index, index * steps, steps, kObs, kAct);
}

v1::InsertRequest Request(uint64_t id, std::vector<v1::TrajectoryChunk> chunks,
                          std::string table = "") {
  v1::InsertRequest request;
  request.set_request_id(id);
  request.set_table(table);
  for (v1::TrajectoryChunk& chunk : chunks) *request.add_chunks() = std::move(chunk);
  return request;
}

class ReplayServiceTest : public ::testing::Test {
 protected:
  void Start(ReplayShardOptions options = ReplayShardOptions()) {
    ServerOptions server_options;
    server_options.address = "";  // in-process only
    absl::StatusOr<std::unique_ptr<ReplayShardServer>> shard =
        ReplayShardServer::Start(options, server_options);
    ASSERT_THAT(shard, IsOk());
    shard_ = std::move(*shard);
    stub_ = v1::ReplayShard::NewStub(shard_->server().InProcessChannel());
  }

  // Sends `requests` on one Insert stream and returns the responses.
  std::vector<v1::InsertResponse> InsertAll(const std::vector<v1::InsertRequest>& requests,
                                            grpc::Status* final_status = nullptr) {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    auto stream = stub_->Insert(&context);
    for (const v1::InsertRequest& request : requests) EXPECT_TRUE(stream->Write(request));
    stream->WritesDone();
    std::vector<v1::InsertResponse> responses;
    v1::InsertResponse response;
    while (stream->Read(&response)) responses.push_back(response);
    grpc::Status status = stream->Finish();
    if (final_status != nullptr) {
      *final_status = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return responses;
  }

  absl::StatusOr<v1::InfoResponse> Info(const std::string& table = "") {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    v1::InfoRequest request;
    request.set_table(table);
    v1::InfoResponse response;
    MBRL_RETURN_IF_ERROR(FromGrpcStatus(stub_->Info(&context, request, &response)));
    return response;
  }

  // Reads a Sample stream to its end; returns the batches and the final status.
  absl::Status SampleAll(const v1::SampleRequest& request, std::vector<v1::SampleResponse>* out) {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    auto reader = stub_->Sample(&context, request);
    v1::SampleResponse response;
    while (reader->Read(&response)) out->push_back(response);
    return FromGrpcStatus(reader->Finish());
  }

  absl::Status ScanAll(const v1::ScanRequest& request, std::vector<v1::ScanResponse>* out) {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    auto reader = stub_->Scan(&context, request);
    v1::ScanResponse response;
    while (reader->Read(&response)) out->push_back(response);
    return FromGrpcStatus(reader->Finish());
  }

  std::unique_ptr<ReplayShardServer> shard_;
  std::unique_ptr<v1::ReplayShard::Stub> stub_;
};

TEST_F(ReplayServiceTest, InsertScanSampleRoundTrip) {
  Start();
  std::vector<v1::InsertResponse> responses = InsertAll({
      Request(7, {Chunk(1, 0), Chunk(1, 1)}),
      Request(8, {Chunk(2, 0)}),
      Request(9, {Chunk(1, 2), Chunk(3, 0, 5)}),
  });
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].request_id(), 7u);
  EXPECT_EQ(responses[1].request_id(), 8u);
  EXPECT_EQ(responses[2].request_id(), 9u);
  for (const v1::InsertResponse& response : responses) {
    EXPECT_THAT(FromRpcStatus(response.status()), IsOk());
  }
  EXPECT_EQ(responses[0].stored_chunks(), 2u);
  EXPECT_EQ(responses[0].end_sequence(), 20u);
  EXPECT_EQ(responses[2].end_sequence(), 45u);

  absl::StatusOr<v1::InfoResponse> info = Info();
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->table(), "real");
  EXPECT_EQ(info->transitions(), 45u);
  EXPECT_EQ(info->chunks(), 5u);
  EXPECT_EQ(info->end_sequence(), 45u);
  EXPECT_EQ(info->inserts_total(), 45u);
  EXPECT_EQ(info->num_shards(), 1u);
  EXPECT_EQ(info->max_inflight_inserts(), 32u);

  std::vector<v1::ScanResponse> scanned;
  v1::ScanRequest scan;
  scan.set_start_sequence(5);
  scan.set_max_batch_transitions(16);
  ASSERT_THAT(ScanAll(scan, &scanned), IsOk());
  uint64_t next = 5;
  for (const v1::ScanResponse& response : scanned) {
    EXPECT_EQ(response.first_sequence(), next);
    EXPECT_LE(response.end_sequence() - response.first_sequence(), 16u);
    EXPECT_THAT(CheckSyntheticBatch(response.batch()), IsOk());
    next = response.end_sequence();
  }
  EXPECT_EQ(next, 45u);

  v1::SampleRequest sample;
  sample.set_batch_size(32);
  sample.set_num_batches(5);
  std::vector<v1::SampleResponse> batches;
  ASSERT_THAT(SampleAll(sample, &batches), IsOk());
  ASSERT_EQ(batches.size(), 5u);
  for (const v1::SampleResponse& batch : batches) {
    EXPECT_EQ(batch.batch().rewards().shape(0), 32);
    EXPECT_EQ(batch.table_transitions(), 45u);
    EXPECT_THAT(CheckSyntheticBatch(batch.batch()), IsOk());
  }
  EXPECT_EQ(Info()->samples_total(), 160u);
}

TEST_F(ReplayServiceTest, ReinsertOverTheStreamIsIdempotent) {
  Start();
  std::vector<v1::InsertResponse> first = InsertAll({Request(1, {Chunk(5, 0), Chunk(5, 1)})});
  // A client that lost the acknowledgement resends: nothing is stored twice.
  std::vector<v1::InsertResponse> again =
      InsertAll({Request(1, {Chunk(5, 0), Chunk(5, 1)}), Request(2, {Chunk(5, 1), Chunk(5, 2)})});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].stored_chunks(), 0u);
  EXPECT_EQ(again[0].duplicate_chunks(), 2u);
  EXPECT_EQ(again[0].end_sequence(), 20u);
  EXPECT_EQ(again[1].stored_chunks(), 1u);
  EXPECT_EQ(again[1].duplicate_chunks(), 1u);
  EXPECT_EQ(Info()->transitions(), 30u);
}

TEST_F(ReplayServiceTest, BadInputIsRejectedPerRequestAndTheStreamStaysUp) {
  ReplayShardOptions options;
  options.max_request_bytes = 64 << 10;
  Start(options);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();

  std::vector<v1::InsertRequest> requests;
  requests.push_back(Request(0, {Chunk(1, 0)}));  // good: fixes the table's dims
  v1::TrajectoryChunk wrong_shape = Chunk(2, 0);
  wrong_shape.mutable_actions()->set_shape(1, 3);
  requests.push_back(Request(1, {Chunk(2, 1), wrong_shape}));  // good chunk + bad chunk
  v1::TrajectoryChunk wrong_dtype = Chunk(3, 0);
  wrong_dtype.mutable_rewards()->set_dtype(v1::DTYPE_FLOAT64);
  requests.push_back(Request(2, {wrong_dtype}));
  v1::TrajectoryChunk wrong_bytes = Chunk(4, 0);
  wrong_bytes.mutable_observations()->mutable_data()->resize(7);
  requests.push_back(Request(3, {wrong_bytes}));
  v1::TrajectoryChunk with_nan = Chunk(5, 0);
  std::memcpy(&(*with_nan.mutable_observations()->mutable_data())[8], &nan, 4);
  requests.push_back(Request(4, {with_nan}));
  v1::TrajectoryChunk with_inf = Chunk(6, 0);
  std::memcpy(&(*with_inf.mutable_rewards()->mutable_data())[0], &inf, 4);
  requests.push_back(Request(5, {with_inf}));
  std::vector<v1::TrajectoryChunk> many;
  for (uint32_t i = 0; i < 200; ++i) many.push_back(Chunk(7, i));
  requests.push_back(Request(6, many));  // > 64 KiB
  requests.push_back(Request(7, {Chunk(8, 0)}, "imagined"));
  requests.push_back(Request(8, {MakeSyntheticChunk(9, 0, 0, 10, kObs + 1, kAct)}));
  requests.push_back(Request(9, {Chunk(10, 0)}));  // good again

  std::vector<v1::InsertResponse> responses = InsertAll(requests);
  ASSERT_EQ(responses.size(), requests.size());
  auto status = [&](int i) { return FromRpcStatus(responses[i].status()); };
  EXPECT_THAT(status(0), IsOk());
  EXPECT_THAT(status(1), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("actions: float32 tensor of shape [10, 3] needs 120 "
                                            "bytes, got 80")));
  EXPECT_THAT(status(2), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("rewards: float64 tensor of shape [10] needs 80")));
  EXPECT_THAT(status(3), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("observations: float32 tensor of shape [11, 4] needs "
                                            "176 bytes, got 7")));
  EXPECT_THAT(status(4), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("observations: element 2 is NaN")));
  EXPECT_THAT(status(5), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("rewards: element 0 is infinite")));
  EXPECT_THAT(status(6), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("exceeds the limit of 65536 bytes")));
  EXPECT_THAT(status(7), StatusIs(absl::StatusCode::kNotFound, HasSubstr("no table 'imagined'")));
  EXPECT_THAT(status(8),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("do not match table 'real'")));
  EXPECT_THAT(status(9), IsOk());
  for (int i = 1; i <= 8; ++i) EXPECT_EQ(responses[i].stored_chunks(), 0u) << i;
  // Only the two good requests were stored; none of the bad requests' chunks.
  absl::StatusOr<v1::InfoResponse> info = Info();
  EXPECT_EQ(info->transitions(), 20u);
  EXPECT_EQ(info->chunks(), 2u);
}

TEST_F(ReplayServiceTest, OversizeForTheTransportEndsOnlyThatStream) {
  ReplayShardOptions options;
  ServerOptions server_options;
  server_options.address = "127.0.0.1:0";
  server_options.max_message_bytes = 256 << 10;
  absl::StatusOr<std::unique_ptr<ReplayShardServer>> shard =
      ReplayShardServer::Start(options, server_options);
  ASSERT_THAT(shard, IsOk());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateChannel((*shard)->server().address(), ChannelOptions());
  ASSERT_THAT(channel, IsOk());
  stub_ = v1::ReplayShard::NewStub(*channel);
  std::vector<v1::TrajectoryChunk> many;
  for (uint32_t i = 0; i < 800; ++i) many.push_back(Chunk(7, i));  // ~400 KiB
  grpc::Status final_status;
  InsertAll({Request(0, many)}, &final_status);
  EXPECT_EQ(final_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The server is still up and the next stream works.
  std::vector<v1::InsertResponse> responses = InsertAll({Request(1, {Chunk(8, 0)})});
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(FromRpcStatus(responses[0].status()), IsOk());
  EXPECT_EQ(Info()->transitions(), 10u);
}

TEST_F(ReplayServiceTest, SampleValidatesItsRequest) {
  Start();
  InsertAll({Request(0, {Chunk(1, 0)})});
  std::vector<v1::SampleResponse> batches;
  v1::SampleRequest request;
  request.set_batch_size(0);
  EXPECT_THAT(SampleAll(request, &batches), StatusIs(absl::StatusCode::kInvalidArgument,
                                                     HasSubstr("batch_size must be in [1, ")));
  request.set_batch_size(1 << 20);
  EXPECT_THAT(SampleAll(request, &batches), StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_batch_size(4);
  request.set_table("nope");
  EXPECT_THAT(SampleAll(request, &batches), StatusIs(absl::StatusCode::kNotFound));
  request.set_table("");
  request.set_sampler(static_cast<v1::SampleRequest::Sampler>(42));
  EXPECT_THAT(SampleAll(request, &batches),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown sampler 42")));
  request.set_sampler(v1::SampleRequest::PRIORITIZED);
  request.set_priority_exponent(0.9);
  EXPECT_THAT(SampleAll(request, &batches),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("priority_exponent 0.6")));
  EXPECT_TRUE(batches.empty());
  v1::ScanRequest scan;
  scan.set_max_batch_transitions(1 << 20);
  std::vector<v1::ScanResponse> scanned;
  EXPECT_THAT(ScanAll(scan, &scanned), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Info("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ReplayServiceTest, RateLimiterTimeoutEndsTheSampleStream) {
  ReplayShardOptions options;
  options.tables[0].rate_limiter.min_size_to_sample = 100;
  Start(options);
  InsertAll({Request(0, {Chunk(1, 0)})});
  v1::SampleRequest request;
  request.set_batch_size(4);
  request.set_rate_limiter_timeout_ms(50);
  std::vector<v1::SampleResponse> batches;
  EXPECT_THAT(SampleAll(request, &batches),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("rate limiter")));
  absl::StatusOr<v1::InfoResponse> info = Info();
  EXPECT_EQ(info->rate_limiter().min_size_to_sample(), 100u);
  EXPECT_GT(info->rate_limiter().blocked_seconds_total(), 0.04);
  EXPECT_FALSE(info->rate_limiter().samples_blocked());
}

TEST_F(ReplayServiceTest, EndlessSampleAndFollowingScanEndWhenTheClientCancels) {
  Start();
  InsertAll({Request(0, {Chunk(1, 0)})});
  {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    v1::SampleRequest request;
    request.set_batch_size(3);  // num_batches 0: until cancelled
    auto reader = stub_->Sample(&context, request);
    v1::SampleResponse response;
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(reader->Read(&response));
    context.TryCancel();
    while (reader->Read(&response)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    v1::ScanRequest request;
    request.set_follow(true);
    auto reader = stub_->Scan(&context, request);
    v1::ScanResponse response;
    ASSERT_TRUE(reader->Read(&response));
    EXPECT_EQ(response.end_sequence(), 10u);
    // New data reaches the follower once it is durable.
    InsertAll({Request(1, {Chunk(1, 1)})});
    ASSERT_TRUE(reader->Read(&response));
    EXPECT_EQ(response.first_sequence(), 10u);
    EXPECT_EQ(response.end_sequence(), 20u);
    context.TryCancel();
    while (reader->Read(&response)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
}

TEST_F(ReplayServiceTest, EvictionAndPrioritiesOverRpc) {
  ReplayShardOptions options;
  options.tables[0].capacity_transitions = 30;
  options.tables[0].priority_exponent = 1.0;
  Start(options);
  std::vector<v1::InsertRequest> requests;
  for (uint32_t i = 0; i < 6; ++i) requests.push_back(Request(i, {Chunk(1, i)}));
  InsertAll(requests);
  absl::StatusOr<v1::InfoResponse> info = Info();
  EXPECT_EQ(info->transitions(), 30u);
  EXPECT_EQ(info->first_sequence(), 30u);
  EXPECT_EQ(info->capacity_transitions(), 30u);

  v1::UpdatePrioritiesRequest update;
  *update.mutable_keys() = MakeTensor<int64_t>(std::vector<int64_t>{0, 45}, {2});
  *update.mutable_priorities() = MakeTensor<double>(std::vector<double>{3.0, 0.0}, {2});
  v1::UpdatePrioritiesResponse updated;
  grpc::ClientContext context;
  SetTimeout(context, kDeadline);
  ASSERT_TRUE(stub_->UpdatePriorities(&context, update, &updated).ok());
  EXPECT_EQ(updated.updated(), 1u);
  EXPECT_EQ(updated.unknown_keys(), 1u);  // key 0 was evicted

  grpc::ClientContext bad_context;
  SetTimeout(bad_context, kDeadline);
  *update.mutable_priorities() = MakeTensor<double>(std::vector<double>{1.0}, {1});
  EXPECT_EQ(stub_->UpdatePriorities(&bad_context, update, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(ReplayServiceReadinessTest, UnavailableAndNotServingUntilRecovered) {
  ReplayShardService service{ReplayShardOptions()};
  ServerOptions server_options;
  server_options.address = "";
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(server_options, {{v1::ReplayShard::service_full_name(), &service}});
  ASSERT_THAT(server, IsOk());
  std::shared_ptr<grpc::Channel> channel = (*server)->InProcessChannel();
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto stub = v1::ReplayShard::NewStub(channel);
  auto check = [&] {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(v1::ReplayShard::service_full_name());
    grpc::health::v1::HealthCheckResponse response;
    EXPECT_TRUE(health->Check(&context, request, &response).ok());
    return response.status();
  };
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    v1::InfoResponse info;
    grpc::Status status = stub->Info(&context, v1::InfoRequest(), &info);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(status.error_message(), HasSubstr("recovering"));
  }
  {
    grpc::ClientContext context;
    SetTimeout(context, kDeadline);
    auto stream = stub->Insert(&context);
    v1::InsertResponse response;
    EXPECT_FALSE(stream->Read(&response));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  ASSERT_THAT(service.Recover(), IsOk());
  (*server)->SetServing(true);
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::SERVING);
  service.Close();
  (*server)->Shutdown();
}

TEST_F(ReplayServiceTest, MetricsFollowPrometheusConventions) {
  absl::StatusOr<std::unique_ptr<MetricsExporter>> exporter =
      MetricsExporter::Create("127.0.0.1:0");
  ASSERT_THAT(exporter, IsOk());
  ServerOptions server_options;
  server_options.address = "";
  ReplayShardOptions options;
  options.shard_index = 1;
  options.num_shards = 2;
  absl::StatusOr<std::unique_ptr<ReplayShardServer>> shard =
      ReplayShardServer::Start(options, server_options, exporter->get());
  ASSERT_THAT(shard, IsOk());
  shard_ = std::move(*shard);
  stub_ = v1::ReplayShard::NewStub(shard_->server().InProcessChannel());
  InsertAll({Request(0, {Chunk(1, 0), Chunk(1, 1)})});
  v1::SampleRequest sample;
  sample.set_batch_size(8);
  sample.set_num_batches(2);
  std::vector<v1::SampleResponse> batches;
  ASSERT_THAT(SampleAll(sample, &batches), IsOk());

  absl::StatusOr<std::string> text = ::mbrl::testing::ScrapeMetrics((*exporter)->port());
  ASSERT_THAT(text, IsOk());
  const std::string labels = "{shard=\"1\",table=\"real\"}";
  using ::mbrl::testing::MetricValue;
  EXPECT_THAT(MetricValue(*text, "mbrl_replay_items" + labels), IsOkAndHolds(20));
  EXPECT_THAT(MetricValue(*text, "mbrl_replay_inserts_total" + labels), IsOkAndHolds(20));
  EXPECT_THAT(MetricValue(*text, "mbrl_replay_samples_total" + labels), IsOkAndHolds(16));
  EXPECT_THAT(MetricValue(*text, "mbrl_replay_bytes" + labels),
              IsOkAndHolds(2 * ChunkPayloadBytes(Chunk(1, 0))));
  EXPECT_THAT(MetricValue(*text,
                          "mbrl_replay_rate_limiter_blocked_seconds_total{shard=\"1\",table="
                          "\"real\",op=\"insert\"}"),
              IsOkAndHolds(0));
  EXPECT_THAT(MetricValue(*text, "mbrl_replay_ready{shard=\"1\"}"), IsOkAndHolds(1));
  EXPECT_THAT(
      MetricValue(
          *text,
          "mbrl_rpc_latency_seconds_count{method=\"Insert\",service=\"mbrl.v1.ReplayShard\"}"),
      IsOkAndHolds(1));
  EXPECT_THAT(
      MetricValue(
          *text,
          "mbrl_rpc_latency_seconds_count{method=\"Sample\",service=\"mbrl.v1.ReplayShard\"}"),
      IsOkAndHolds(2));
  EXPECT_THAT(*text, HasSubstr("# TYPE mbrl_replay_inserts_total counter"));
  EXPECT_THAT(*text, HasSubstr("# TYPE mbrl_replay_items gauge"));
  // The collectable outlives the shard.
  shard_.reset();
  EXPECT_THAT(::mbrl::testing::ScrapeMetrics((*exporter)->port()), IsOk());
}

TEST_F(ReplayServiceTest, ShutdownEndsOpenStreamsInsteadOfWaitingForThem) {
  Start();
  grpc::ClientContext insert_context, scan_context;
  SetTimeout(insert_context, kDeadline);
  SetTimeout(scan_context, kDeadline);
  auto insert = stub_->Insert(&insert_context);
  ASSERT_TRUE(insert->Write(Request(1, {Chunk(1, 0)})));
  v1::InsertResponse ack;
  ASSERT_TRUE(insert->Read(&ack));  // the stream is open and idle now
  v1::ScanRequest follow;
  follow.set_follow(true);
  auto scan = stub_->Scan(&scan_context, follow);
  v1::ScanResponse scanned;
  ASSERT_TRUE(scan->Read(&scanned));

  const absl::Time start = absl::Now();
  shard_->Shutdown(/*grace=*/absl::Seconds(60));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // not the grace period
  EXPECT_FALSE(insert->Read(&ack));
  EXPECT_EQ(insert->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  while (scan->Read(&scanned)) {
  }
  EXPECT_EQ(scan->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ReplayServiceTest, DurableShardServesAcknowledgedDataAfterRestart) {
  ReplayShardOptions options;
  options.data_dir = std::string(getenv("TEST_TMPDIR")) + "/restart";
  Start(options);
  InsertAll({Request(0, {Chunk(1, 0), Chunk(1, 1)}), Request(1, {Chunk(2, 0)})});
  shard_.reset();
  Start(options);
  absl::StatusOr<v1::InfoResponse> info = Info();
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->transitions(), 30u);
  EXPECT_EQ(info->end_sequence(), 30u);
  EXPECT_GE(info->recovery_seconds(), 0.0);
  std::vector<v1::ScanResponse> scanned;
  ASSERT_THAT(ScanAll(v1::ScanRequest(), &scanned), IsOk());
  ASSERT_EQ(scanned.size(), 1u);
  EXPECT_EQ(scanned[0].end_sequence(), 30u);
  EXPECT_THAT(CheckSyntheticBatch(scanned[0].batch()), IsOk());
  std::vector<v1::InsertResponse> again = InsertAll({Request(2, {Chunk(2, 0), Chunk(2, 1)})});
  EXPECT_EQ(again[0].duplicate_chunks(), 1u);
  EXPECT_EQ(again[0].end_sequence(), 40u);
}

}  // namespace
}  // namespace mbrl::replay
