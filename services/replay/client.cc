#include "services/replay/client.h"

#include <algorithm>
#include <deque>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/tensor_proto.h"
#include "services/common/status_util.h"

namespace mbrl::replay {
namespace {

// Appends the rows of `from` to `to` (same dtypes and trailing dims; checked by the caller's
// shards holding one table schema).
void AppendTensor(const v1::Tensor& from, v1::Tensor* to) {
  if (to->shape_size() == 0) {
    *to = from;
    return;
  }
  to->set_shape(0, to->shape(0) + from.shape(0));
  to->mutable_data()->append(from.data());
}

void AppendBatch(const v1::TransitionBatch& from, v1::TransitionBatch* to) {
  AppendTensor(from.observations(), to->mutable_observations());
  AppendTensor(from.actions(), to->mutable_actions());
  AppendTensor(from.rewards(), to->mutable_rewards());
  AppendTensor(from.next_observations(), to->mutable_next_observations());
  AppendTensor(from.terminated(), to->mutable_terminated());
  AppendTensor(from.truncated(), to->mutable_truncated());
  AppendTensor(from.keys(), to->mutable_keys());
  AppendTensor(from.episode_ids(), to->mutable_episode_ids());
}

std::string ShardList(const std::vector<uint32_t>& shards) { return absl::StrJoin(shards, ", "); }

}  // namespace

uint32_t ShardOf(uint64_t episode_id, uint32_t num_shards) {
  // splitmix64's finalizer.
  uint64_t z = episode_id + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z = z ^ (z >> 31);
  return static_cast<uint32_t>(z % num_shards);
}

// ---- The writing side: one thread and one Insert stream per shard ----

class ReplayClient::ShardWriter {
 public:
  ShardWriter(uint32_t index, std::shared_ptr<Stub> stub, const ReplayClientOptions& options)
      : index_(index), stub_(std::move(stub)), options_(options), thread_([this] { Run(); }) {}

  ~ShardWriter() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    thread_.join();
  }

