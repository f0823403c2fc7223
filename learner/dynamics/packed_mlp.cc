#include "learner/dynamics/packed_mlp.h"

#include <ATen/ATen.h>
#include <ATen/MemoryOverlap.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mbrl::learner {
namespace {

// Work block sizes: 8 register tiles of rows, and 128 columns (the block's packed weights,
// in x 128 floats, stay in L2 while its row tiles pass over them).
constexpr int64_t kTilesPerRowBlock = 8;
constexpr int64_t kColumnsPerBlock = 128;

}  // namespace

absl::StatusOr<PackedEnsembleMlp> PackedEnsembleMlp::Create(absl::Span<const Layer> layers,
                                                            v1::Activation activation,
                                                            gemm::Isa isa) {
  auto fail = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("PackedEnsembleMlp: ", parts...));
  };
  if (!gemm::CpuSupports(isa)) return fail("this CPU cannot run the ", gemm::IsaName(isa), " kernel");
  if (activation != v1::RELU && activation != v1::TANH && activation != v1::SWISH) {
    return fail("unknown activation ", activation);
  }
  if (layers.empty()) return fail("no layers");
  const int64_t k = layers.front().weight.defined() ? layers.front().weight.size(0) : 0;
  std::vector<PackedLayer> packed;
  for (size_t l = 0; l < layers.size(); ++l) {
    const at::Tensor& w = layers[l].weight;
    const at::Tensor& b = layers[l].bias;
    if (!w.defined() || !b.defined() || w.scalar_type() != at::kFloat ||
        b.scalar_type() != at::kFloat || w.dim() != 3 || w.size(0) != k || k < 1 ||
        w.size(1) < 1 || w.size(2) < 1 || b.numel() != k * w.size(2) ||
        (l > 0 && w.size(1) != packed.back().out)) {
      return fail("layer ", l, " is not float32 weight [", k, ", in, out] and bias [", k,
                  ", out] following the previous layer");
    }
    const int64_t in = w.size(1), out = w.size(2);
    const at::Tensor weight = w.detach().contiguous();
    const at::Tensor bias = b.detach().reshape({k, out}).contiguous();
    PackedLayer layer{at::empty({k, gemm::PackedWeightSize(isa, in, out)}, at::kFloat),
                      at::empty({k, gemm::PackedBiasSize(isa, out)}, at::kFloat), in, out};
    for (int64_t m = 0; m < k; ++m) {
      gemm::PackWeights(isa, weight[m].data_ptr<float>(), out, in, out,
                        layer.weight[m].data_ptr<float>());
      gemm::PackBias(isa, bias[m].data_ptr<float>(), out, layer.bias[m].data_ptr<float>());
    }
    packed.push_back(std::move(layer));
  }
  return PackedEnsembleMlp(isa, k, activation, std::move(packed));
}

PackedEnsembleMlp::PackedEnsembleMlp(gemm::Isa isa, int64_t ensemble_size,
                                     v1::Activation activation, std::vector<PackedLayer> layers)
    : isa_(isa), ensemble_size_(ensemble_size), activation_(activation),
      layers_(std::move(layers)) {}

