#include "bench/replay/replay_bench.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "mbrl/bench/raw_sink.grpc.pb.h"
#include "mbrl/v1/replay.grpc.pb.h"
#include "services/common/channel.h"
#include "services/common/retry.h"
#include "services/common/server.h"
#include "services/common/status_util.h"
#include "services/common/stream_reactor.h"
#include "services/replay/client.h"
#include "services/replay/shard_server.h"
#include "services/replay/synthetic_chunks.h"

namespace mbrl::bench {
namespace {

using replay::kHalfCheetahActDim;
using replay::kHalfCheetahObsDim;

// Messages a RawSink stream keeps queued ahead of the client.
constexpr size_t kRawQueue = 2;

// ---- The baseline service: acknowledges or repeats bytes, nothing else ----

class RawSinkService final : public RawSink::CallbackService {
 public:
  explicit RawSinkService(size_t window) : window_(window) {}

 private:
  class SinkReactor final : public BidiStreamReactor<RawMessage, RawAck> {
   public:
    explicit SinkReactor(size_t window) : window_(window) { StartRead(&message_); }

   private:
    void OnReadDone(bool ok) override {
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
      }
      if (!ok) {
        Close(grpc::Status::OK);
        return;
      }
      RawAck ack;
      ack.set_id(message_.id());
      Send(std::move(ack));
      ReadIfRoom();
    }
    void OnMessageWritten() override { ReadIfRoom(); }
    // The next read starts unless `window` acknowledgements wait to be written (the replay
    // shard's backpressure, without its work).
    void ReadIfRoom() {
      {
        absl::MutexLock lock(&mu_);
        if (reading_ || queued() >= window_) return;
        reading_ = true;
      }
      StartRead(&message_);
    }
    void OnStreamCancelled() override { Close(grpc::Status::CANCELLED); }

    const size_t window_;
    RawMessage message_;
    absl::Mutex mu_;
    bool reading_ ABSL_GUARDED_BY(mu_) = true;  // the constructor's read
  };

  class SourceReactor final : public ServerStreamReactor<RawMessage> {
   public:
    explicit SourceReactor(const RawSourceRequest& request) {
      message_.set_payload(request.payload());
      Fill();
    }

   private:
    void Fill() {
      while (queued() < kRawQueue) {
        message_.set_id(message_.id() + 1);
        if (!Send(message_)) return;
      }
    }
    void OnMessageWritten() override { Fill(); }
    void OnStreamCancelled() override { Close(grpc::Status::CANCELLED); }

    RawMessage message_;
  };

  grpc::ServerBidiReactor<RawMessage, RawAck>* Sink(grpc::CallbackServerContext*) override {
    return new SinkReactor(window_);
  }
  grpc::ServerWriteReactor<RawMessage>* Source(grpc::CallbackServerContext*,
                                               const RawSourceRequest* request) override {
    return new SourceReactor(*request);
  }

  const size_t window_;
};

// ---- Load generators (synchronous client streams, as an actor or learner would use) ----

struct Load {
  uint64_t transitions = 0;
  uint64_t bytes = 0;
  absl::Duration elapsed;
};

// Writes `make(i)` for i = 0, 1, ... for `duration` with at most `window` unacknowledged, then
// half-closes and waits for the last acknowledgement. `check` vets every acknowledgement.
template <typename Request, typename Response>
absl::StatusOr<Load> DriveInsertStream(grpc::ClientReaderWriterInterface<Request, Response>& stream,
                                       const std::function<const Request&(uint64_t)>& make,
                                       uint64_t transitions_per_request, int window,
                                       absl::Duration duration,
                                       const std::function<absl::Status(const Response&)>& check) {
  absl::Mutex mu;
  uint64_t sent = 0, acked = 0;
  absl::Status ack_error;
  std::thread reader([&] {
    Response response;
    while (stream.Read(&response)) {
      absl::Status status = check(response);
      absl::MutexLock lock(&mu);
      if (!status.ok() && ack_error.ok()) ack_error = status;
      ++acked;
    }
  });
  Load load;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  while (absl::Now() < end) {
    {
      absl::MutexLock lock(&mu);
      auto room = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return sent - acked < static_cast<uint64_t>(window);
      };
      mu.Await(absl::Condition(&room));
    }
    const Request& request = make(sent);
    load.bytes += request.ByteSizeLong();
    if (!stream.Write(request)) break;
    absl::MutexLock lock(&mu);
    ++sent;
  }
  stream.WritesDone();
  reader.join();
  load.elapsed = absl::Now() - start;
  MBRL_RETURN_IF_ERROR(FromGrpcStatus(stream.Finish()));
  MBRL_RETURN_IF_ERROR(ack_error);
  if (acked != sent) {
    return absl::InternalError(absl::StrCat(sent - acked, " requests were not acknowledged"));
  }
  load.transitions = acked * transitions_per_request;
  load.bytes = load.bytes * acked / std::max<uint64_t>(sent, 1);
  return load;
}