  absl::Status Enqueue(std::vector<v1::TrajectoryChunk> chunks) {
    // Group into requests of at most max_request_bytes (a single larger chunk travels alone).
    std::vector<Request> requests;
    for (v1::TrajectoryChunk& chunk : chunks) {
      const uint64_t bytes = chunk.ByteSizeLong();
      if (requests.empty() || requests.back().bytes + bytes > options_.max_request_bytes) {
        requests.emplace_back().request.set_table(options_.table);
      }
      Request& request = requests.back();
      *request.request.add_chunks() = std::move(chunk);
      request.bytes += bytes;
    }
    absl::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + options_.enqueue_timeout;
    for (Request& request : requests) {
      auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || down_ || queued_bytes_ < options_.max_queued_bytes;
      };
      if (!mu_.AwaitWithDeadline(absl::Condition(&room), deadline)) {
        return absl::DeadlineExceededError(absl::StrCat(
            "replay shard ", index_, " is not keeping up: ", queued_bytes_,
            " bytes unacknowledged after ", absl::FormatDuration(options_.enqueue_timeout)));
      }
      if (stopping_) return absl::CancelledError("the replay client is shutting down");
      if (down_) {
        return absl::UnavailableError(absl::StrCat("replay shard ", index_, " is down (",
                                                   down_reason_.message(),
                                                   "); its chunks were not queued"));
      }
      queued_bytes_ += request.bytes;
      pending_.push_back(std::move(request));
    }
    return absl::OkStatus();
  }

  absl::Status Flush(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return pending_.empty() && inflight_.empty() && requeue_.empty();
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&settled), deadline)) {
      return absl::DeadlineExceededError(absl::StrCat("replay shard ", index_, ": ",
                                                      pending_.size() + inflight_.size(),
                                                      " insert requests still unacknowledged"));
    }
    absl::Status error = std::move(error_);
    error_ = absl::OkStatus();
    return error;
  }

  WriterStats stats() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

 private:
  struct Request {
    v1::InsertRequest request;
    uint64_t bytes = 0;
  };

  void Record(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (error_.ok()) {
      error_ = absl::Status(status.code(),
                            absl::StrCat("replay shard ", index_, ": ", status.message()));
    }
  }

  // Sleeps `delay` unless the writer is stopped first.
  void Sleep(absl::Duration delay) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
  }

  void Run() {
    RetryOptions retry = options_.retry;
    retry.sleep = [this](absl::Duration delay) { Sleep(delay); };
    Retrier retrier(retry);
    while (true) {
      bool down;
      {
        absl::MutexLock lock(&mu_);
        auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || down_ || !pending_.empty();
        };
        mu_.Await(absl::Condition(&work));
        if (stopping_) return;
        down = down_;
      }
      if (down) {
        Probe();
        retrier.Reset();
        continue;
      }
      bool progress = false;
      const absl::Status status = RunStream(&progress);
      if (progress) retrier.Reset();
      absl::Status retry_status;
      {
        absl::MutexLock lock(&mu_);
        // What the stream did not settle goes back to the front, in order.
        stats_.resent_requests += requeue_.size() + inflight_.size();
        while (!inflight_.empty()) {
          requeue_.push_back(std::move(inflight_.front()));
          inflight_.pop_front();
        }
        while (!requeue_.empty()) {
          pending_.push_front(std::move(requeue_.back()));
          requeue_.pop_back();
        }
        if (stopping_) return;
        if (status.code() == absl::StatusCode::kDeadlineExceeded) continue;  // lifetime: reopen
        if (status.code() == absl::StatusCode::kResourceExhausted && !pending_.empty()) {
          // The transport refused a message as too large: it can never pass.
          Record(status);
          stats_.rejected_chunks += pending_.front().request.chunks_size();
          queued_bytes_ -= pending_.front().bytes;
          pending_.pop_front();
          continue;
        }
        retry_status = status.ok() || status.code() == absl::StatusCode::kCancelled
                           ? absl::UnavailableError("the insert stream ended")
                           : status;
      }
      if (absl::IsUnavailable(retry_status) && retrier.ShouldRetry(retry_status)) continue;
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      DeclareDown(retry_status);
    }
  }

  // Drops everything queued and refuses new chunks until Probe() reaches the shard.
  void DeclareDown(const absl::Status& reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    uint64_t dropped = 0;
    for (const Request& request : pending_) dropped += request.request.chunks_size();
    pending_.clear();
    queued_bytes_ = 0;
    stats_.dropped_chunks += dropped;
    down_ = true;
    down_reason_ = reason;
    Record(absl::UnavailableError(
        absl::StrCat(dropped, " chunks dropped: the shard is down (", reason.message(), ")")));
    MBRL_LOG(WARNING) << "replay shard " << index_ << " is down (" << reason.message()
                      << "); dropped " << dropped
                      << " queued chunks; writing on to the other shards";
  }

  void Probe() {
    Sleep(options_.retry.backoff.max_delay);
    grpc::ClientContext context;
    SetTimeout(context, options_.call_timeout);
    v1::InfoRequest request;
    request.set_table(options_.table);
    v1::InfoResponse response;
    if (!stub_->Info(&context, request, &response).ok()) return;
    absl::MutexLock lock(&mu_);
    down_ = false;
    MBRL_LOG(INFO) << "replay shard " << index_ << " is reachable again";
  }

  // Runs one Insert stream until it breaks, its deadline passes or the writer stops.
  absl::Status RunStream(bool* progress) {
    grpc::ClientContext context;
    SetTimeout(context, options_.insert_stream_lifetime);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("stopping");
      context_ = &context;
      broken_ = false;
      reader_done_ = false;
      ++stats_.streams_opened;
    }
    std::unique_ptr<grpc::ClientReaderWriterInterface<v1::InsertRequest, v1::InsertResponse>>
        stream = stub_->Insert(&context);
    std::thread reader([&] { ReadAcks(stream.get(), progress); });
    while (true) {
      const v1::InsertRequest* next = nullptr;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || broken_ || reader_done_ ||
                 (!pending_.empty() && inflight_.size() < options_.max_inflight_requests);
        };
        mu_.Await(absl::Condition(&ready));
        if (stopping_ || broken_ || reader_done_) break;
        pending_.front().request.set_request_id(next_request_id_++);
        inflight_.push_back(std::move(pending_.front()));
        pending_.pop_front();
        next = &inflight_.back().request;  // stays put until acknowledged
      }
      if (!stream->Write(*next)) break;
    }
    // Half-close, then cancel: ends the reader whether or not the server ended the call.
    stream->WritesDone();
    context.TryCancel();
    reader.join();
    {
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
    }
    return FromGrpcStatus(stream->Finish());
  }

  void ReadAcks(grpc::ClientReaderWriterInterface<v1::InsertRequest, v1::InsertResponse>* stream,
                bool* progress) {
    v1::InsertResponse response;
    while (stream->Read(&response)) {
      absl::MutexLock lock(&mu_);
      if (inflight_.empty() || inflight_.front().request.request_id() != response.request_id()) {
        Record(absl::InternalError(
            absl::StrCat("acknowledgement for request ", response.request_id(), " out of order")));
        broken_ = true;
        break;
      }
      Request request = std::move(inflight_.front());
      inflight_.pop_front();
      const absl::Status status = FromRpcStatus(response.status());
      if (status.ok()) {
        *progress = true;
        stats_.acknowledged_chunks += response.stored_chunks() + response.duplicate_chunks();
        stats_.duplicate_chunks += response.duplicate_chunks();
        queued_bytes_ -= request.bytes;
      } else if (absl::IsUnavailable(status)) {
        // The shard is going away: resend this one (and what follows) on a new stream.
        requeue_.push_back(std::move(request));
        broken_ = true;
      } else {
        Record(status);
        stats_.rejected_chunks += request.request.chunks_size();
        queued_bytes_ -= request.bytes;
      }
    }
    absl::MutexLock lock(&mu_);
    reader_done_ = true;
  }

  const uint32_t index_;
  const std::shared_ptr<Stub> stub_;
  const ReplayClientOptions options_;

  mutable absl::Mutex mu_;
  std::deque<Request> pending_ ABSL_GUARDED_BY(mu_);   // not sent on the current stream
  std::deque<Request> inflight_ ABSL_GUARDED_BY(mu_);  // sent, awaiting acknowledgement
  std::deque<Request> requeue_ ABSL_GUARDED_BY(mu_);   // answered UNAVAILABLE: resend
  uint64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_request_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status down_reason_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  WriterStats stats_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;  // last: starts after everything above is initialized
};

