// Internal to packed_gemm: the per-ISA entry points, each defined in its own translation unit
// (packed_gemm_avx512.cc, packed_gemm_avx2.cc) whose functions alone are compiled for that ISA.
#ifndef MBRL_LEARNER_DYNAMICS_PACKED_GEMM_KERNELS_H_
#define MBRL_LEARNER_DYNAMICS_PACKED_GEMM_KERNELS_H_

#include <cstdint>

#include "learner/dynamics/packed_gemm.h"

namespace mbrl::learner::gemm::internal {

inline constexpr int64_t kPanelWidthAvx512 = 32;
inline constexpr int64_t kPanelWidthAvx2 = 16;
inline constexpr int64_t kTileRowsAvx512 = 14;
inline constexpr int64_t kTileRowsAvx2 = 6;

// False where the translation unit was built without the kernel (not x86-64).
bool HaveAvx512Kernel();
bool HaveAvx2Kernel();
void ComputeBlockAvx512(const GemmBlock& block);
void ComputeBlockAvx2(const GemmBlock& block);
// 12 x 2 x (vector width) x iterations floating-point operations; see FmaPeakFlopsPerSecond.
float FmaChainsAvx512(int64_t iterations);
float FmaChainsAvx2(int64_t iterations);
inline constexpr int64_t kFmaChains = 12;

}  // namespace mbrl::learner::gemm::internal

#endif  // MBRL_LEARNER_DYNAMICS_PACKED_GEMM_KERNELS_H_
