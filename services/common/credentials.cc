#include "services/common/credentials.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mbrl {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", what, " file '", path, "'"));
  std::ostringstream contents;
  contents << file.rdbuf();
  if (contents.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " file '", path, "' is empty"));
  }
  return contents.str();
}

absl::Status CheckKeyPair(const TlsOptions& options) {
  if (options.cert_path.empty() != options.key_path.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and its private key (got only one of the two paths)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& options) {
  if (!options.enabled()) return grpc::InsecureServerCredentials();
  MBRL_RETURN_IF_ERROR(CheckKeyPair(options));
  if (options.cert_path.empty()) {
    return absl::InvalidArgumentError("a TLS server needs a certificate and a private key");
  }
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  MBRL_ASSIGN_OR_RETURN(pair.cert_chain, ReadPemFile(options.cert_path, "certificate"));
  MBRL_ASSIGN_OR_RETURN(pair.private_key, ReadPemFile(options.key_path, "private key"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.ca_path.empty()) {
    MBRL_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPemFile(options.ca_path, "CA"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsOptions& options) {
  if (!options.enabled()) return grpc::InsecureChannelCredentials();
  MBRL_RETURN_IF_ERROR(CheckKeyPair(options));
  grpc::SslCredentialsOptions ssl;
  if (!options.ca_path.empty()) {
    MBRL_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPemFile(options.ca_path, "CA"));
  }
  if (!options.cert_path.empty()) {
    MBRL_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPemFile(options.cert_path, "certificate"));
    MBRL_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPemFile(options.key_path, "private key"));
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace mbrl
