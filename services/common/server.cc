#include "services/common/server.h"

#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/server_builder.h"

namespace mbrl {
namespace {

int ToMillis(absl::Duration duration) {
  return static_cast<int>(absl::ToInt64Milliseconds(duration));
}

// The host part of "host:port" / "[v6]:port".
std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

std::string DialableAddress(const std::string& bind_address, int port) {
  const std::string host = HostOf(bind_address);
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "localhost" ||
      absl::StartsWith(host, "127.") || host == "[::1]") {
    return absl::StrCat("127.0.0.1:", port);
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const ServerOptions& options,
                                                              std::vector<NamedService> services) {
  if (options.reflection) {
    static absl::once_flag reflection_once;
    absl::call_once(reflection_once, grpc::reflection::InitProtoReflectionServerBuilderPlugin);
  }
  MBRL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                        MakeServerCredentials(options.tls));

  std::unique_ptr<GrpcServer> server(new GrpcServer());
  grpc::ServerBuilder builder;
  int selected_port = 0;
  if (!options.address.empty()) {
    builder.AddListeningPort(options.address, credentials, &selected_port);
  }
  // Without this gRPC binds with SO_REUSEPORT, and a second server on a port in use would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ToMillis(options.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ToMillis(options.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             ToMillis(options.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  if (options.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               ToMillis(options.max_connection_age));
  }
  builder.RegisterService(&server->health_);
  for (const NamedService& named : services) {
    builder.RegisterService(named.service);
    server->service_names_.push_back(named.name);
    server->health_.SetServing(named.name, false);
  }
  server->server_ = builder.BuildAndStart();
  if (!options.address.empty() && selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind '", options.address, "' (address in use or not valid here)"));
  }
  if (server->server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the gRPC server on '", options.address, "'"));
  }
  server->port_ = selected_port;
  if (selected_port != 0) server->address_ = DialableAddress(options.address, selected_port);
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::SetServing(bool serving) {
  health_.SetServing("", serving);
  for (const std::string& name : service_names_) health_.SetServing(name, serving);
}

std::shared_ptr<grpc::Channel> GrpcServer::InProcessChannel(const ChannelOptions& options) {
  return server_->InProcessChannel(MakeChannelArguments(options));
}

void GrpcServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_started_) {
      mu_.Await(absl::Condition(&shutdown_done_));
      return;
    }
    shutdown_started_ = true;
  }
  health_.Shutdown();
  if (server_ != nullptr) {  // null only if Start() failed
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
  absl::MutexLock lock(&mu_);
  shutdown_done_ = true;
}

void GrpcServer::Wait() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&shutdown_done_));
}

}  // namespace mbrl
