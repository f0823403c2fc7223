// The Environment service (proto/mbrl/v1/environment.proto) over any native Env: `mbrl
// env-server` serves a registered env with it, and remote env actors step it through RemoteEnv
// (actors/envs/remote_env.h) exactly like a native one.
//
// Each Session stream gets its own env instance, created when the stream opens and destroyed
// when it ends; sessions are independent and run concurrently. The protocol (stream order,
// errors) is environment.proto's; in short:
//   - requests are answered one by one, in order; the next request is read only after the
//     previous response was written (at most one response is queued per session: a client
//     that does not read its responses stalls only its own session);
//   - a step without a running episode ends the stream with FAILED_PRECONDITION; an action of
//     the wrong dtype or shape, a NaN/Inf entry, or an empty request ends it with
//     INVALID_ARGUMENT; the server stays up and other sessions are unaffected;
//   - a reset without a seed draws one from the session's own stream (seeded from the
//     service's seed and the session's number), so a session replays exactly under one seed;
//   - beyond `max_sessions` concurrent sessions a new one ends at once with
//     RESOURCE_EXHAUSTED (retry later).
// Resets and steps run on gRPC's callback threads (they are short, CPU-bound calls).
//
// Thread-safety: all methods are thread-safe.
#ifndef MBRL_SERVICES_ENVIRONMENT_ENVIRONMENT_SERVICE_H_
#define MBRL_SERVICES_ENVIRONMENT_ENVIRONMENT_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "actors/envs/interface.h"
#include "mbrl/v1/environment.grpc.pb.h"
#include "prometheus/collectable.h"
#include "services/common/metrics.h"

namespace mbrl {

struct EnvironmentServiceOptions {
  int max_sessions = 1024;
  // Seeds the sessions' random streams (used by resets without a seed).
  uint64_t seed = 0;
};

class EnvironmentService final : public v1::Environment::CallbackService {
 public:
  using EnvFactory = std::function<absl::StatusOr<std::unique_ptr<envs::Env>>()>;

  // Makes one env up front to learn the spec (and to fail early): its errors are returned.
  // INVALID_ARGUMENT if options.max_sessions < 1.
  static absl::StatusOr<std::unique_ptr<EnvironmentService>> Create(
      EnvFactory make_env, const EnvironmentServiceOptions& options = {});

  const v1::EnvSpec& spec() const { return spec_; }
  int active_sessions() const { return active_sessions_.load(); }

  // mbrl_env_sessions_active, mbrl_env_sessions_total, mbrl_env_steps_total,
  // mbrl_env_resets_total and mbrl_rpc_latency_seconds{service="mbrl.v1.Environment"} (per
  // Session message: request read to response queued). Register with a MetricsExporter.
  std::shared_ptr<prometheus::Collectable> metrics() const;

  grpc::ServerUnaryReactor* Spec(grpc::CallbackServerContext* context,
                                 const v1::SpecRequest* request, v1::EnvSpec* response) override;
  grpc::ServerBidiReactor<v1::EnvRequest, v1::EnvResponse>* Session(
      grpc::CallbackServerContext* context) override;

 private:
  class SessionReactor;
  class Metrics;

  EnvironmentService(EnvFactory make_env, const EnvironmentServiceOptions& options,
                     v1::EnvSpec spec);

  const EnvFactory make_env_;
  const EnvironmentServiceOptions options_;
  const v1::EnvSpec spec_;
  std::atomic<int> active_sessions_{0};
  std::atomic<uint64_t> sessions_started_{0};
  std::shared_ptr<Metrics> metrics_;
};

}  // namespace mbrl

#endif  // MBRL_SERVICES_ENVIRONMENT_ENVIRONMENT_SERVICE_H_
