// TLS and mutual TLS between roles, configured by PEM file paths (a Kubernetes Secret mounted as
// files). Empty paths mean plaintext, which is the default on one machine.
//
// Errors: NOT_FOUND when a file cannot be read, INVALID_ARGUMENT for an inconsistent set of paths
// (e.g. a certificate without its key). The PEM contents are checked by gRPC when the first
// connection is made (a bad certificate fails the handshake, reported as UNAVAILABLE).
#ifndef MBRL_SERVICES_COMMON_CREDENTIALS_H_
#define MBRL_SERVICES_COMMON_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace mbrl {

struct TlsOptions {
  // This side's PEM certificate chain and private key. A server needs both to serve TLS; a
  // client sets both to present a client certificate (mTLS).
  std::string cert_path;
  std::string key_path;
  // PEM CA bundle that verifies the peer. Server: set = require and verify client certificates
  // (mTLS). Client: set = trust these CAs (else the system's roots).
  std::string ca_path;
  // Client only: the name expected in the server certificate when it differs from the target's
  // host (e.g. connecting to an IP address). Empty = the target's host.
  std::string server_name_override;

  // Whether any TLS setting is present (a client with only `ca_path` still uses TLS).
  bool enabled() const { return !cert_path.empty() || !key_path.empty() || !ca_path.empty(); }
};

// Insecure credentials if !options.enabled(); else TLS (mTLS if ca_path is set).
// INVALID_ARGUMENT if TLS is requested without both cert_path and key_path.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& options);

// Insecure credentials if !options.enabled(); else TLS verifying the server (with the system's
// roots unless ca_path is set), presenting a client certificate if cert_path/key_path are set.
// INVALID_ARGUMENT if only one of cert_path and key_path is set.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsOptions& options);

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_CREDENTIALS_H_
