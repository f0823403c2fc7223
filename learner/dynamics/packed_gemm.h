// PackedGemm: the fused dense layer that imagination spends its time in,
//   output[r, :] = activation(input[r, :] * W + bias),  W [in, out],
// on a hand-written register-tiled kernel with W packed once into column panels, so that a
// model step reads each weight from a contiguous stream and never repacks it.
//
// Why not the BLAS: every imagination step multiplies a few rows per ensemble member (13 rows
// per member at batch 64) by the same weights, 200 times per rollout. A BLAS call repacks the
// weights on every call and is tuned for large square products; at 13 rows per member OpenBLAS
// 0.3.21 reaches 17-18% of the machine's matmul rate (bench/RESULTS.md).
//
// Kernels: AVX-512F (tiles of 14 rows x 32 columns) and AVX2+FMA (6 rows x 16 columns), chosen
// at run time from what the CPU supports; BestIsa() is nullopt elsewhere (other architectures,
// older CPUs), and callers then use the BLAS. Each ISA has its own panel width, so weights are
// packed for one ISA.
//
// Results equal the plain sum of products up to float rounding (each output is accumulated in
// ascending k order with fused multiply-adds, starting from the bias); the same inputs give
// bit-identical outputs on the same ISA, whatever the row/panel split across threads.
//
// Thread safety: PackWeights and ComputeBlock touch only their arguments and never allocate or
// block; blocks that write disjoint output rows or panels may run concurrently.
#ifndef MBRL_LEARNER_DYNAMICS_PACKED_GEMM_H_
#define MBRL_LEARNER_DYNAMICS_PACKED_GEMM_H_

#include <cstdint>
#include <optional>

namespace mbrl::learner::gemm {

enum class Isa { kAvx2, kAvx512 };

const char* IsaName(Isa isa);
// Whether this CPU (and this build) can run `isa`'s kernel.
bool CpuSupports(Isa isa);
// The fastest kernel this CPU supports; nullopt if none (callers fall back to the BLAS).
std::optional<Isa> BestIsa();

// Columns per packed panel: 32 (AVX-512) or 16 (AVX2).
int64_t PanelWidth(Isa isa);
// Rows per register tile: 14 (AVX-512) or 6 (AVX2). Row blocks that are multiples of it waste
// no kernel calls on short tiles.
int64_t TileRows(Isa isa);
int64_t PanelCount(Isa isa, int64_t out);
// Floats of the packed form of an [in, out] weight matrix and of its bias.
int64_t PackedWeightSize(Isa isa, int64_t in, int64_t out);
int64_t PackedBiasSize(Isa isa, int64_t out);

// Packs weight [in, out] (row-major, row r at weight + r * weight_stride) into `packed`
// (PackedWeightSize floats): panel p holds columns [p * NR, (p + 1) * NR) as [in][NR], columns
// past `out` zero. Packs bias [out] (nullptr: zeros) into `packed_bias` (PackedBiasSize floats).
void PackWeights(Isa isa, const float* weight, int64_t weight_stride, int64_t in, int64_t out,
                 float* packed);
void PackBias(Isa isa, const float* bias, int64_t out, float* packed_bias);

// One block of a layer: rows [row_begin, row_end) x panels [panel_begin, panel_end).
struct GemmBlock {
  const float* input = nullptr;  // [rows, in], row r at input + r * input_stride
  int64_t input_stride = 0;
  const float* packed_weight = nullptr;  // PackWeights' output for [in, out]
  const float* packed_bias = nullptr;    // PackBias' output for [out]
  float* output = nullptr;               // [rows, out], row r at output + r * output_stride
  int64_t output_stride = 0;
  int64_t in = 0;
  int64_t out = 0;
  int64_t row_begin = 0;
  int64_t row_end = 0;
  int64_t panel_begin = 0;
  int64_t panel_end = 0;
  bool relu = false;  // max(0, x) on the outputs (NaN stays NaN, as in LibTorch's relu)
};

// The rate of `isa`'s fused multiply-adds on registers alone (no memory operands) on the
// calling thread, timed for about `seconds`: the bound no kernel on this ISA beats on one core.
// Requires CpuSupports(isa).
double FmaPeakFlopsPerSecond(Isa isa, double seconds);

// Computes `block` on `isa`'s kernel. Requires CpuSupports(isa), in >= 1, and that input and
// output do not overlap.
void ComputeBlock(Isa isa, const GemmBlock& block);

}  // namespace mbrl::learner::gemm

#endif  // MBRL_LEARNER_DYNAMICS_PACKED_GEMM_H_