// ---- ReplayClient ----

ReplayClient::ReplayClient(std::vector<std::shared_ptr<Stub>> shards, ReplayClientOptions options)
    : options_(std::move(options)),
      shards_(std::move(shards)),
      sizes_(shards_.size()),
      rng_(options_.seed != 0 ? options_.seed : RandomSeed()) {
  for (uint32_t i = 0; i < shards_.size(); ++i) {
    writers_.push_back(std::make_unique<ShardWriter>(i, shards_[i], options_));
  }
}

ReplayClient::~ReplayClient() = default;

absl::StatusOr<std::unique_ptr<ReplayClient>> ReplayClient::Create(
    std::vector<std::shared_ptr<Stub>> shards, ReplayClientOptions options) {
  if (shards.empty()) return absl::InvalidArgumentError("a replay client needs at least one shard");
  for (const std::shared_ptr<Stub>& stub : shards) {
    if (stub == nullptr) return absl::InvalidArgumentError("null replay shard stub");
  }
  return std::unique_ptr<ReplayClient>(new ReplayClient(std::move(shards), std::move(options)));
}

absl::StatusOr<std::unique_ptr<ReplayClient>> ReplayClient::Connect(
    const std::vector<std::string>& targets, const ChannelOptions& channel_options,
    ReplayClientOptions options) {
  std::vector<std::shared_ptr<Stub>> stubs;
  for (const std::string& target : targets) {
    MBRL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                          CreateChannel(target, channel_options));
    stubs.push_back(v1::ReplayShard::NewStub(channel));
  }
  return Create(std::move(stubs), std::move(options));
}

absl::Status ReplayClient::Insert(std::vector<v1::TrajectoryChunk> chunks) {
  std::vector<std::vector<v1::TrajectoryChunk>> by_shard(shards_.size());
  for (v1::TrajectoryChunk& chunk : chunks) {
    by_shard[ShardOf(chunk.episode_id(), num_shards())].push_back(std::move(chunk));
  }
  absl::Status result;
  std::vector<uint32_t> down;
  for (uint32_t shard = 0; shard < by_shard.size(); ++shard) {
    if (by_shard[shard].empty()) continue;
    absl::Status status = writers_[shard]->Enqueue(std::move(by_shard[shard]));
    if (absl::IsUnavailable(status)) {
      down.push_back(shard);
    } else if (!status.ok() && result.ok()) {
      result = status;
    }
  }
  if (!down.empty() && result.ok()) {
    result = absl::UnavailableError(absl::StrCat("replay shard(s) ", ShardList(down),
                                                 " are down: their chunks were not queued (the "
                                                 "other shards' were)"));
  }
  return result;
}

