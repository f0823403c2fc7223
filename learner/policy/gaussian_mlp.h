// GaussianMlpPolicy (rllab's GaussianMLPPolicy, as ME-TRPO and MB-MPO use it): an MLP with
// tanh hidden layers maps the observation to the action mean; the log standard deviation is
// a state-independent parameter vector, initialised to log(init_std) and floored at
// log(min_std). Weights are Glorot-uniform, biases zero.
//
// Parameters, in order and as named in snapshots: layers.<l>.weight [in, out],
// layers.<l>.bias [out] for each layer l, then log_std [act_dim].
#ifndef MBRL_LEARNER_POLICY_GAUSSIAN_MLP_H_
#define MBRL_LEARNER_POLICY_GAUSSIAN_MLP_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/policy/interface.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::learner {

struct GaussianMlpOptions {
  int64_t observation_dim = 0;
  int64_t action_dim = 0;
  std::vector<int64_t> hidden = {32, 32};
  v1::Activation activation = v1::TANH;
  double init_std = 1.0;
  double min_std = 1e-6;

  // The options of `config` (its defaults where unset) for the given dimensions.
  static GaussianMlpOptions FromConfig(const v1::PolicyConfig& config, int64_t observation_dim,
                                       int64_t action_dim);
};

class GaussianMlpPolicy final : public Policy {
 public:
  // INVALID_ARGUMENT for bad options. `seed` draws the initial weights.
  static absl::StatusOr<std::unique_ptr<GaussianMlpPolicy>> Create(
      const GaussianMlpOptions& options, uint64_t seed);

  int64_t observation_dim() const override { return options_.observation_dim; }
  int64_t action_dim() const override { return options_.action_dim; }
  const std::vector<at::Tensor>& parameters() const override { return parameters_; }
  const std::vector<std::string>& parameter_names() const override { return names_; }
  DiagGaussian Distribution(absl::Span<const at::Tensor> params,
                            const at::Tensor& observations) const override;

 private:
  GaussianMlpPolicy(GaussianMlpOptions options, uint64_t seed);

  GaussianMlpOptions options_;
  std::vector<at::Tensor> parameters_;
  std::vector<std::string> names_;
  double min_log_std_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_POLICY_GAUSSIAN_MLP_H_
