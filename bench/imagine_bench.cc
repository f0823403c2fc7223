#include "bench/imagine_bench.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <functional>
#include <numeric>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "actors/envs/registry.h"
#include "common/status_macros.h"
#include "common/openblas.h"
#include "learner/dynamics/mlp_ensemble.h"
#include "learner/dynamics/packed_gemm.h"
#include "learner/dynamics/packed_mlp.h"
#include "learner/imagination.h"
#include "learner/policy/gaussian_mlp.h"
#include "learner/torch_errors.h"

namespace mbrl::bench {
namespace {

// Sum of in * out over the layers of an MLP in -> hidden... -> out.
double MultiplyAdds(int64_t in, const std::vector<int64_t>& hidden, int64_t out) {
  double total = 0;
  int64_t previous = in;
  for (int64_t units : hidden) {
    total += static_cast<double>(previous) * units;
    previous = units;
  }
  return total + static_cast<double>(previous) * out;
}

// The measurements run in kRounds interleaved rounds (ceiling, FMA peak, imagination, model
// layers alone), every side keeping its best over all rounds: this machine's speed drifts by
// 10-20% over tens of seconds, and measuring one side after the other let the drift decide
// the ratio.
constexpr int kRounds = 3;

double SecondsSince(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

// The best FLOP/s of `call` (doing `flops` each time): repeated in chunks of about 0.1 s for
// about `seconds` (at least 3 chunks); the fastest chunk counts, so load from other processes
// biases no side of a ratio.
double BestRate(double flops, double seconds, const std::function<void()>& call) {
  double best = 0;
  const absl::Time start = absl::Now();
  for (int chunk = 0; chunk < 3 || SecondsSince(start) < seconds; ++chunk) {
    const absl::Time chunk_start = absl::Now();
    int64_t repeats = 0;
    double elapsed = 0;
    do {
      call();
      ++repeats;
      elapsed = SecondsSince(chunk_start);
    } while (elapsed < 0.1);
    best = std::max(best, flops * repeats / elapsed);
  }
  return best;
}

// A timed computation and the best FLOP/s it has reached. The ceiling's are named "BLAS ..."
// and "kernel ...".
struct Timed {
  std::string name;
  double flops = 0;  // per call
  std::function<void()> call;
  double best = 0;

  void Measure(double seconds) { best = std::max(best, BestRate(flops, seconds, call)); }
};

// The machine's matmul ceiling: n x n float32 matmuls (n = 1024, 2048) on LibTorch's BLAS and,
// where the CPU has one, on packed_gemm's kernel (weights packed once, as imagination uses
// it); the fastest is the ceiling.
std::vector<Timed> CeilingMatmuls() {
  std::vector<Timed> matmuls;
  const std::optional<learner::gemm::Isa> isa = learner::gemm::BestIsa();
  for (int64_t n : {1024, 2048}) {
    const at::Tensor a = at::randn({n, n});
    const at::Tensor b = at::randn({n, n});
    const double flops = 2.0 * n * n * n;
    at::Tensor c = at::empty({n, n});
    matmuls.push_back({absl::StrFormat("BLAS %dx%d", n, n), flops,
                       [a, b, c]() mutable { at::matmul_out(c, a, b); }});
    if (!isa.has_value()) continue;
    const learner::PackedEnsembleMlp::Layer layer{b.unsqueeze(0), at::zeros({1, 1, n})};
    absl::StatusOr<learner::PackedEnsembleMlp> mlp =
        learner::PackedEnsembleMlp::Create({layer}, v1::RELU, *isa);
    if (!mlp.ok()) continue;  // unreachable: the layer is well-formed
    matmuls.push_back({absl::StrFormat("kernel %dx%d (%s)", n, n, learner::gemm::IsaName(*isa)),
                       flops,
                       [mlp = *std::move(mlp), x = a.unsqueeze(0), out = at::empty({1, n, n})]()
                           mutable { mlp.Forward({0}, x, out); }});
  }
  return matmuls;
}

// The FMA-only peak of `threads` threads running at once (0 without a kernel): what no matmul
// reaches, for reference.
double FmaPeak(int threads, double seconds) {
  const std::optional<learner::gemm::Isa> isa = learner::gemm::BestIsa();
  if (!isa.has_value()) return 0;
  std::vector<double> rates(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(
        [&, t] { rates[t] = learner::gemm::FmaPeakFlopsPerSecond(*isa, seconds); });
  }
  for (std::thread& worker : workers) worker.join();
  return std::accumulate(rates.begin(), rates.end(), 0.0);
}

// The model's layers alone at the imagination's shapes ([ensemble, ceil(batch / ensemble),
// ...] per layer), random weights: on the packed kernel imagination runs (ReLU fused; absent
// without a kernel), and as one BLAS baddbmm per layer without activations. What the matmuls
// bound imagination to at this batch.
std::vector<Timed> ModelLayers(const ImagineBenchOptions& options) {
  const int64_t k = options.ensemble;
  const int64_t rows = (options.batch + k - 1) / k;
  std::vector<int64_t> dims = {options.observation_dim + options.action_dim};
  dims.insert(dims.end(), options.hidden.begin(), options.hidden.end());
  dims.push_back(options.observation_dim);
  const double flops = 2.0 * static_cast<double>(options.batch) *
                       MultiplyAdds(options.observation_dim + options.action_dim, options.hidden,
                                    options.observation_dim);
  std::vector<at::Tensor> inputs;
  std::vector<learner::PackedEnsembleMlp::Layer> layers;
  for (size_t l = 0; l + 1 < dims.size(); ++l) {
    inputs.push_back(at::randn({k, rows, dims[l]}));
    layers.push_back({at::randn({k, dims[l], dims[l + 1]}) * 0.05, at::randn({k, 1, dims[l + 1]})});
  }
  std::vector<Timed> timed = {{"BLAS", flops, [inputs, layers] {
                                 for (size_t l = 0; l < layers.size(); ++l) {
                                   at::baddbmm(layers[l].bias, inputs[l], layers[l].weight);
                                 }
                               }}};
  const std::optional<learner::gemm::Isa> isa = learner::gemm::BestIsa();
  if (!isa.has_value()) return timed;
  absl::StatusOr<learner::PackedEnsembleMlp> mlp =
      learner::PackedEnsembleMlp::Create(layers, v1::RELU, *isa);
  if (!mlp.ok()) return timed;  // unreachable: the layers are well-formed
  std::vector<int64_t> members(k);
  std::iota(members.begin(), members.end(), 0);
  timed.push_back({"kernel", flops,
                   [mlp = *std::move(mlp), members, x = inputs[0],
                    out = at::empty({k, rows, options.observation_dim})]() mutable {
                     mlp.Forward(members, x, out);
                   }});
  return timed;
}

// The best of those whose name starts with `prefix` (0 if none).
double BestOf(const std::vector<Timed>& timed, absl::string_view prefix = "") {
  double best = 0;
  for (const Timed& t : timed) {
    if (absl::StartsWith(t.name, prefix)) best = std::max(best, t.best);
  }
  return best;
}

absl::Status CheckOptions(const ImagineBenchOptions& o) {
  if (o.observation_dim < 1 || o.action_dim < 1 || o.ensemble < 1 || o.batch < 1 || o.horizon < 1 ||
      o.threads < 1 || !(o.seconds > 0) || o.hidden.empty()) {
    return absl::InvalidArgumentError(
        "bench imagine: dimensions, ensemble, batch, horizon, threads and seconds must be "
        "positive and hidden non-empty");
  }
  for (int64_t units : o.hidden) {
    if (units < 1) return absl::InvalidArgumentError("bench imagine: hidden sizes must be >= 1");
  }
  for (int64_t units : o.policy_hidden) {
    if (units < 1) {
      return absl::InvalidArgumentError("bench imagine: policy_hidden sizes must be >= 1");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImagineBenchResults> RunImagineBench(const ImagineBenchOptions& options,
                                                    std::ostream& log) {
  MBRL_RETURN_IF_ERROR(CheckOptions(options));
  v1::EnvConfig env_config;
  env_config.set_name(options.env);
  env_config.set_horizon(static_cast<uint32_t>(options.horizon));
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::Env> env, envs::MakeEnv(env_config));
  const envs::EnvSpec& spec = env->spec();
  if (spec.observation.dim != options.observation_dim || spec.action.dim != options.action_dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("bench imagine: ", options.env, " has observation_dim ", spec.observation.dim,
                     " and action_dim ", spec.action.dim, "; --obs_dim/--act_dim say ",
                     options.observation_dim, "/", options.action_dim));
  }
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::BatchedEnvFunctions> functions,
                        envs::MakeBatchedEnvFunctions(options.env));

  learner::MlpEnsembleOptions model_options;
  model_options.ensemble_size = options.ensemble;
  model_options.observation_dim = options.observation_dim;
  model_options.action_dim = options.action_dim;
  model_options.hidden = options.hidden;
  model_options.packed_inference = options.packed_model;
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<learner::MlpEnsemble> model,
                        learner::MlpEnsemble::Create(model_options, /*seed=*/1));
  learner::GaussianMlpOptions policy_options;
  policy_options.observation_dim = options.observation_dim;
  policy_options.action_dim = options.action_dim;
  policy_options.hidden = options.policy_hidden;
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<learner::GaussianMlpPolicy> policy,
                        learner::GaussianMlpPolicy::Create(policy_options, /*seed=*/2));