absl::Status ReplayClient::Flush(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status result;
  for (const std::unique_ptr<ShardWriter>& writer : writers_) {
    absl::Status status = writer->Flush(deadline);
    if (result.ok()) result = status;
  }
  return result;
}

WriterStats ReplayClient::writer_stats() const {
  WriterStats total;
  for (const std::unique_ptr<ShardWriter>& writer : writers_) {
    const WriterStats stats = writer->stats();
    total.acknowledged_chunks += stats.acknowledged_chunks;
    total.duplicate_chunks += stats.duplicate_chunks;
    total.rejected_chunks += stats.rejected_chunks;
    total.dropped_chunks += stats.dropped_chunks;
    total.resent_requests += stats.resent_requests;
    total.streams_opened += stats.streams_opened;
  }
  return total;
}

RetryOptions ReplayClient::QuickRetry() const {
  RetryOptions quick = options_.retry;
  quick.max_attempts = 2;
  quick.total_timeout = std::min(quick.total_timeout, options_.call_timeout);
  return quick;
}

void ReplayClient::MarkDown(uint32_t shard, const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (sizes_[shard].down_until < now) {
    MBRL_LOG(WARNING) << "replay shard " << shard << " is unavailable (" << status.message()
                      << "); sampling from the other shards for "
                      << absl::FormatDuration(options_.down_retry_interval);
  }
  sizes_[shard].down_until = now + options_.down_retry_interval;
}

absl::StatusOr<v1::InfoResponse> ReplayClient::CallInfo(uint32_t shard, bool quick) {
  return Retry(quick ? QuickRetry() : options_.retry, [&]() -> absl::StatusOr<v1::InfoResponse> {
    grpc::ClientContext context;
    SetTimeout(context, options_.call_timeout);
    v1::InfoRequest request;
    request.set_table(options_.table);
    v1::InfoResponse response;
    MBRL_RETURN_IF_ERROR(FromGrpcStatus(shards_[shard]->Info(&context, request, &response)));
    return response;
  });
}

std::vector<absl::StatusOr<v1::InfoResponse>> ReplayClient::Info() {
  std::vector<absl::StatusOr<v1::InfoResponse>> infos;
  for (uint32_t shard = 0; shard < num_shards(); ++shard) {
    infos.push_back(CallInfo(shard, /*quick=*/true));
  }
  return infos;
}

absl::StatusOr<v1::SampleResponse> ReplayClient::CallSample(uint32_t shard, uint32_t batch_size,
                                                            v1::SampleRequest::Sampler sampler) {
  return Retry(QuickRetry(), [&]() -> absl::StatusOr<v1::SampleResponse> {
    grpc::ClientContext context;
    SetTimeout(context, options_.call_timeout);
    v1::SampleRequest request;
    request.set_table(options_.table);
    request.set_batch_size(batch_size);
    request.set_num_batches(1);
    request.set_sampler(sampler);
    // The shard's rate limiter may hold the batch; give up a little before our own deadline.
    request.set_rate_limiter_timeout_ms(static_cast<uint32_t>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.call_timeout * 0.9))));
    std::unique_ptr<grpc::ClientReaderInterface<v1::SampleResponse>> reader =
        shards_[shard]->Sample(&context, request);
    v1::SampleResponse response;
    const bool got = reader->Read(&response);
    MBRL_RETURN_IF_ERROR(FromGrpcStatus(reader->Finish()));
    if (!got) return absl::InternalError("the shard ended the sample stream without a batch");
    return response;
  });
}

