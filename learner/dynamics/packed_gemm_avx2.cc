// packed_gemm's AVX2+FMA kernel: tiles of 6 rows x 16 columns (12 accumulators of the 16
// vector registers).
#include "learner/dynamics/packed_gemm_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define MBRL_GEMM_TARGET __attribute__((target("avx2,fma")))
#define MBRL_GEMM_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

namespace mbrl::learner::gemm::internal::avx2 {
namespace {

struct Traits {
  using V = __m256;
  static constexpr int kWidth = 8;
  static constexpr int kRows = 6;
  static constexpr int64_t kDepth = 512;
  // Lanes [0, n) set (n in 0..8).
  static MBRL_GEMM_INLINE __m256i First(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static MBRL_GEMM_INLINE V Load(const float* p) { return _mm256_loadu_ps(p); }
  static MBRL_GEMM_INLINE V LoadFirst(const float* p, int n) {
    return _mm256_maskload_ps(p, First(n));
  }
  static MBRL_GEMM_INLINE void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static MBRL_GEMM_INLINE void StoreFirst(float* p, V v, int n) {
    _mm256_maskstore_ps(p, First(n), v);
  }
  static MBRL_GEMM_INLINE V Broadcast(float x) { return _mm256_set1_ps(x); }
  static MBRL_GEMM_INLINE V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  // max(0, v) returns v when v is NaN (the second operand), as LibTorch's relu does.
  static MBRL_GEMM_INLINE V Relu(V v) { return _mm256_max_ps(_mm256_setzero_ps(), v); }
};
static_assert(2 * Traits::kWidth == kPanelWidth && Traits::kRows == kTileRows);

}  // namespace

#include "learner/dynamics/packed_gemm_tile.inc"

}  // namespace mbrl::learner::gemm::internal::avx2

#else

namespace mbrl::learner::gemm::internal::avx2 {
bool HaveKernel() { return false; }
void ComputeBlock(const GemmBlock&) {}
float FmaChains(int64_t) { return 0; }
}  // namespace mbrl::learner::gemm::internal::avx2

#endif
