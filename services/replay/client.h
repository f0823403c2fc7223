// The replay client every role uses: routes each episode's chunks to shard
// ShardOf(episode_id, S), samples across shards in proportion to their sizes, scans every shard
// incrementally, retries UNAVAILABLE with exponential backoff and jitter, sets a deadline on
// every call, and keeps working with the remaining shards when one is down (logging it, and
// saying so in its results).
//
// Writing (env actors):
//   client->Insert(chunks);          // queues; blocks only while a shard's queue is full
//   client->Flush(absl::Seconds(30)); // waits until everything queued is durable (or failed)
// Each shard has one writer thread and one Insert stream with up to `max_inflight_requests`
// unacknowledged requests. When the stream breaks (UNAVAILABLE, the stream's deadline, a
// restarting shard) the unacknowledged requests are resent on a new stream after a backoff:
// the shard stores each (episode, chunk) once, so nothing is duplicated. A shard that cannot
// be reached for `retry.total_timeout` is declared down: its queued chunks are dropped (and
// reported by Flush), new chunks for it are refused at once, and it is probed in the
// background until it answers again.
//
// Reading (learners): Sample(), ScanSince(), Info(), UpdatePriorities() are blocking calls,
// each RPC with a deadline of `call_timeout`.
//
// Thread-safety: every method is thread-safe.
#ifndef MBRL_SERVICES_REPLAY_CLIENT_H_
#define MBRL_SERVICES_REPLAY_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mbrl/v1/replay.grpc.pb.h"
#include "services/common/channel.h"
#include "services/common/retry.h"

namespace mbrl::replay {

// The shard of an episode: splitmix64(episode_id) % num_shards (a fixed, documented mix so
// clients in any language agree; episode ids are random already, the mix protects against ids
// that are not).
uint32_t ShardOf(uint64_t episode_id, uint32_t num_shards);

struct ReplayClientOptions {
  // "" = the table of real transitions.
  std::string table;
  // Deadline of every unary call and of each Sample / Scan stream.
  absl::Duration call_timeout = absl::Seconds(10);
  // Deadline of an Insert stream; a new stream continues after it (unacknowledged requests
  // are resent).
  absl::Duration insert_stream_lifetime = absl::Minutes(5);
  // UNAVAILABLE is retried with this backoff; a shard unreachable for longer than
  // retry.total_timeout is declared down.
  RetryOptions retry;
  // Insert requests in flight per shard (keep <= the shard's max_inflight_inserts).
  uint32_t max_inflight_requests = 16;
  // Chunks are grouped into requests of at most this many bytes (keep below the shard's
  // max_request_bytes).
  uint64_t max_request_bytes = 4 << 20;
  // Insert() blocks while a shard has this many bytes queued and unacknowledged...
  uint64_t max_queued_bytes = 256 << 20;
  // ... for at most this long, then returns DEADLINE_EXCEEDED.
  absl::Duration enqueue_timeout = absl::Seconds(60);
  // Shard sizes used to split a sample are refreshed (Info) when older than this.
  absl::Duration size_refresh = absl::Seconds(1);
  // How long a shard that failed a sample is skipped before it is tried again.
  absl::Duration down_retry_interval = absl::Seconds(5);
  // 0 = random; set for reproducible splits in tests.
  uint64_t seed = 0;
};

// A batch sampled across shards: rows are grouped by shard.
struct SampledBatch {
  v1::TransitionBatch batch;
  // The shard of each row (keys are per-shard sequence numbers: UpdatePriorities needs both).
  std::vector<uint32_t> shards;
  // PRIORITIZED: the probability with which each row was drawn overall (the shard's share of
  // the batch times its own probability). Empty otherwise.
  std::vector<double> probabilities;
  // Shards that were skipped because they are down; empty when all answered.
  std::vector<uint32_t> unavailable_shards;
};

// Counters of the writing side.
struct WriterStats {
  uint64_t acknowledged_chunks = 0;
  uint64_t duplicate_chunks = 0;  // acknowledged as already stored (e.g. resent after a break)
  uint64_t rejected_chunks = 0;   // refused by the shard (bad input)
  uint64_t dropped_chunks = 0;    // given up on (shard down)
  uint64_t resent_requests = 0;
  uint64_t streams_opened = 0;
};

class ReplayClient {
 public:
  using Stub = v1::ReplayShard::StubInterface;