  at::set_num_threads(options.threads);
  const std::optional<learner::gemm::Isa> isa = learner::gemm::BestIsa();
  const std::string blas_core = OpenBlasCoreName();
  log << "model kernel: "
      << (!options.packed_model ? std::string("the BLAS (--model_kernel=blas)")
          : isa.has_value()     ? std::string(learner::gemm::IsaName(*isa)) + " (packed_gemm)"
                                : std::string("the BLAS (no packed kernel on this CPU)"))
      << "; BLAS: " << (blas_core.empty() ? "not OpenBLAS" : "OpenBLAS " + blas_core) << "\n";

  learner::ImaginationOptions imagination;
  imagination.horizon = options.horizon;
  imagination.propagation = options.propagation;
  std::vector<int64_t> members(options.ensemble);
  std::iota(members.begin(), members.end(), 0);
  at::Generator generator = at::detail::createCPUGenerator(3);
  const at::Tensor starts =
      at::randn({1, options.batch, options.observation_dim}, generator, at::kFloat) * 0.1;
  auto rollout = [&]() -> absl::StatusOr<int64_t> {
    MBRL_ASSIGN_OR_RETURN(
        learner::Rollouts rollouts,
        learner::Imagine(*model, members, *policy, policy->parameters(), *functions, spec.action,
                         starts, imagination, generator));
    return learner::CallTorch("count steps",
                              [&] { return rollouts.lengths.sum().item<int64_t>(); });
  };
  MBRL_RETURN_IF_ERROR(rollout().status());  // warm-up

