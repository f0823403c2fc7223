// A replay shard process in one object: the gRPC server (health NOT_SERVING while the tables
// recover, SERVING after), the ReplayShard service and its metrics. Used by `mbrl replay`,
// tests and benchmarks.
#ifndef MBRL_SERVICES_REPLAY_SHARD_SERVER_H_
#define MBRL_SERVICES_REPLAY_SHARD_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/metrics.h"
#include "services/common/server.h"
#include "services/replay/replay_service.h"

namespace mbrl::replay {

class ReplayShardServer {
 public:
  // 1. starts the gRPC server (every health status NOT_SERVING, shard RPCs UNAVAILABLE),
  // 2. registers the shard's metrics with `exporter` (if not null; it may outlive the shard),
  // 3. recovers every table (blocking), 4. reports SERVING.
  // Errors: those of GrpcServer::Start and ReplayShardService::Recover.
  static absl::StatusOr<std::unique_ptr<ReplayShardServer>> Start(
      const ReplayShardOptions& shard_options, const ServerOptions& server_options,
      MetricsExporter* exporter = nullptr);

  ReplayShardServer(const ReplayShardServer&) = delete;
  ReplayShardServer& operator=(const ReplayShardServer&) = delete;
  ~ReplayShardServer() { Shutdown(); }

  GrpcServer& server() { return *server_; }
  ReplayShardService& service() { return *service_; }

  // Health NOT_SERVING; the tables close (queued inserts the rate limiter admits are still
  // acknowledged; waiting samplers and scans end with UNAVAILABLE); then the server stops,
  // cancelling calls still open after `grace`. Blocking; idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  ReplayShardServer() = default;

  // The service outlives the server: reactors point into it.
  std::unique_ptr<ReplayShardService> service_;
  std::unique_ptr<GrpcServer> server_;
};

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_SHARD_SERVER_H_
