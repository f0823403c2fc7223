// The ReplayShard gRPC service (proto/mbrl/v1/replay.proto) over a set of Tables, with the
// callback API: reactions only validate, copy and queue; durable writes happen on each table's
// writer thread and rate-limiter waits on its timer thread (see table.h).
//
// Streams and their backpressure:
//   Insert  one response per request, in request order, each after its chunks are durable. A
//           stream has at most `max_inflight_inserts` requests read but not yet answered (and
//           written); the server reads no further until one is answered, so a client that
//           sends faster than the disk holds them in its own gRPC flow-control window.
//   Sample  one batch drawn at a time per stream, at most two written-but-unsent batches
//           queued: a slow reader stops the drawing.
//   Scan    reads in pieces of `max_batch_transitions`, at most two queued per stream; with
//           `follow`, waits (without a thread) for new durable data.
// Bad input gets INVALID_ARGUMENT (NOT_FOUND for an unknown table) in the response for that
// request (Insert) or as the call's status (others); nothing of it is stored.
// Until Recover() finished, and after Close(), every call fails with UNAVAILABLE (retry).
//
// Thread-safety: all methods are thread-safe.
#ifndef MBRL_SERVICES_REPLAY_REPLAY_SERVICE_H_
#define MBRL_SERVICES_REPLAY_REPLAY_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mbrl/v1/replay.grpc.pb.h"
#include "prometheus/collectable.h"
#include "services/common/metrics.h"
#include "services/replay/table.h"

namespace mbrl::replay {

// The name of the table of real transitions (InsertRequest.table "" means it).
inline constexpr char kRealTable[] = "real";

struct ReplayShardOptions {
  uint32_t shard_index = 0;
  uint32_t num_shards = 1;
  // Each table keeps its log in <data_dir>/<table name>/. Empty: in memory only (nothing
  // survives a restart; tests and benchmarks of the non-durable path).
  std::string data_dir;
  std::vector<TableOptions> tables = {TableOptions()};
  // Insert requests read but not yet answered, per stream.
  uint32_t max_inflight_inserts = 32;
  // Largest insert request (serialized); larger ones get INVALID_ARGUMENT. Keep it below the
  // server's max message size, which ends the whole stream instead.
  uint64_t max_request_bytes = 64 << 20;
  uint32_t max_sample_batch = 1 << 16;
  uint32_t max_scan_batch = 1 << 16;
  uint32_t default_scan_batch = 1024;
  // Longest a sampled batch waits for the rate limiter when the request does not say.
  absl::Duration default_rate_limiter_timeout = absl::Seconds(10);
};

class ReplayShardService final : public v1::ReplayShard::CallbackService {
 public:
  explicit ReplayShardService(ReplayShardOptions options);
  ~ReplayShardService() override;

  // Opens (recovers) every table, logging what each recovered and how long it took. Blocking.
  // Calls fail with UNAVAILABLE until it returned OK. Errors: those of Table::Create.
  absl::Status Recover();
  bool ready() const { return state_->ready.load(std::memory_order_acquire); }

  // Stops every table (Table::Close): later calls fail with UNAVAILABLE, streams waiting on a
  // table end, and Insert streams end with UNAVAILABLE once their requests are answered. Call
  // before shutting the server down, so its shutdown does not wait for clients. Idempotent.
  void Close();

  const ReplayShardOptions& options() const { return state_->options; }
  // RPC latency histograms (register with a MetricsExporter).
  std::shared_ptr<RpcMetrics> rpc_metrics() const { return rpc_metrics_; }
  // The shard's table metrics (mbrl_replay_*), read at scrape time; safe to scrape after the
  // service is gone.
  std::shared_ptr<prometheus::Collectable> table_metrics() const;

  // The table a request names ("" = kRealTable): NOT_FOUND if unknown, UNAVAILABLE if the
  // shard is not ready.
  absl::StatusOr<Table*> FindTable(const std::string& name) const;
  // Validates one insert request completely (size, table, every chunk).
  absl::StatusOr<Table*> ValidateInsert(const v1::InsertRequest& request) const;

 private:
  class InsertReactor;
  class SampleReactor;
  class ScanReactor;

  // Owned together with the metrics collectable, which may outlive the service.
  struct State {
    explicit State(ReplayShardOptions o) : options(std::move(o)) {}
    const ReplayShardOptions options;
    std::atomic<bool> ready{false};
    std::atomic<bool> closed{false};
    std::vector<std::unique_ptr<Table>> tables;  // set once, before ready
  };
  class TableMetrics;

  grpc::ServerBidiReactor<v1::InsertRequest, v1::InsertResponse>* Insert(
      grpc::CallbackServerContext* context) override;
  grpc::ServerWriteReactor<v1::SampleResponse>* Sample(grpc::CallbackServerContext* context,
                                                       const v1::SampleRequest* request) override;
  grpc::ServerWriteReactor<v1::ScanResponse>* Scan(grpc::CallbackServerContext* context,
                                                   const v1::ScanRequest* request) override;
  grpc::ServerUnaryReactor* UpdatePriorities(grpc::CallbackServerContext* context,
                                             const v1::UpdatePrioritiesRequest* request,
                                             v1::UpdatePrioritiesResponse* response) override;
  grpc::ServerUnaryReactor* Info(grpc::CallbackServerContext* context,
                                 const v1::InfoRequest* request,
                                 v1::InfoResponse* response) override;

  // Open Insert streams, ended by Close(). A stream unregisters in its OnDone, so every
  // registered one is alive while streams_mu_ is held.
  bool RegisterInsertStream(InsertReactor* stream) ABSL_LOCKS_EXCLUDED(streams_mu_);
  void UnregisterInsertStream(InsertReactor* stream) ABSL_LOCKS_EXCLUDED(streams_mu_);

  std::shared_ptr<State> state_;
  std::shared_ptr<RpcMetrics> rpc_metrics_;
  absl::Mutex streams_mu_;
  absl::flat_hash_set<InsertReactor*> insert_streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_REPLAY_SERVICE_H_