// Reads `reader` for `duration`, then cancels it.
template <typename Response>
Load DriveReadStream(grpc::ClientContext& context, grpc::ClientReaderInterface<Response>& reader,
                     const std::function<uint64_t(const Response&)>& transitions,
                     absl::Duration duration) {
  Load load;
  Response response;
  const absl::Time start = absl::Now();
  while (absl::Now() - start < duration && reader.Read(&response)) {
    load.transitions += transitions(response);
    load.bytes += response.ByteSizeLong();
  }
  load.elapsed = absl::Now() - start;
  context.TryCancel();
  while (reader.Read(&response)) {
  }
  reader.Finish();  // CANCELLED, by us
  return load;
}

// Runs `work(i)` for every shard i on its own thread; sums transitions and bytes, and takes the
// longest elapsed time.
absl::StatusOr<Load> OnEveryShard(int shards,
                                  const std::function<absl::StatusOr<Load>(int)>& work) {
  std::vector<absl::StatusOr<Load>> loads(shards);
  std::vector<std::thread> threads;
  for (int i = 0; i < shards; ++i) threads.emplace_back([&, i] { loads[i] = work(i); });
  for (std::thread& thread : threads) thread.join();
  Load total;
  total.elapsed = absl::ZeroDuration();
  for (const absl::StatusOr<Load>& load : loads) {
    MBRL_RETURN_IF_ERROR(load.status());
    total.transitions += load->transitions;
    total.bytes += load->bytes;
    total.elapsed = std::max(total.elapsed, load->elapsed);
  }
  return total;
}

double PerSecond(double amount, absl::Duration elapsed) {
  return amount / std::max(absl::ToDoubleSeconds(elapsed), 1e-9);
}

// An insert request of `chunks` chunks of `steps` HalfCheetah transitions; Renumber() gives its
// chunks fresh episodes of one shard before each send.
class RequestFactory {
 public:
  RequestFactory(int steps, int chunks, int shard, int shards)
      : shard_(shard), shards_(shards), next_episode_(static_cast<uint64_t>(shard) << 48) {
    for (int c = 0; c < chunks; ++c) {
      *request_.add_chunks() = replay::MakeSyntheticChunk(
          /*episode_id=*/c, /*chunk_index=*/0, /*first_step=*/0, steps, kHalfCheetahObsDim,
          kHalfCheetahActDim);
    }
  }

  const v1::InsertRequest& Renumber(uint64_t request_id) {
    request_.set_request_id(request_id);
    for (v1::TrajectoryChunk& chunk : *request_.mutable_chunks()) {
      do {
        ++next_episode_;
      } while (replay::ShardOf(next_episode_, shards_) != static_cast<uint32_t>(shard_));
      chunk.set_episode_id(next_episode_);
    }
    return request_;
  }

 private:
  const int shard_, shards_;
  uint64_t next_episode_;
  v1::InsertRequest request_;
};

struct Servers {
  std::vector<std::unique_ptr<replay::ReplayShardServer>> shards;
  std::vector<std::unique_ptr<RawSinkService>> raw_services;
  std::vector<std::unique_ptr<GrpcServer>> raw_servers;
  std::vector<std::shared_ptr<grpc::Channel>> shard_channels, raw_channels;
};

absl::StatusOr<Servers> StartServers(const ReplayBenchOptions& options, int shards,
                                     const std::string& directory) {
  Servers servers;
  ServerOptions server_options;
  server_options.address = "127.0.0.1:0";
  for (int i = 0; i < shards; ++i) {
    replay::ReplayShardOptions shard_options;
    shard_options.shard_index = i;
    shard_options.num_shards = shards;
    shard_options.data_dir = absl::StrCat(directory, "/shard", i);
    shard_options.tables[0].capacity_transitions = 2'000'000;  // bounded memory per shard
    shard_options.tables[0].wal.sync = options.fsync;
    MBRL_ASSIGN_OR_RETURN(std::unique_ptr<replay::ReplayShardServer> shard,
                          replay::ReplayShardServer::Start(shard_options, server_options));
    MBRL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                          CreateChannel(shard->server().address(), ChannelOptions()));
    servers.shard_channels.push_back(channel);
    servers.shards.push_back(std::move(shard));

    servers.raw_services.push_back(std::make_unique<RawSinkService>(options.window));
    MBRL_ASSIGN_OR_RETURN(std::unique_ptr<GrpcServer> raw,
                          GrpcServer::Start(server_options, {{RawSink::service_full_name(),
                                                              servers.raw_services.back().get()}}));
    raw->SetServing(true);
    MBRL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> raw_channel,
                          CreateChannel(raw->address(), ChannelOptions()));
    servers.raw_channels.push_back(raw_channel);
    servers.raw_servers.push_back(std::move(raw));
  }
  return servers;
}

