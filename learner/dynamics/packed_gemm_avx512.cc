// packed_gemm's AVX-512F kernel: tiles of 14 rows x 32 columns (28 accumulators of the 32
// vector registers).
#include "learner/dynamics/packed_gemm_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define MBRL_GEMM_TARGET __attribute__((target("avx512f")))
#define MBRL_GEMM_INLINE __attribute__((target("avx512f"), always_inline)) inline

namespace mbrl::learner::gemm::internal::avx512 {
namespace {

struct Traits {
  using V = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kRows = 14;
  static constexpr int64_t kDepth = 512;
  static MBRL_GEMM_INLINE __mmask16 First(int n) {
    return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1);
  }
  static MBRL_GEMM_INLINE V Load(const float* p) { return _mm512_loadu_ps(p); }
  static MBRL_GEMM_INLINE V LoadFirst(const float* p, int n) {
    return _mm512_maskz_loadu_ps(First(n), p);
  }
  static MBRL_GEMM_INLINE void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static MBRL_GEMM_INLINE void StoreFirst(float* p, V v, int n) {
    _mm512_mask_storeu_ps(p, First(n), v);
  }
  static MBRL_GEMM_INLINE V Broadcast(float x) { return _mm512_set1_ps(x); }
  static MBRL_GEMM_INLINE V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  // max(0, v) returns v when v is NaN (the second operand), as LibTorch's relu does. maskz:
  // GCC 12 warns that _mm512_max_ps's undefined pass-through may be uninitialized.
  static MBRL_GEMM_INLINE V Relu(V v) {
    return _mm512_maskz_max_ps(0xFFFF, _mm512_setzero_ps(), v);
  }
};
static_assert(2 * Traits::kWidth == kPanelWidth && Traits::kRows == kTileRows);

}  // namespace

#include "learner/dynamics/packed_gemm_tile.inc"

}  // namespace mbrl::learner::gemm::internal::avx512

#else

namespace mbrl::learner::gemm::internal::avx512 {
bool HaveKernel() { return false; }
void ComputeBlock(const GemmBlock&) {}
float FmaChains(int64_t) { return 0; }
}  // namespace mbrl::learner::gemm::internal::avx512

#endif