  // One stub per shard, shard i at index i. INVALID_ARGUMENT for no shards or null stubs.
  static absl::StatusOr<std::unique_ptr<ReplayClient>> Create(
      std::vector<std::shared_ptr<Stub>> shards, ReplayClientOptions options = {});
  // Channels to `targets` (shard i = targets[i]).
  static absl::StatusOr<std::unique_ptr<ReplayClient>> Connect(
      const std::vector<std::string>& targets, const ChannelOptions& channel_options,
      ReplayClientOptions options = {});

  // Stops the writer threads; chunks not yet acknowledged are abandoned (Flush first).
  ~ReplayClient();

  uint32_t num_shards() const { return static_cast<uint32_t>(shards_.size()); }

  // Queues chunks for their shards (validated by the shard, not here). Blocks while a shard's
  // queue is full (up to enqueue_timeout: DEADLINE_EXCEEDED). UNAVAILABLE naming the shards
  // that are down: their chunks were not queued, every other chunk was.
  absl::Status Insert(std::vector<v1::TrajectoryChunk> chunks);

  // Waits until every chunk queued so far is acknowledged durable, refused or dropped.
  // OK if all were stored; otherwise the first refusal (e.g. INVALID_ARGUMENT) or UNAVAILABLE
  // for dropped chunks, naming the shard. DEADLINE_EXCEEDED if `timeout` passed first. Reported
  // errors are cleared.
  absl::Status Flush(absl::Duration timeout);

  WriterStats writer_stats() const;

  // Draws `batch_size` transitions across the shards that are up, splitting the batch by a
  // multinomial draw in proportion to their sizes. UNAVAILABLE if no shard answers, else the
  // errors of the shards' Sample calls that are not UNAVAILABLE (e.g. DEADLINE_EXCEEDED from a
  // rate limiter).
  absl::StatusOr<SampledBatch> Sample(
      uint32_t batch_size, v1::SampleRequest::Sampler sampler = v1::SampleRequest::UNIFORM);

  // Streams every transition after `(*cursors)[shard]` from each shard (a non-following Scan
  // per shard), calling `consume` per response and advancing the cursor past it. `cursors` is
  // resized to num_shards() (new entries 0). Shards that are down are skipped: the result is
  // then UNAVAILABLE naming them (the others were scanned; call again later).
  absl::Status ScanSince(std::vector<uint64_t>* cursors, uint32_t max_batch_transitions,
                         const std::function<void(uint32_t, const v1::ScanResponse&)>& consume);

  // Info of every shard (each with its own status).
  std::vector<absl::StatusOr<v1::InfoResponse>> Info();

  // Sets priorities of sampled rows (`shards[i]`, `keys[i]`): one call per shard involved.
  absl::Status UpdatePriorities(const std::vector<uint32_t>& shards,
                                const std::vector<int64_t>& keys,
                                const std::vector<double>& priorities);

 private:
  class ShardWriter;
  struct ShardSize {
    uint64_t transitions = 0;
    absl::Time refreshed = absl::InfinitePast();
    absl::Time down_until = absl::InfinitePast();
  };

  ReplayClient(std::vector<std::shared_ptr<Stub>> shards, ReplayClientOptions options);

  // Calls with retries of UNAVAILABLE (a short budget when `quick`: used for sampling).
  absl::StatusOr<v1::InfoResponse> CallInfo(uint32_t shard, bool quick);
  absl::StatusOr<v1::SampleResponse> CallSample(uint32_t shard, uint32_t batch_size,
                                                v1::SampleRequest::Sampler sampler);
  RetryOptions QuickRetry() const;
  void MarkDown(uint32_t shard, const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  const ReplayClientOptions options_;
  const std::vector<std::shared_ptr<Stub>> shards_;
  std::vector<std::unique_ptr<ShardWriter>> writers_;

  absl::Mutex mu_;
  std::vector<ShardSize> sizes_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_CLIENT_H_
