// PackedEnsembleMlp: the inference forward of an ensemble of MLPs (K members with stacked
// weights, as MlpEnsemble keeps them) on packed_gemm's kernel, with the weights packed once
// when the model changes rather than on every call. This is what an imagination step runs.
//
//   Forward(members, x)[g] = f_{members[g]}(x[g]),  f = L_n o act o ... o act o L_1,
//   L_i(h) = h W_i + b_i,
//
// for x [G, n, in] (G row groups, each computed by its own member; members may repeat).
// ReLU is fused into the kernel's stores; tanh and swish run as one LibTorch pass per layer.
// The work of each layer (groups x row blocks x column blocks) is spread over LibTorch's
// intra-op threads (at::parallel_for) and handed out dynamically, so a core slowed by other
// processes takes fewer blocks. Results do not depend on the thread count (each output is
// computed by one kernel call in a fixed order).
//
// Memory: the packed weights (about the size of the layers), and per calling thread two
// hidden-layer buffers that Forward keeps for the thread's lifetime, sized to its largest call
// (G x n x the widest hidden layer floats each).
//
// Thread safety: immutable after Create; Forward may run concurrently with itself.
#ifndef MBRL_LEARNER_DYNAMICS_PACKED_MLP_H_
#define MBRL_LEARNER_DYNAMICS_PACKED_MLP_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "learner/dynamics/packed_gemm.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::learner {

class PackedEnsembleMlp {
 public:
  struct Layer {
    at::Tensor weight;  // float32 [K, in, out]
    at::Tensor bias;    // float32 [K, 1, out] or [K, out]
  };

  // Packs `layers` (each layer's in = the previous layer's out) for `isa`; `activation` follows
  // every layer but the last. INVALID_ARGUMENT for inconsistent shapes or dtypes, an unknown
  // activation, or an ISA this CPU cannot run.
  static absl::StatusOr<PackedEnsembleMlp> Create(absl::Span<const Layer> layers,
                                                  v1::Activation activation, gemm::Isa isa);

  int64_t ensemble_size() const { return ensemble_size_; }
  int64_t input_dim() const { return layers_.front().in; }
  int64_t output_dim() const { return layers_.back().out; }

  // float32 [G, n, output_dim()] for x float32 [G, n, input_dim()] (any strides), member
  // members[g] computing group g. Requires members.size() == G and every member in
  // [0, ensemble_size()) (checked: c10::Error otherwise, so call it inside CallTorch). Blocks
  // until done; uses LibTorch's intra-op thread count.
  at::Tensor Forward(absl::Span<const int64_t> members, const at::Tensor& x) const;
  // The same into `out`, a contiguous float32 [G, n, output_dim()] that does not overlap x
  // (checked), so a caller that repeats a forward can keep its output buffer.
  void Forward(absl::Span<const int64_t> members, const at::Tensor& x, at::Tensor& out) const;

 private:
  struct PackedLayer {
    at::Tensor weight;  // [K, gemm::PackedWeightSize(isa, in, out)]
    at::Tensor bias;    // [K, gemm::PackedBiasSize(isa, out)]
    int64_t in = 0;
    int64_t out = 0;
  };

  PackedEnsembleMlp(gemm::Isa isa, int64_t ensemble_size, v1::Activation activation,
                    std::vector<PackedLayer> layers);
  // One layer for every group: output[g] = input[g] W_{members[g]} + b (ReLU fused if
  // `relu`); input [G, n, in] and output [G, n, out] contiguous.
  void ForwardLayer(const PackedLayer& layer, absl::Span<const int64_t> members,
                    const at::Tensor& input, at::Tensor& output, bool relu) const;

  gemm::Isa isa_;
  int64_t ensemble_size_;
  v1::Activation activation_;
  std::vector<PackedLayer> layers_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_DYNAMICS_PACKED_MLP_H_
