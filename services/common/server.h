// Server setup shared by every role: bind (port 0 picks a free port and reports it), TLS/mTLS,
// keepalive, message-size limits, grpc.health.v1 (NOT_SERVING until the role says it is ready)
// and server reflection.
//
//   MBRL_ASSIGN_OR_RETURN(auto server, GrpcServer::Start(options, {{"mbrl.v1.ReplayShard",
//   &impl}}));
//   ... restore state ...
//   server->SetServing(true);   // readiness: health reports SERVING from now on
//   server->Wait();             // until Shutdown() from another thread (e.g. a signal watcher)
//
// Thread-safety: every method is thread-safe. Services must outlive the GrpcServer.
#ifndef MBRL_SERVICES_COMMON_SERVER_H_
#define MBRL_SERVICES_COMMON_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "services/common/channel.h"
#include "services/common/credentials.h"
#include "services/common/health_service.h"

namespace mbrl {

struct ServerOptions {
  // "host:port"; port 0 binds a free port (see GrpcServer::port()). "0.0.0.0:P" serves every
  // interface; tests use "127.0.0.1:0". An empty address serves no port (in-process only).
  std::string address = "0.0.0.0:0";
  TlsOptions tls;
  int max_message_bytes = kDefaultMaxMessageBytes;
  // The server pings idle clients this often and drops them if a ping is not answered in time.
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Clients may ping this often (ChannelOptions::keepalive_time must not be shorter).
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // Connections are closed (gracefully) after this age so clients rebalance after a scale-out;
  // zero = never.
  absl::Duration max_connection_age = absl::ZeroDuration();
  // Registers grpc.reflection.v1alpha. gRPC enables the plugin process-wide: once one server
  // asked for it, later servers of the process serve it too.
  bool reflection = true;
};

// A service and the fully qualified name health checks know it by (e.g. "mbrl.v1.ReplayShard").
struct NamedService {
  std::string name;
  grpc::Service* service;
};

class GrpcServer {
 public:
  // Builds and starts the server with `services` and grpc.health.v1, where "" and every
  // service name report NOT_SERVING until SetServing(true).
  // Errors: UNAVAILABLE if the address cannot be bound; those of MakeServerCredentials.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const ServerOptions& options,
                                                           std::vector<NamedService> services);

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;
  // Shutdown() with the default grace period.
  ~GrpcServer();

  // The bound port (0 if the options named no address).
  int port() const { return port_; }
  // "127.0.0.1:port" if bound to a wildcard or loopback address, else the given host with the
  // bound port: an address a local client can dial.
  const std::string& address() const { return address_; }

  // Readiness of the whole server and of every registered service.
  void SetServing(bool serving);
  HealthService& health() { return health_; }

  // A channel into this server that bypasses the network (tests, same-process roles).
  std::shared_ptr<grpc::Channel> InProcessChannel(const ChannelOptions& options = {});

  // Health goes NOT_SERVING and health streams end; new calls are refused; calls still running
  // after `grace` are cancelled (their reactors see OnCancel). Blocks until every call is done.
  // Idempotent; Wait() returns afterwards.
  void Shutdown(absl::Duration grace = absl::Seconds(5)) ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until Shutdown() finished.
  void Wait() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  GrpcServer() = default;

  HealthService health_;
  std::vector<std::string> service_names_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;

  absl::Mutex mu_;
  bool shutdown_started_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_SERVER_H_
