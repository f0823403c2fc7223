// Which kernels the process's OpenBLAS runs, for diagnostics (`mbrl version`, the benchmarks).
//
// Debian's LibTorch runs its matmuls on libblas.so.3, which `./mbrl setup` points at OpenBLAS
// 0.3.21. OpenBLAS picks a kernel set for the CPU when it loads, unless the environment
// variable OPENBLAS_CORETYPE names one: e.g. OPENBLAS_CORETYPE=Haswell (set on this project's
// development machines) makes it run AVX2 kernels on an AVX-512 CPU, at about half the matmul
// rate of its own choice there (bench/RESULTS.md). mbrl respects the variable.
#ifndef MBRL_COMMON_OPENBLAS_H_
#define MBRL_COMMON_OPENBLAS_H_

#include <string>

namespace mbrl {

// The kernel set OpenBLAS runs ("Haswell", "Cooperlake", ...); "" if the process's BLAS is not
// OpenBLAS.
std::string OpenBlasCoreName();

}  // namespace mbrl

#endif  // MBRL_COMMON_OPENBLAS_H_
