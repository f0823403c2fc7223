// grpc.health.v1.Health served by every mbrl server (services/common/server.h registers it).
//
// Unlike gRPC's built-in default service, every service starts NOT_SERVING and stays so until
// the role says it is ready (for the replay shard: when recovery finished), so a Kubernetes
// readiness probe never sees a half-started server. Check() of a name that was never set returns
// NOT_FOUND (the protocol's rule); Watch() sends the current status, then every change, until the
// client cancels or Shutdown().
//
// Thread-safety: all methods are thread-safe. Reactions never block.
#ifndef MBRL_SERVICES_COMMON_HEALTH_SERVICE_H_
#define MBRL_SERVICES_COMMON_HEALTH_SERVICE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace mbrl {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // Knows the overall service "" as NOT_SERVING.
  HealthService();
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;
  // The server must be shut down (so no reactor is left) before this is destroyed.
  ~HealthService() override;

  // Sets `service` ("" = the whole server) to SERVING or NOT_SERVING, registering the name if it
  // is new, and notifies its watchers if the status changed. Ignored after Shutdown().
  void SetServing(absl::string_view service, bool serving) ABSL_LOCKS_EXCLUDED(mu_);

  // The current status of `service`; SERVICE_UNKNOWN if it was never set.
  ServingStatus GetStatus(absl::string_view service) const ABSL_LOCKS_EXCLUDED(mu_);

  // Sets every service NOT_SERVING (watchers see it), then ends every Watch stream with OK and
  // answers later Watch calls with NOT_SERVING and OK. For graceful shutdown: call before the
  // server's own Shutdown so health streams do not hold it up. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class WatchReactor;

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  void RemoveWatcher(const std::string& service, WatchReactor* watcher) ABSL_LOCKS_EXCLUDED(mu_);
  ServingStatus StatusLocked(absl::string_view service) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::flat_hash_set<WatchReactor*>> watchers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_HEALTH_SERVICE_H_