  std::vector<Timed> ceiling_matmuls = CeilingMatmuls();
  std::vector<Timed> model_layers = ModelLayers(options);
  const double round_seconds = options.seconds / kRounds;
  double fma_peak = 0;
  int64_t steps = 0;
  int rollouts = 0;
  double rollout_seconds = 0;
  double best_steps_per_s = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (Timed& matmul : ceiling_matmuls) matmul.Measure(round_seconds);
    fma_peak = std::max(fma_peak, FmaPeak(options.threads, std::min(0.5, round_seconds)));
    const absl::Time start = absl::Now();
    do {
      const absl::Time rollout_start = absl::Now();
      MBRL_ASSIGN_OR_RETURN(int64_t taken, rollout());
      const double seconds = SecondsSince(rollout_start);
      best_steps_per_s = std::max(best_steps_per_s, taken / seconds);
      steps += taken;
      rollout_seconds += seconds;
      ++rollouts;
    } while (SecondsSince(start) < round_seconds);
    for (Timed& layers : model_layers) layers.Measure(round_seconds);
  }

  for (const Timed& matmul : ceiling_matmuls) {
    log << absl::StrFormat("matmul %s: %.1f GFLOP/s (best chunk)\n", matmul.name,
                           matmul.best / 1e9);
  }
  const double ceiling = BestOf(ceiling_matmuls);
  log << absl::StrFormat("matmul ceiling: %.1f GFLOP/s; FMA-only peak: %.1f GFLOP/s\n",
                         ceiling / 1e9, fma_peak / 1e9);
  const double gemm_rate = model_layers.back().best;  // the kernel's, or the BLAS's without one
  const double blas_gemm_rate = model_layers.front().best;
  log << absl::StrFormat(
      "model layers alone at these shapes: %.1f GFLOP/s = %.1f%% of the ceiling (BLAS baddbmm: "
      "%.1f GFLOP/s = %.1f%%)\n",
      gemm_rate / 1e9, 100 * gemm_rate / ceiling, blas_gemm_rate / 1e9,
      100 * blas_gemm_rate / ceiling);
  const double flops_per_step =
      2.0 * MultiplyAdds(options.observation_dim + options.action_dim, options.hidden,
                         options.observation_dim) +
      2.0 * MultiplyAdds(options.observation_dim, options.policy_hidden, options.action_dim);
  const double steps_per_s = best_steps_per_s;
  const double mean_steps_per_s = steps / rollout_seconds;
  const double flops_per_s = steps_per_s * flops_per_step;
  log << absl::StrFormat(
      "imagine: batch %d, horizon %d, %d rollouts in %.2f s: best %.0f steps/s (mean %.0f), "
      "%.1f GFLOP/s = %.1f%% of the %.1f GFLOP/s ceiling, %d threads\n",
      options.batch, options.horizon, rollouts, rollout_seconds, steps_per_s, mean_steps_per_s,
      flops_per_s / 1e9, 100 * flops_per_s / ceiling, ceiling / 1e9, options.threads);
  return ImagineBenchResults{
      {"batch", static_cast<double>(options.batch)},
      {"horizon", static_cast<double>(options.horizon)},
      {"ensemble", static_cast<double>(options.ensemble)},
      {"threads", static_cast<double>(options.threads)},
      {"flops_per_step", flops_per_step},
      {"steps_per_s", steps_per_s},
      {"mean_steps_per_s", mean_steps_per_s},
      {"flops_per_s", flops_per_s},
      {"blas_ceiling_flops_per_s", BestOf(ceiling_matmuls, "BLAS")},
      {"kernel_ceiling_flops_per_s", BestOf(ceiling_matmuls, "kernel")},
      {"ceiling_flops_per_s", ceiling},
      {"fma_peak_flops_per_s", fma_peak},
      {"fraction_of_fma_peak", fma_peak > 0 ? flops_per_s / fma_peak : 0},
      {"blas_gemm_fraction_of_ceiling", blas_gemm_rate / ceiling},
      {"flops_fraction_of_ceiling", flops_per_s / ceiling},
      {"gemm_fraction_of_ceiling", gemm_rate / ceiling},
  };
}

}  // namespace mbrl::bench
