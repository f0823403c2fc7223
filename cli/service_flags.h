// Flags shared by every server and client subcommand (env-server, replay, learners, actors):
// TLS material, the Prometheus port, and graceful shutdown on SIGTERM / SIGINT.
//
// A subcommand lists ServerFlagNames() (or ClientFlagNames()) among its Subcommand::flags and
// builds its options with the functions below. Flags are defined only in cli/service_flags.cc.
#ifndef MBRL_CLI_SERVICE_FLAGS_H_
#define MBRL_CLI_SERVICE_FLAGS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/channel.h"
#include "services/common/metrics.h"
#include "services/common/server.h"

namespace mbrl::cli {

// --tls_cert, --tls_key, --tls_ca, --metrics_port.
std::vector<std::string> ServerFlagNames();
// --tls_cert, --tls_key, --tls_ca, --tls_server_name.
std::vector<std::string> ClientFlagNames();

// Server options listening on `address` with the TLS flags (mTLS when --tls_ca is set).
ServerOptions ServerOptionsFromFlags(const std::string& address);
// Channel options with the client TLS flags.
ChannelOptions ChannelOptionsFromFlags();

// The exporter on 0.0.0.0:--metrics_port, or null when --metrics_port is -1 (off).
absl::StatusOr<std::unique_ptr<MetricsExporter>> StartMetricsExporterFromFlags();

// Blocks SIGINT and SIGTERM in the calling thread and every thread it creates later, so that
// WaitForShutdownSignal() receives them. Call first thing in a server subcommand, before any
// gRPC thread exists.
void BlockShutdownSignals();
// Waits for SIGINT or SIGTERM (blocked by BlockShutdownSignals()); returns the signal number.
int WaitForShutdownSignal();

}  // namespace mbrl::cli

#endif  // MBRL_CLI_SERVICE_FLAGS_H_