absl::Status CheckOptions(const ReplayBenchOptions& options) {
  bool ok = options.seconds > 0 && options.transitions_per_request > 0 && options.window > 0 &&
            options.sample_batch > 0 && !options.chunk_sizes.empty() &&
            !options.shard_counts.empty();
  for (int size : options.chunk_sizes) ok &= size > 0;
  for (int shards : options.shard_counts) ok &= shards > 0 && shards <= 16;
  if (!ok) {
    return absl::InvalidArgumentError(
        "every option must be positive (and 1..16 shards, at least one chunk size)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReplayBenchResults> RunReplayBench(const ReplayBenchOptions& options,
                                                  std::ostream& log) {
  MBRL_RETURN_IF_ERROR(CheckOptions(options));
  const absl::Duration duration = absl::Seconds(options.seconds);
  const char* tmp = getenv("TMPDIR");
  const std::string root = !options.data_dir.empty()
                               ? options.data_dir
                               : absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/mbrl-bench-replay-",
                                              getpid(), "-", RandomSeed() % 1000000);
  const bool remove_root = options.data_dir.empty();

  ReplayBenchResults per_config;
  double insert_min = 1e300, sample_min = 1e300, insert_ratio_min = 1e300, sample_ratio_min = 1e300;
  log << absl::StrFormat(
      "replay benchmark: HalfCheetah transitions (%d floats), %d transitions per insert "
      "request, %d in flight per stream, sample batches of %d, %.1f s per measurement, fsync %s\n",
      kHalfCheetahObsDim * 2 + kHalfCheetahActDim + 2, options.transitions_per_request,
      options.window, options.sample_batch, options.seconds, options.fsync ? "on" : "off");
  log << absl::StrFormat("%-6s %-6s %-8s %14s %10s %14s %8s %14s %10s %14s %8s\n", "chunk",
                         "shards", "", "insert tr/s", "MB/s", "raw tr/s", "ratio", "sample tr/s",
                         "MB/s", "raw tr/s", "ratio");
  for (int steps : options.chunk_sizes) {
    const int chunks = std::max(1, options.transitions_per_request / steps);
    const uint64_t transitions_per_request = static_cast<uint64_t>(chunks) * steps;
    for (int shards : options.shard_counts) {
      const std::string directory = absl::StrCat(root, "/c", steps, "_s", shards);
      MBRL_ASSIGN_OR_RETURN(Servers servers, StartServers(options, shards, directory));

      // 1. Insert into the replay shards.
      MBRL_ASSIGN_OR_RETURN(
          Load insert, OnEveryShard(shards, [&](int i) -> absl::StatusOr<Load> {
            RequestFactory factory(steps, chunks, i, shards);
            auto stub = v1::ReplayShard::NewStub(servers.shard_channels[i]);
            grpc::ClientContext context;
            SetTimeout(context, duration + absl::Minutes(2));
            auto stream = stub->Insert(&context);
            return DriveInsertStream<v1::InsertRequest, v1::InsertResponse>(
                *stream,
                [&](uint64_t id) -> const v1::InsertRequest& { return factory.Renumber(id); },
                transitions_per_request, options.window, duration,
                [chunks](const v1::InsertResponse& response) -> absl::Status {
                  MBRL_RETURN_IF_ERROR(FromRpcStatus(response.status()));
                  if (response.stored_chunks() != static_cast<uint32_t>(chunks)) {
                    return absl::InternalError("a benchmark chunk was not stored");
                  }
                  return absl::OkStatus();
                });
          }));
      // 2. The same bytes through the raw sink.
      MBRL_ASSIGN_OR_RETURN(
          Load raw_insert, OnEveryShard(shards, [&](int i) -> absl::StatusOr<Load> {
            RequestFactory factory(steps, chunks, i, shards);
            RawMessage message;
            auto stub = RawSink::NewStub(servers.raw_channels[i]);
            grpc::ClientContext context;
            SetTimeout(context, duration + absl::Minutes(2));
            auto stream = stub->Sink(&context);
            return DriveInsertStream<RawMessage, RawAck>(
                *stream,
                [&](uint64_t id) -> const RawMessage& {
                  message.set_id(id);
                  factory.Renumber(id).SerializeToString(message.mutable_payload());
                  return message;
                },
                transitions_per_request, options.window, duration,
                [](const RawAck&) { return absl::OkStatus(); });
          }));
      // 3. Sample from the replay shards; 4. the same bytes from the raw source.
      v1::SampleRequest sample_request;
      sample_request.set_batch_size(options.sample_batch);
      std::string sample_bytes;
      MBRL_ASSIGN_OR_RETURN(
          Load sample, OnEveryShard(shards, [&](int i) -> absl::StatusOr<Load> {
            auto stub = v1::ReplayShard::NewStub(servers.shard_channels[i]);
            grpc::ClientContext context;
            SetTimeout(context, duration + absl::Minutes(2));
            auto reader = stub->Sample(&context, sample_request);
            v1::SampleResponse first;
            if (!reader->Read(&first)) return FromGrpcStatus(reader->Finish());
            if (i == 0) sample_bytes = first.SerializeAsString();
            return DriveReadStream<v1::SampleResponse>(
                context, *reader,
                [](const v1::SampleResponse& r) { return r.batch().rewards().shape(0); }, duration);
          }));
      RawSourceRequest source_request;
      source_request.set_payload(sample_bytes);
      MBRL_ASSIGN_OR_RETURN(
          Load raw_sample, OnEveryShard(shards, [&](int i) -> absl::StatusOr<Load> {
            auto stub = RawSink::NewStub(servers.raw_channels[i]);
            grpc::ClientContext context;
            SetTimeout(context, duration + absl::Minutes(2));
            auto reader = stub->Source(&context, source_request);
            const uint64_t rows = options.sample_batch;
            return DriveReadStream<RawMessage>(
                context, *reader, [rows](const RawMessage&) { return rows; }, duration);
          }));
      for (auto& shard : servers.shards) shard->Shutdown();
      for (auto& raw : servers.raw_servers) raw->Shutdown();

      const double insert_tps = PerSecond(insert.transitions, insert.elapsed);
      const double raw_insert_tps = PerSecond(raw_insert.transitions, raw_insert.elapsed);
      const double sample_tps = PerSecond(sample.transitions, sample.elapsed);
      const double raw_sample_tps = PerSecond(raw_sample.transitions, raw_sample.elapsed);
      const double insert_ratio = insert_tps / std::max(raw_insert_tps, 1e-9);
      const double sample_ratio = sample_tps / std::max(raw_sample_tps, 1e-9);
      log << absl::StrFormat(
                 "%-6d %-6d %-8s %14.0f %10.1f %14.0f %8.3f %14.0f %10.1f %14.0f %8.3f\n", steps,
                 shards, "", insert_tps, PerSecond(insert.bytes, insert.elapsed) / 1e6,
                 raw_insert_tps, insert_ratio, sample_tps,
                 PerSecond(sample.bytes, sample.elapsed) / 1e6, raw_sample_tps, sample_ratio)
          << std::flush;
      const std::string key = absl::StrCat("c", steps, "_s", shards);
      per_config.emplace_back("insert_transitions_per_s_" + key, insert_tps);
      per_config.emplace_back("insert_mb_per_s_" + key,
                              PerSecond(insert.bytes, insert.elapsed) / 1e6);
      per_config.emplace_back("raw_insert_transitions_per_s_" + key, raw_insert_tps);
      per_config.emplace_back("sample_transitions_per_s_" + key, sample_tps);
      per_config.emplace_back("sample_mb_per_s_" + key,
                              PerSecond(sample.bytes, sample.elapsed) / 1e6);
      per_config.emplace_back("raw_sample_transitions_per_s_" + key, raw_sample_tps);
      if (shards == 1) {
        insert_min = std::min(insert_min, insert_tps);
        sample_min = std::min(sample_min, sample_tps);
      }
      insert_ratio_min = std::min(insert_ratio_min, insert_ratio);
      sample_ratio_min = std::min(sample_ratio_min, sample_ratio);
      std::error_code ignored;
      std::filesystem::remove_all(directory, ignored);
    }
  }
  if (remove_root) {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  ReplayBenchResults results;
  if (insert_min < 1e300) results.emplace_back("insert_transitions_per_s", insert_min);
  if (sample_min < 1e300) results.emplace_back("sample_transitions_per_s", sample_min);
  results.emplace_back("insert_vs_raw_grpc", insert_ratio_min);
  results.emplace_back("sample_vs_raw_grpc", sample_ratio_min);
  results.insert(results.end(), per_config.begin(), per_config.end());
  return results;
}

}  // namespace mbrl::bench