absl::StatusOr<SampledBatch> ReplayClient::Sample(uint32_t batch_size,
                                                  v1::SampleRequest::Sampler sampler) {
  if (batch_size == 0) return absl::InvalidArgumentError("batch_size must be >= 1");
  // 1. Sizes of the shards that are up (refreshed when stale).
  std::vector<uint32_t> up;
  std::vector<double> sizes(num_shards(), 0.0);
  SampledBatch result;
  for (uint32_t shard = 0; shard < num_shards(); ++shard) {
    bool stale;
    {
      absl::MutexLock lock(&mu_);
      if (sizes_[shard].down_until > absl::Now()) {
        result.unavailable_shards.push_back(shard);
        continue;
      }
      stale = absl::Now() - sizes_[shard].refreshed > options_.size_refresh;
      sizes[shard] = static_cast<double>(sizes_[shard].transitions);
    }
    if (stale) {
      absl::StatusOr<v1::InfoResponse> info = CallInfo(shard, /*quick=*/true);
      if (!info.ok()) {
        MarkDown(shard, info.status());
        result.unavailable_shards.push_back(shard);
        continue;
      }
      sizes[shard] = static_cast<double>(info->transitions());
      absl::MutexLock lock(&mu_);
      sizes_[shard].transitions = info->transitions();
      sizes_[shard].refreshed = absl::Now();
    }
    up.push_back(shard);
  }

  // 2. Split the batch (multinomial in proportion to sizes; equal shares if all are empty, so
  // the shards' rate limiters decide), draw from each shard in parallel, and give the share of
  // a shard that fails as unavailable to the others once.
  uint32_t remaining = batch_size;
  std::vector<v1::SampleResponse> responses(num_shards());
  std::vector<uint32_t> counts(num_shards(), 0);
  for (int round = 0; round < 2 && remaining > 0; ++round) {
    if (up.empty()) {
      return absl::UnavailableError(absl::StrCat(
          "no replay shard is available (down: ", ShardList(result.unavailable_shards), ")"));
    }
    double total = 0;
    for (uint32_t shard : up) total += sizes[shard];
    std::vector<uint32_t> draw(num_shards(), 0);
    {
      absl::MutexLock lock(&mu_);
      uint32_t left = remaining;
      double mass = total > 0 ? total : static_cast<double>(up.size());
      for (size_t i = 0; i < up.size() && left > 0; ++i) {
        const double weight = total > 0 ? sizes[up[i]] : 1.0;
        const uint32_t k = i + 1 == up.size() ? left
                                              : std::binomial_distribution<uint32_t>(
                                                    left, std::min(1.0, weight / mass))(rng_);
        draw[up[i]] = k;
        left -= k;
        mass -= weight;
      }
    }
    std::vector<absl::StatusOr<v1::SampleResponse>> drawn(num_shards());
    std::vector<std::thread> threads;
    for (uint32_t shard : up) {
      if (draw[shard] == 0) continue;
      threads.emplace_back([&, shard] { drawn[shard] = CallSample(shard, draw[shard], sampler); });
    }
    for (std::thread& thread : threads) thread.join();
    std::vector<uint32_t> still_up;
    for (uint32_t shard : up) {
      if (draw[shard] == 0) {
        still_up.push_back(shard);
        continue;
      }
      if (drawn[shard].ok()) {
        AppendBatch(drawn[shard]->batch(), responses[shard].mutable_batch());
        if (sampler == v1::SampleRequest::PRIORITIZED) {
          AppendTensor(drawn[shard]->probabilities(), responses[shard].mutable_probabilities());
        }
        counts[shard] += draw[shard];
        remaining -= draw[shard];
        still_up.push_back(shard);
      } else if (absl::IsUnavailable(drawn[shard].status())) {
        MarkDown(shard, drawn[shard].status());
        result.unavailable_shards.push_back(shard);
      } else {
        return absl::Status(
            drawn[shard].status().code(),
            absl::StrCat("replay shard ", shard, ": ", drawn[shard].status().message()));
      }
    }
    up = std::move(still_up);
  }
  if (remaining > 0) {
    return absl::UnavailableError(absl::StrCat(
        "replay shards ", ShardList(result.unavailable_shards), " failed while sampling"));
  }

  // 3. One batch, rows grouped by shard.
  double total = 0;
  for (uint32_t shard = 0; shard < num_shards(); ++shard) {
    if (counts[shard] > 0) total += sizes[shard];
  }
  for (uint32_t shard = 0; shard < num_shards(); ++shard) {
    if (counts[shard] == 0) continue;
    AppendBatch(responses[shard].batch(), &result.batch);
    result.shards.insert(result.shards.end(), counts[shard], shard);
    if (sampler == v1::SampleRequest::PRIORITIZED) {
      absl::StatusOr<absl::Span<const double>> local =
          TensorData<double>(responses[shard].probabilities(), "probabilities");
      MBRL_RETURN_IF_ERROR(local.status());
      const double share = total > 0 ? sizes[shard] / total : 1.0;
      for (double p : *local) result.probabilities.push_back(share * p);
    }
  }
  std::sort(result.unavailable_shards.begin(), result.unavailable_shards.end());
  return result;
}