void PackedEnsembleMlp::ForwardLayer(const PackedLayer& layer, absl::Span<const int64_t> members,
                                     const at::Tensor& input, at::Tensor& output,
                                     bool relu) const {
  const int64_t groups = input.size(0);
  const int64_t rows = input.size(1);
  const int64_t row_block = kTilesPerRowBlock * gemm::TileRows(isa_);
  const int64_t panel_block = std::max<int64_t>(1, kColumnsPerBlock / gemm::PanelWidth(isa_));
  const int64_t panels = gemm::PanelCount(isa_, layer.out);
  const int64_t row_blocks = (rows + row_block - 1) / row_block;
  const int64_t panel_blocks = (panels + panel_block - 1) / panel_block;
  const int64_t blocks = groups * row_blocks * panel_blocks;
  const float* in = input.data_ptr<float>();
  float* out = output.data_ptr<float>();
  const float* weight = layer.weight.data_ptr<float>();
  const float* bias = layer.bias.data_ptr<float>();
  const int64_t weight_size = layer.weight.size(1);
  const int64_t bias_size = layer.bias.size(1);
  auto compute = [&](int64_t index) {
    const int64_t g = index / (row_blocks * panel_blocks);
    const int64_t row_begin = (index / panel_blocks) % row_blocks * row_block;
    const int64_t panel_begin = index % panel_blocks * panel_block;
    gemm::GemmBlock block;
    block.input = in + g * rows * layer.in;
    block.input_stride = layer.in;
    block.packed_weight = weight + members[g] * weight_size;
    block.packed_bias = bias + members[g] * bias_size;
    block.output = out + g * rows * layer.out;
    block.output_stride = layer.out;
    block.in = layer.in;
    block.out = layer.out;
    block.row_begin = row_begin;
    block.row_end = std::min(rows, row_begin + row_block);
    block.panel_begin = panel_begin;
    block.panel_end = std::min(panels, panel_begin + panel_block);
    block.relu = relu;
    gemm::ComputeBlock(isa_, block);
  };
  // One task per thread, each taking blocks until none is left.
  std::atomic<int64_t> next{0};
  const int64_t workers = std::min<int64_t>(at::get_num_threads(), blocks);
  at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
    for (int64_t index = next++; index < blocks; index = next++) compute(index);
  });
}

at::Tensor PackedEnsembleMlp::Forward(absl::Span<const int64_t> members,
                                      const at::Tensor& x) const {
  at::Tensor out;
  if (x.defined() && x.dim() == 3) out = at::empty({x.size(0), x.size(1), output_dim()}, at::kFloat);
  Forward(members, x, out);
  return out;
}

void PackedEnsembleMlp::Forward(absl::Span<const int64_t> members, const at::Tensor& x,
                                at::Tensor& out) const {
  TORCH_CHECK(x.defined() && x.scalar_type() == at::kFloat && x.dim() == 3 &&
                  x.size(0) == static_cast<int64_t>(members.size()) && x.size(2) == input_dim(),
              "PackedEnsembleMlp::Forward: expected float32 [", members.size(), ", n, ",
              input_dim(), "]");
  TORCH_CHECK(out.defined() && out.scalar_type() == at::kFloat && out.is_contiguous() &&
                  out.sizes() == at::IntArrayRef({x.size(0), x.size(1), output_dim()}),
              "PackedEnsembleMlp::Forward: the output must be contiguous float32 [", x.size(0),
              ", ", x.size(1), ", ", output_dim(), "]");
  for (int64_t member : members) {
    TORCH_CHECK(member >= 0 && member < ensemble_size_, "PackedEnsembleMlp::Forward: member ",
                member, " is not in [0, ", ensemble_size_, ")");
  }
  const int64_t groups = x.size(0), rows = x.size(1);
  if (rows == 0) return;
  const at::Tensor input = x.contiguous();
  TORCH_CHECK(at::get_overlap_status(input, out) == at::MemOverlapStatus::No,
              "PackedEnsembleMlp::Forward: the output overlaps the input");
  // The hidden layers ping-pong between two per-thread buffers kept across calls: fresh
  // multi-megabyte tensors on every call cost a page fault per 4 KiB (measured 3x slower at
  // 820 rows per member on this VM).
  thread_local at::Tensor scratch[2];
  at::Tensor h = input;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const bool hidden = l + 1 < layers_.size();
    at::Tensor next = out;
    if (hidden) {
      at::Tensor& buffer = scratch[l % 2];
      const int64_t size = groups * rows * layers_[l].out;
      if (!buffer.defined() || buffer.numel() < size) buffer = at::empty({size}, at::kFloat);
      next = buffer.narrow(0, 0, size).view({groups, rows, layers_[l].out});
    }
    ForwardLayer(layers_[l], members, h, next, /*relu=*/hidden && activation_ == v1::RELU);
    if (hidden && activation_ == v1::TANH) next.tanh_();
    if (hidden && activation_ == v1::SWISH) at::silu_(next);
    h = next;
  }
}

}  // namespace mbrl::learner
