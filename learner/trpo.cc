#include "learner/trpo.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "learner/conjugate_gradient.h"
#include "learner/parameters.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {

std::vector<at::Tensor> PolicyGradientStep(const at::Tensor& objective,
                                           absl::Span<const at::Tensor> params,
                                           double learning_rate, bool create_graph) {
  const std::vector<at::Tensor> inputs(params.begin(), params.end());
  std::vector<at::Tensor> gradients = torch::autograd::grad(
      {objective}, inputs, /*grad_outputs=*/{}, /*retain_graph=*/true, create_graph);
  std::vector<at::Tensor> stepped;
  stepped.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const at::Tensor gradient = create_graph ? gradients[i] : gradients[i].detach();
    stepped.push_back(inputs[i] + learning_rate * gradient);
  }
  return stepped;
}

FisherVectorProduct::FisherVectorProduct(const at::Tensor& kl, absl::Span<const at::Tensor> params,
                                         double damping)
    : params_(params.begin(), params.end()), damping_(damping) {
  flat_kl_gradient_ = Flatten(torch::autograd::grad({kl}, params_, /*grad_outputs=*/{},
                                                    /*retain_graph=*/true, /*create_graph=*/true));
}

at::Tensor FisherVectorProduct::operator()(const at::Tensor& vector) const {
  const at::Tensor product = (flat_kl_gradient_ * vector.detach()).sum();
  const std::vector<at::Tensor> hvp = torch::autograd::grad(
      {product}, params_, /*grad_outputs=*/{}, /*retain_graph=*/true, /*create_graph=*/false);
  return Flatten(hvp).detach() + damping_ * vector.detach();
}

TrpoOptions TrpoOptions::FromConfig(const v1::TrpoConfig& config) {
  TrpoOptions options;
  options.max_kl = config.max_kl();
  options.cg_iterations = static_cast<int>(config.cg_iterations());
  options.cg_damping = config.cg_damping();
  options.backtrack_ratio = config.backtrack_ratio();
  options.max_backtracks = static_cast<int>(config.max_backtracks());
  options.fisher_stride =
      std::max<int64_t>(1, std::llround(1.0 / config.fisher_sample_fraction()));
  return options;
}

TrpoTerms PolicyTrpoTerms(const Policy& policy, absl::Span<const at::Tensor> params,
                          const PolicyBatch& batch, int64_t fisher_stride, bool differentiable) {
  TrpoTerms terms{SurrogateObjective(policy, params, batch), MeanKl(policy, params, batch)};
  if (differentiable && fisher_stride > 1) {
    terms.fisher_kl = MeanKl(policy, params, StrideSlots(batch, fisher_stride));
  }
  return terms;
}

absl::StatusOr<TrpoReport> TrpoStep(absl::Span<const at::Tensor> params,
                                    const std::function<TrpoTerms(bool differentiable)>& evaluate,
                                    const TrpoOptions& options) {
  const std::vector<at::Tensor> start = CloneDetached(params);
  absl::StatusOr<TrpoReport> report = CallTorch("TrpoStep", [&]() -> TrpoReport {
    TrpoReport result;
    const std::vector<at::Tensor> inputs(params.begin(), params.end());
    const TrpoTerms terms = evaluate(/*differentiable=*/true);
    result.surrogate_before = terms.surrogate.item<double>();
    result.surrogate_after = result.surrogate_before;
    const at::Tensor gradient =
        Flatten(torch::autograd::grad({terms.surrogate}, inputs, /*grad_outputs=*/{},
                                      /*retain_graph=*/true))
            .detach();
    if (!at::isfinite(gradient).all().item<bool>() || gradient.abs().max().item<double>() == 0) {
      return result;  // nothing to do (or nothing safe to do)
    }
    const FisherVectorProduct fvp(terms.fisher_kl.defined() ? terms.fisher_kl : terms.kl, params,
                                  options.cg_damping);
    const at::Tensor direction =
        ConjugateGradient(std::cref(fvp), gradient, options.cg_iterations).solution;
    const double curvature = direction.dot(fvp(direction)).item<double>();
    if (!(curvature > 0) || !std::isfinite(curvature)) return result;
    const at::Tensor full_step = std::sqrt(2 * options.max_kl / curvature) * direction;
    const at::Tensor start_flat = Flatten(start);
    for (int backtrack = 0; backtrack < options.max_backtracks; ++backtrack) {
      const double fraction = std::pow(options.backtrack_ratio, backtrack);
      AssignTensors(UnflattenLike(start_flat + fraction * full_step, start), params);
      at::NoGradGuard no_grad;
      const TrpoTerms candidate = evaluate(/*differentiable=*/false);
      const double new_surrogate = candidate.surrogate.item<double>();
      const double new_kl = candidate.kl.item<double>();
      if (std::isfinite(new_surrogate) && std::isfinite(new_kl) &&
          new_surrogate > result.surrogate_before && new_kl <= options.max_kl) {
        result.accepted = true;
        result.surrogate_after = new_surrogate;
        result.kl = new_kl;
        result.backtracks = backtrack;
        return result;
      }
    }
    AssignTensors(start, params);
    result.backtracks = options.max_backtracks;
    return result;
  });
  if (!report.ok()) AssignTensors(start, params);
  return report;
}

}  // namespace mbrl::learner