absl::Status ReplayClient::ScanSince(
    std::vector<uint64_t>* cursors, uint32_t max_batch_transitions,
    const std::function<void(uint32_t, const v1::ScanResponse&)>& consume) {
  cursors->resize(num_shards(), 0);
  std::vector<uint32_t> unavailable;
  for (uint32_t shard = 0; shard < num_shards(); ++shard) {
    Retrier retrier(QuickRetry());
    while (true) {
      grpc::ClientContext context;
      SetTimeout(context, options_.call_timeout);
      v1::ScanRequest request;
      request.set_table(options_.table);
      request.set_start_sequence((*cursors)[shard]);
      request.set_max_batch_transitions(max_batch_transitions);
      std::unique_ptr<grpc::ClientReaderInterface<v1::ScanResponse>> reader =
          shards_[shard]->Scan(&context, request);
      v1::ScanResponse response;
      bool progress = false;
      while (reader->Read(&response)) {
        consume(shard, response);
        (*cursors)[shard] = response.end_sequence();
        progress = true;
      }
      const absl::Status status = FromGrpcStatus(reader->Finish());
      if (status.ok()) break;
      // A long scan may outlive one call: resume from the cursor while it advances.
      if (progress &&
          (absl::IsUnavailable(status) || status.code() == absl::StatusCode::kDeadlineExceeded)) {
        retrier.Reset();
        continue;
      }
      if (absl::IsUnavailable(status)) {
        if (retrier.ShouldRetry(status)) continue;
        unavailable.push_back(shard);
        MBRL_LOG(WARNING) << "replay shard " << shard << " is unavailable (" << status.message()
                          << "); scanned the other shards";
        break;
      }
      return absl::Status(status.code(),
                          absl::StrCat("replay shard ", shard, ": ", status.message()));
    }
  }
  if (!unavailable.empty()) {
    return absl::UnavailableError(absl::StrCat("replay shard(s) ", ShardList(unavailable),
                                               " were not scanned (down); the others were"));
  }
  return absl::OkStatus();
}

absl::Status ReplayClient::UpdatePriorities(const std::vector<uint32_t>& shards,
                                            const std::vector<int64_t>& keys,
                                            const std::vector<double>& priorities) {
  if (shards.size() != keys.size() || keys.size() != priorities.size()) {
    return absl::InvalidArgumentError("shards, keys and priorities must have the same length");
  }
  std::vector<std::vector<int64_t>> shard_keys(num_shards());
  std::vector<std::vector<double>> shard_priorities(num_shards());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (shards[i] >= num_shards()) {
      return absl::InvalidArgumentError(absl::StrCat("no shard ", shards[i]));
    }
    shard_keys[shards[i]].push_back(keys[i]);
    shard_priorities[shards[i]].push_back(priorities[i]);
  }
  for (uint32_t shard = 0; shard < num_shards(); ++shard) {
    if (shard_keys[shard].empty()) continue;
    v1::UpdatePrioritiesRequest request;
    request.set_table(options_.table);
    const int64_t n = static_cast<int64_t>(shard_keys[shard].size());
    *request.mutable_keys() = MakeTensor<int64_t>(shard_keys[shard], {n});
    *request.mutable_priorities() = MakeTensor<double>(shard_priorities[shard], {n});
    MBRL_RETURN_IF_ERROR(Retry(QuickRetry(), [&]() -> absl::Status {
      grpc::ClientContext context;
      SetTimeout(context, options_.call_timeout);
      v1::UpdatePrioritiesResponse response;
      return FromGrpcStatus(shards_[shard]->UpdatePriorities(&context, request, &response));
    }));
  }
  return absl::OkStatus();
}

}  // namespace mbrl::replay
