// Internal to packed_gemm: the per-ISA entry points, each defined in its own translation unit
// (packed_gemm_avx512.cc, packed_gemm_avx2.cc) whose functions alone are compiled for that ISA.
#ifndef MBRL_LEARNER_DYNAMICS_PACKED_GEMM_KERNELS_H_
#define MBRL_LEARNER_DYNAMICS_PACKED_GEMM_KERNELS_H_

#include <cstdint>

#include "learner/dynamics/packed_gemm.h"

namespace mbrl::learner::gemm::internal {

inline constexpr int64_t kFmaChains = 12;

// Each ISA's kernel, in the namespace of its translation unit. HaveKernel() is false where
// the unit was built without it (not x86-64 with GCC or Clang); FmaChains performs
// 2 x kFmaChains x (vector width) x iterations floating-point operations (see
// FmaPeakFlopsPerSecond).
namespace avx512 {
inline constexpr int64_t kPanelWidth = 32;
inline constexpr int64_t kTileRows = 14;
bool HaveKernel();
void ComputeBlock(const GemmBlock& block);
float FmaChains(int64_t iterations);
}  // namespace avx512

namespace avx2 {
inline constexpr int64_t kPanelWidth = 16;
inline constexpr int64_t kTileRows = 6;
bool HaveKernel();
void ComputeBlock(const GemmBlock& block);
float FmaChains(int64_t iterations);
}  // namespace avx2

}  // namespace mbrl::learner::gemm::internal

#endif  // MBRL_LEARNER_DYNAMICS_PACKED_GEMM_KERNELS_H_
