// `mbrl bench imagine`: imagined-rollout throughput (learner/imagination.h) against the
// machine's matmul ceiling measured in the same run.
//
// Measurements, all with `threads` LibTorch intra-op threads:
//   1. the matmul ceiling: the best FLOP/s of square float32 matmuls (n = 1024 and 2048) in
//      repeated timed chunks (the fastest chunk counts), on LibTorch's BLAS and on the packed
//      kernel imagination uses (learner/dynamics/packed_gemm.h, where the CPU has one); the
//      faster is the ceiling, so a kernel faster than the BLAS cannot inflate the fraction.
//      For reference, also the FMA-only peak of the threads (registers, no memory operands).
//   2. imagination (the model on the packed kernel, or on the BLAS without packed_model):
//      `batch` trajectories of `horizon` steps from random start states, a
//      stochastic GaussianMlpPolicy (`policy_hidden`, tanh) acting and an MlpEnsemble
//      (`ensemble` members, `hidden`, ReLU, deterministic head) predicting, members assigned
//      per trajectory (FIXED_MEMBER, MB-MPO's binding) unless `propagation` says otherwise;
//      rewards and terminations from the batched functions of `env`. One warm-up rollout, then
//      rollouts for about `seconds` in all (at least 3); the fastest rollout gives steps_per_s
//      (mean_steps_per_s is the average over all of them).
//   3. for reference, the model's layers alone at the same shapes ([ensemble,
//      ceil(batch / ensemble), ...] per layer, no policy): on the kernel imagination uses
//      (gemm_fraction_of_ceiling: the bound its matmuls put on imagination at this batch) and
//      as one BLAS baddbmm per layer (blas_gemm_fraction_of_ceiling).
// The three run in 3 interleaved rounds of seconds / 3 each (imagination: at least one rollout
// per round) and every side keeps its fastest repeat over all rounds, so that drift in the
// machine's speed and load from other processes do not bias the ratios towards either side.
// Useful FLOPs per imagined step: 2 * (sum of in * out over the model's layers, one member per
// trajectory) + 2 * (the same over the policy's layers); elementwise work is not counted.
// flops_fraction_of_ceiling = achieved useful FLOP/s / ceiling.
#ifndef MBRL_BENCH_IMAGINE_BENCH_H_
#define MBRL_BENCH_IMAGINE_BENCH_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::bench {

struct ImagineBenchOptions {
  std::string env = "HalfCheetah";
  int64_t observation_dim = 17;
  int64_t action_dim = 6;
  int64_t ensemble = 5;
  std::vector<int64_t> hidden = {512, 512, 512};
  std::vector<int64_t> policy_hidden = {32, 32};
  int64_t batch = 4096;
  int64_t horizon = 200;
  int threads = 2;
  double seconds = 3.0;
  v1::MetrpoConfig::Propagation propagation = v1::MetrpoConfig::FIXED_MEMBER;
  // The model predicts on the packed kernel where the CPU has one (MlpEnsembleOptions::
  // packed_inference); false: on the BLAS, for comparison.
  bool packed_model = true;
};

// Ordered name=value results: the settings, steps_per_s, mean_steps_per_s, flops_per_s,
// blas_ceiling_flops_per_s, kernel_ceiling_flops_per_s (0 without a kernel),
// ceiling_flops_per_s, fma_peak_flops_per_s and fraction_of_fma_peak (0 without a kernel),
// blas_gemm_fraction_of_ceiling, flops_fraction_of_ceiling, gemm_fraction_of_ceiling.
using ImagineBenchResults = std::vector<std::pair<std::string, double>>;

// Writes one progress line per measurement to `log`. INVALID_ARGUMENT for bad options (sizes
// < 1, dimensions that differ from `env`'s), NOT_FOUND for an unknown env.
absl::StatusOr<ImagineBenchResults> RunImagineBench(const ImagineBenchOptions& options,
                                                    std::ostream& log);

}  // namespace mbrl::bench

#endif  // MBRL_BENCH_IMAGINE_BENCH_H_
