#include "bench/imagine_bench.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "actors/envs/registry.h"
#include "common/status_macros.h"
#include "learner/dynamics/mlp_ensemble.h"
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

// Best FLOP/s of n x n float32 matmuls: for each size, chunks of about 0.1 s for about
// `seconds` (at least 5 chunks); the fastest chunk counts.
double MatmulCeiling(double seconds, std::ostream& log) {
  double best = 0;
  for (int64_t n : {1024, 2048}) {
    const at::Tensor a = at::randn({n, n});
    const at::Tensor b = at::randn({n, n});
    at::Tensor c = at::matmul(a, b);  // warm-up
    const double flops_per_matmul = 2.0 * n * n * n;
    double size_best = 0;
    const absl::Time start = absl::Now();
    for (int chunk = 0; chunk < 5 || absl::ToDoubleSeconds(absl::Now() - start) < seconds;
         ++chunk) {
      const absl::Time chunk_start = absl::Now();
      int64_t repeats = 0;
      double elapsed = 0;
      do {
        at::matmul_out(c, a, b);
        ++repeats;
        elapsed = absl::ToDoubleSeconds(absl::Now() - chunk_start);
      } while (elapsed < 0.1);
      size_best = std::max(size_best, flops_per_matmul * repeats / elapsed);
    }
    log << absl::StrFormat("matmul %dx%d: %.1f GFLOP/s (best chunk)\n", n, n, size_best / 1e9);
    best = std::max(best, size_best);
  }
  return best;
}

// Best FLOP/s of the model's layer matmuls alone at the imagination's shapes: one baddbmm per
// layer over [ensemble, rows per member, in] x [ensemble, in, out], repeated for `seconds`.
double ModelGemmRate(const ImagineBenchOptions& options, double seconds) {
  const int64_t k = options.ensemble;
  const int64_t rows = (options.batch + k - 1) / k;
  std::vector<int64_t> dims = {options.observation_dim + options.action_dim};
  dims.insert(dims.end(), options.hidden.begin(), options.hidden.end());
  dims.push_back(options.observation_dim);
  std::vector<at::Tensor> inputs, weights, biases;
  for (size_t l = 0; l + 1 < dims.size(); ++l) {
    inputs.push_back(at::randn({k, rows, dims[l]}));
    weights.push_back(at::randn({k, dims[l], dims[l + 1]}) * 0.05);
    biases.push_back(at::randn({k, 1, dims[l + 1]}));
  }
  const double flops = 2.0 * static_cast<double>(options.batch) *
                       MultiplyAdds(options.observation_dim + options.action_dim, options.hidden,
                                    options.observation_dim);
  double best = 0;
  const absl::Time start = absl::Now();
  for (int repeat = 0; repeat < 5 || absl::ToDoubleSeconds(absl::Now() - start) < seconds;
       ++repeat) {
    const absl::Time chunk_start = absl::Now();
    int64_t steps = 0;
    double elapsed = 0;
    do {
      for (size_t l = 0; l < weights.size(); ++l) at::baddbmm(biases[l], inputs[l], weights[l]);
      ++steps;
      elapsed = absl::ToDoubleSeconds(absl::Now() - chunk_start);
    } while (elapsed < 0.1);
    best = std::max(best, flops * steps / elapsed);
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
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<learner::MlpEnsemble> model,
                        learner::MlpEnsemble::Create(model_options, /*seed=*/1));
  learner::GaussianMlpOptions policy_options;
  policy_options.observation_dim = options.observation_dim;
  policy_options.action_dim = options.action_dim;
  policy_options.hidden = options.policy_hidden;
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<learner::GaussianMlpPolicy> policy,
                        learner::GaussianMlpPolicy::Create(policy_options, /*seed=*/2));

  at::set_num_threads(options.threads);
  const double ceiling = MatmulCeiling(options.seconds, log);

  learner::ImaginationOptions imagination;
  imagination.horizon = options.horizon;
  imagination.propagation = options.propagation;
  std::vector<int64_t> members(options.ensemble);
  for (int64_t m = 0; m < options.ensemble; ++m) members[m] = m;
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
  int64_t steps = 0;
  int rollouts = 0;
  double best_steps_per_s = 0;
  const absl::Time start = absl::Now();
  double elapsed = 0;
  do {
    const absl::Time rollout_start = absl::Now();
    MBRL_ASSIGN_OR_RETURN(int64_t taken, rollout());
    best_steps_per_s =
        std::max(best_steps_per_s, taken / absl::ToDoubleSeconds(absl::Now() - rollout_start));
    steps += taken;
    ++rollouts;
    elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  } while (rollouts < 3 || elapsed < options.seconds);

  const double flops_per_step =
      2.0 * MultiplyAdds(options.observation_dim + options.action_dim, options.hidden,
                         options.observation_dim) +
      2.0 * MultiplyAdds(options.observation_dim, options.policy_hidden, options.action_dim);
  const double gemm_rate = ModelGemmRate(options, options.seconds);
  log << absl::StrFormat(
      "model matmuls alone at these shapes: %.1f GFLOP/s = %.1f%% of the ceiling\n",
      gemm_rate / 1e9, 100 * gemm_rate / ceiling);
  const double steps_per_s = best_steps_per_s;
  const double mean_steps_per_s = steps / elapsed;
  const double flops_per_s = steps_per_s * flops_per_step;
  log << absl::StrFormat(
      "imagine: batch %d, horizon %d, %d rollouts in %.2f s: best %.0f steps/s (mean %.0f), "
      "%.1f GFLOP/s = %.1f%% of the %.1f GFLOP/s ceiling, %d threads\n",
      options.batch, options.horizon, rollouts, elapsed, steps_per_s, mean_steps_per_s,
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
      {"ceiling_flops_per_s", ceiling},
      {"flops_fraction_of_ceiling", flops_per_s / ceiling},
      {"gemm_fraction_of_ceiling", gemm_rate / ceiling},
  };
}

}  // namespace mbrl::bench
