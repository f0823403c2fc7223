#include "cli/service_flags.h"

#include <signal.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of this process; with --tls_key enables TLS (servers) or "
          "presents a client certificate (clients, mTLS).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle that verifies the peer: servers then require client certificates "
          "(mTLS); clients trust these CAs instead of the system's.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Clients: the name expected in the server certificate, when it differs from the "
          "address dialed.");
ABSL_FLAG(int, metrics_port, -1,
          "Serve Prometheus metrics at http://0.0.0.0:PORT/metrics (0 = any free port, "
          "-1 = off).");

namespace mbrl::cli {

std::vector<std::string> ServerFlagNames() {
  return {"tls_cert", "tls_key", "tls_ca", "metrics_port"};
}

std::vector<std::string> ClientFlagNames() {
  return {"tls_cert", "tls_key", "tls_ca", "tls_server_name"};
}

namespace {

TlsOptions TlsOptionsFromFlags() {
  TlsOptions tls;
  tls.cert_path = absl::GetFlag(FLAGS_tls_cert);
  tls.key_path = absl::GetFlag(FLAGS_tls_key);
  tls.ca_path = absl::GetFlag(FLAGS_tls_ca);
  tls.server_name_override = absl::GetFlag(FLAGS_tls_server_name);
  return tls;
}

}  // namespace

ServerOptions ServerOptionsFromFlags(const std::string& address) {
  ServerOptions options;
  options.address = address;
  options.tls = TlsOptionsFromFlags();
  return options;
}

ChannelOptions ChannelOptionsFromFlags() {
  ChannelOptions options;
  options.tls = TlsOptionsFromFlags();
  return options;
}

absl::StatusOr<std::unique_ptr<MetricsExporter>> StartMetricsExporterFromFlags() {
  const int port = absl::GetFlag(FLAGS_metrics_port);
  if (port < 0) return std::unique_ptr<MetricsExporter>();
  return MetricsExporter::Create(absl::StrCat("0.0.0.0:", port));
}

namespace {

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void BlockShutdownSignals() {
  const sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForShutdownSignal() {
  const sigset_t signals = ShutdownSignals();
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

}  // namespace mbrl::cli
