// `mbrl version`: the release, the protocol, and the versions of the libraries it runs on.
#include "common/version.h"

#include <torch/version.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/subcommands.h"
#include "common/openblas.h"
#include "learner/dynamics/packed_gemm.h"
#include "google/protobuf/stubs/common.h"
#include "grpcpp/grpcpp.h"

namespace mbrl::cli {
namespace {

int RunVersion(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl version: takes no arguments\n";
    return kExitUsage;
  }
  std::cout << "mbrl " << kMbrlVersion << " (protocol " << kProtocolPackage << ")\n"
            << "grpc " << grpc::Version() << ", protobuf "
            << google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION) << ", libtorch "
            << TORCH_VERSION_MAJOR << "." << TORCH_VERSION_MINOR << "." << TORCH_VERSION_PATCH
            << "\n";
  const std::string blas_core = OpenBlasCoreName();
  const std::optional<learner::gemm::Isa> isa = learner::gemm::BestIsa();
  std::cout << "blas: " << (blas_core.empty() ? "not OpenBLAS" : "OpenBLAS, " + blas_core + " kernels")
            << "; imagination kernel: "
            << (isa.has_value() ? learner::gemm::IsaName(*isa) : "none (BLAS)") << "\n";
  return kExitOk;
}

}  // namespace

Subcommand VersionSubcommand() {
  return {
      /*name=*/"version",
      /*arguments=*/"",
      /*summary=*/"Print the mbrl version, its protocol and its libraries' versions.",
      /*details=*/"",
      /*flags=*/{},
      /*run=*/RunVersion,
  };
}

}  // namespace mbrl::cli
