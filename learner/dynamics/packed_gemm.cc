#include "learner/dynamics/packed_gemm.h"

#include <algorithm>
#include <chrono>

#include "learner/dynamics/packed_gemm_kernels.h"

namespace mbrl::learner::gemm {

const char* IsaName(Isa isa) { return isa == Isa::kAvx512 ? "avx512" : "avx2"; }

bool CpuSupports(Isa isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  // libgcc's checks include the OS's support for saving the wide registers (XCR0).
  if (isa == Isa::kAvx512) {
    return internal::avx512::HaveKernel() && __builtin_cpu_supports("avx512f");
  }
  return internal::avx2::HaveKernel() && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

std::optional<Isa> BestIsa() {
  static const std::optional<Isa> best = []() -> std::optional<Isa> {
    for (Isa isa : {Isa::kAvx512, Isa::kAvx2}) {
      if (CpuSupports(isa)) return isa;
    }
    return std::nullopt;
  }();
  return best;
}

int64_t PanelWidth(Isa isa) {
  return isa == Isa::kAvx512 ? internal::avx512::kPanelWidth : internal::avx2::kPanelWidth;
}

int64_t TileRows(Isa isa) {
  return isa == Isa::kAvx512 ? internal::avx512::kTileRows : internal::avx2::kTileRows;
}

int64_t PanelCount(Isa isa, int64_t out) {
  return (out + PanelWidth(isa) - 1) / PanelWidth(isa);
}

int64_t PackedWeightSize(Isa isa, int64_t in, int64_t out) {
  return PanelCount(isa, out) * in * PanelWidth(isa);
}

int64_t PackedBiasSize(Isa isa, int64_t out) { return PanelCount(isa, out) * PanelWidth(isa); }

void PackWeights(Isa isa, const float* weight, int64_t weight_stride, int64_t in, int64_t out,
                 float* packed) {
  const int64_t width = PanelWidth(isa);
  for (int64_t p = 0; p < PanelCount(isa, out); ++p) {
    const int64_t columns = std::min(width, out - p * width);
    for (int64_t k = 0; k < in; ++k) {
      float* row = packed + (p * in + k) * width;
      std::copy_n(weight + k * weight_stride + p * width, columns, row);
      std::fill(row + columns, row + width, 0.0f);
    }
  }
}

void PackBias(Isa isa, const float* bias, int64_t out, float* packed_bias) {
  const int64_t size = PackedBiasSize(isa, out);
  std::fill_n(packed_bias, size, 0.0f);
  if (bias != nullptr) std::copy_n(bias, out, packed_bias);
}

double FmaPeakFlopsPerSecond(Isa isa, double seconds) {
  using Clock = std::chrono::steady_clock;
  const int64_t iterations = 1 << 20;
  const double vector_width = PanelWidth(isa) / 2;  // a panel is two vectors
  const double flops = 2.0 * internal::kFmaChains * vector_width * iterations;
  double best = 0;
  volatile float sink = 0;
  const Clock::time_point start = Clock::now();
  do {
    const Clock::time_point chunk = Clock::now();
    sink = sink + (isa == Isa::kAvx512 ? internal::avx512::FmaChains(iterations)
                                       : internal::avx2::FmaChains(iterations));
    best = std::max(best,
                    flops / std::chrono::duration<double>(Clock::now() - chunk).count());
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  return best;
}

void ComputeBlock(Isa isa, const GemmBlock& block) {
  if (isa == Isa::kAvx512) {
    internal::avx512::ComputeBlock(block);
  } else {
    internal::avx2::ComputeBlock(block);
  }
}

}  // namespace mbrl::learner::gemm
