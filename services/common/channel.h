// Client side of every role: channels with keepalive, message-size limits and TLS, and the
// deadline helpers every RPC goes through (no call without a deadline).
#ifndef MBRL_SERVICES_COMMON_CHANNEL_H_
#define MBRL_SERVICES_COMMON_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/channel_arguments.h"
#include "services/common/credentials.h"

namespace mbrl {

// Largest message a role sends or receives by default: model and policy snapshots are tens of
// MB; the replay store caps its own requests lower (see services/replay).
inline constexpr int kDefaultMaxMessageBytes = 256 << 20;

struct ChannelOptions {
  TlsOptions tls;
  int max_message_bytes = kDefaultMaxMessageBytes;
  // HTTP/2 keepalive pings detect a vanished peer on idle long-lived streams. The server
  // (ServerOptions) must permit pings this often.
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Reconnect backoff of the channel itself (gRPC's connection backoff).
  absl::Duration min_reconnect_backoff = absl::Milliseconds(100);
  absl::Duration max_reconnect_backoff = absl::Seconds(5);
};

// The channel arguments for `options` (everything but credentials). Also used for in-process
// channels (GrpcServer::InProcessChannel).
grpc::ChannelArguments MakeChannelArguments(const ChannelOptions& options);

// A channel to `target` ("host:port", "dns:///name:port", "unix:/path"). Does not connect yet
// (gRPC connects lazily and reconnects with backoff). Errors: those of MakeChannelCredentials.
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(const std::string& target,
                                                             const ChannelOptions& options);

// Sets `context`'s deadline. Every RPC of every role calls one of these before starting.
void SetDeadline(grpc::ClientContext& context, absl::Time deadline);
void SetTimeout(grpc::ClientContext& context, absl::Duration timeout);

// The deadline of `context`; absl::InfiniteFuture() if none was set (tests assert that clients
// never leave it so).
absl::Time GetDeadline(const grpc::ClientContext& context);

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_CHANNEL_H_
