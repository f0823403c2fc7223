#include "learner/policy/gaussian_mlp.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

GaussianMlpOptions GaussianMlpOptions::FromConfig(const v1::PolicyConfig& config,
                                                  int64_t observation_dim, int64_t action_dim) {
  GaussianMlpOptions o;
  o.observation_dim = observation_dim;
  o.action_dim = action_dim;
  o.hidden.assign(config.hidden_layers(), config.hidden_units());
  o.activation = config.activation();
  o.init_std = config.init_std();
  o.min_std = config.min_std();
  return o;
}

absl::StatusOr<std::unique_ptr<GaussianMlpPolicy>> GaussianMlpPolicy::Create(
    const GaussianMlpOptions& options, uint64_t seed) {
  if (options.observation_dim < 1 || options.action_dim < 1) {
    return absl::InvalidArgumentError("GaussianMlpPolicy: dimensions must be >= 1");
  }
  for (int64_t units : options.hidden) {
    if (units < 1)
      return absl::InvalidArgumentError("GaussianMlpPolicy: hidden sizes must be >= 1");
  }
  if (options.activation != v1::TANH && options.activation != v1::RELU &&
      options.activation != v1::SWISH) {
    return absl::InvalidArgumentError(
        absl::StrCat("GaussianMlpPolicy: unknown activation ", options.activation));
  }
  if (!(options.init_std > 0) || !(options.min_std > 0) || options.min_std > options.init_std) {
    return absl::InvalidArgumentError("GaussianMlpPolicy: need 0 < min_std <= init_std");
  }
  return CallTorch("GaussianMlpPolicy::Create", [&] {
    return std::unique_ptr<GaussianMlpPolicy>(new GaussianMlpPolicy(options, seed));
  });
}

GaussianMlpPolicy::GaussianMlpPolicy(GaussianMlpOptions options, uint64_t seed)
    : options_(std::move(options)), min_log_std_(std::log(options_.min_std)) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  std::vector<int64_t> dims = {options_.observation_dim};
  dims.insert(dims.end(), options_.hidden.begin(), options_.hidden.end());
  dims.push_back(options_.action_dim);
  for (size_t l = 0; l + 1 < dims.size(); ++l) {
    const double bound = std::sqrt(6.0 / static_cast<double>(dims[l] + dims[l + 1]));  // Glorot
    parameters_.push_back(
        (at::rand({dims[l], dims[l + 1]}, generator, at::kFloat) * (2 * bound) - bound)
            .requires_grad_(true));
    names_.push_back(absl::StrCat("layers.", l, ".weight"));
    parameters_.push_back(at::zeros({dims[l + 1]}, at::kFloat).requires_grad_(true));
    names_.push_back(absl::StrCat("layers.", l, ".bias"));
  }
  parameters_.push_back(at::full({options_.action_dim}, std::log(options_.init_std), at::kFloat)
                            .requires_grad_(true));
  names_.push_back("log_std");
}

DiagGaussian GaussianMlpPolicy::Distribution(absl::Span<const at::Tensor> params,
                                             const at::Tensor& observations) const {
  const bool batched = IsBatchedParameters(*this, params);
  const size_t layers = (params.size() - 1) / 2;
  // One policy: rows of any leading shape, flattened to a matrix for addmm.
  at::Tensor h = batched ? observations : observations.reshape({-1, observations.size(-1)});
  for (size_t l = 0; l < layers; ++l) {
    const at::Tensor& weight = params[2 * l];
    const at::Tensor& bias = params[2 * l + 1];
    h = batched ? at::baddbmm(bias.unsqueeze(1), h, weight) : at::addmm(bias, h, weight);
    if (l + 1 < layers) {
      switch (options_.activation) {
        case v1::RELU:
          h = at::relu(h);
          break;
        case v1::SWISH:
          h = at::silu(h);
          break;
        default:
          h = at::tanh(h);
          break;
      }
    }
  }
  if (!batched) {
    std::vector<int64_t> shape(observations.sizes().begin(), observations.sizes().end() - 1);
    shape.push_back(h.size(-1));
    h = h.view(shape);
  }
  at::Tensor log_std = params.back().clamp_min(min_log_std_);
  if (batched) log_std = log_std.unsqueeze(1);
  return {h, log_std};
}

}  // namespace mbrl::learner
