// `mbrl bench imagine`: imagined steps/s and the fraction of the matmul ceiling it reaches
// (bench/imagine_bench.h).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/imagine_bench.h"
#include "cli/bench_report.h"
#include "cli/shared_flags.h"
#include "cli/subcommands.h"

ABSL_FLAG(int64_t, obs_dim, 17, "Observation dimension (must be the env's).");
ABSL_FLAG(int64_t, act_dim, 6, "Action dimension (must be the env's).");
ABSL_FLAG(int64_t, ensemble, 5, "Ensemble members.");
ABSL_FLAG(std::string, hidden, "512,512,512", "Model hidden layer sizes, comma-separated.");
ABSL_FLAG(std::string, policy_hidden, "32,32", "Policy hidden layer sizes, comma-separated.");
ABSL_FLAG(int64_t, batch, 4096, "Trajectories rolled out together.");
ABSL_FLAG(std::string, propagation, "fixed",
          "Member per trajectory: fixed (TS-infinity), random_per_step or mean.");
ABSL_FLAG(std::string, model_kernel, "packed",
          "Where the model predicts: packed (the imagination kernel, where the CPU has one) or "
          "blas (LibTorch's batched matmul, for comparison).");

// Shared with `mbrl bench env` (cli/bench_env.cc): the time of each measurement.
ABSL_DECLARE_FLAG(double, seconds);

namespace mbrl::cli {
namespace {

bool ParseSizes(const std::string& text, std::vector<int64_t>* out) {
  out->clear();
  for (absl::string_view piece : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(piece, &value)) return false;
    out->push_back(value);
  }
  return true;
}

int RunBenchImagine(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl bench imagine: takes no arguments\n";
    return kExitUsage;
  }
  bench::ImagineBenchOptions options;
  if (!absl::GetFlag(FLAGS_env).empty()) options.env = absl::GetFlag(FLAGS_env);
  options.observation_dim = absl::GetFlag(FLAGS_obs_dim);
  options.action_dim = absl::GetFlag(FLAGS_act_dim);
  options.ensemble = absl::GetFlag(FLAGS_ensemble);
  options.batch = absl::GetFlag(FLAGS_batch);
  options.horizon = absl::GetFlag(FLAGS_horizon);
  options.threads = absl::GetFlag(FLAGS_threads) > 0 ? absl::GetFlag(FLAGS_threads) : 2;
  options.seconds = absl::GetFlag(FLAGS_seconds);
  if (!ParseSizes(absl::GetFlag(FLAGS_hidden), &options.hidden) ||
      !ParseSizes(absl::GetFlag(FLAGS_policy_hidden), &options.policy_hidden)) {
    std::cerr << "mbrl bench imagine: --hidden and --policy_hidden take comma-separated "
                 "integers, e.g. 512,512,512\n";
    return kExitUsage;
  }
  const std::string propagation = absl::GetFlag(FLAGS_propagation);
  if (propagation == "fixed") {
    options.propagation = v1::MetrpoConfig::FIXED_MEMBER;
  } else if (propagation == "random_per_step") {
    options.propagation = v1::MetrpoConfig::RANDOM_MEMBER_PER_STEP;
  } else if (propagation == "mean") {
    options.propagation = v1::MetrpoConfig::MEAN;
  } else {
    std::cerr << "mbrl bench imagine: --propagation must be fixed, random_per_step or mean\n";
    return kExitUsage;
  }
  const std::string model_kernel = absl::GetFlag(FLAGS_model_kernel);
  if (model_kernel != "packed" && model_kernel != "blas") {
    std::cerr << "mbrl bench imagine: --model_kernel must be packed or blas\n";
    return kExitUsage;
  }
  options.packed_model = model_kernel == "packed";
  return ReportBenchResults("mbrl bench imagine", bench::RunImagineBench(options, std::cout),
                            std::cout, std::cerr);
}

}  // namespace

Subcommand BenchImagineSubcommand() {
  return {
      /*name=*/"bench imagine",
      /*arguments=*/"",
      /*summary=*/"Imagined model-rollout steps/s and their fraction of the matmul ceiling.",
      /*details=*/
      "Rolls a Gaussian MLP policy out in an MLP ensemble (random weights, the given shapes)\n"
      "for --horizon steps over --batch trajectories, scores them with --env's batched\n"
      "reward, and compares the useful FLOP/s with the best square matmul measured in the\n"
      "same run and thread count: the faster of LibTorch's BLAS and the packed kernel\n"
      "imagination runs the model on. The last line is name=value pairs (steps_per_s=,\n"
      "flops_fraction_of_ceiling=, ...).",
      /*flags=*/
      {"env", "obs_dim", "act_dim", "ensemble", "hidden", "policy_hidden", "batch", "horizon",
       "threads", "seconds", "propagation", "model_kernel"},
      /*run=*/RunBenchImagine,
  };
}

}  // namespace mbrl::cli
