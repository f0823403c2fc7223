#include "actors/envs/transition_functions.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <utility>

namespace mbrl::envs {
namespace {

void CheckBatch(const std::string& env_name, const char* what, const at::Tensor& tensor,
                int64_t columns) {
  TORCH_CHECK(tensor.defined(), env_name, ": ", what, " is undefined");
  TORCH_CHECK(at::isFloatingType(tensor.scalar_type()), env_name, ": ", what,
              " must be floating point, got ", tensor.scalar_type());
  TORCH_CHECK(tensor.dim() == 2 && tensor.size(1) == columns, env_name, ": ", what,
              " must have shape [B, ", columns, "], got ", tensor.sizes());
}

class TransitionFunctions final : public BatchedEnvFunctions {
 public:
  TransitionFunctions(std::string env_name, int obs_dim, int act_dim, RewardExpression reward,
                      TerminationExpression terminated)
      : env_name_(std::move(env_name)),
        obs_dim_(obs_dim),
        act_dim_(act_dim),
        reward_(std::move(reward)),
        terminated_(std::move(terminated)) {}

  at::Tensor Reward(const at::Tensor& observations, const at::Tensor& actions,
                    const at::Tensor& next_observations) const override {
    CheckBatch(env_name_, "observations", observations, obs_dim_);
    CheckBatch(env_name_, "actions", actions, act_dim_);
    CheckBatch(env_name_, "next_observations", next_observations, obs_dim_);
    TORCH_CHECK(observations.size(0) == actions.size(0) &&
                    observations.size(0) == next_observations.size(0),
                env_name_, ": batch sizes differ: observations ", observations.size(0),
                ", actions ", actions.size(0), ", next_observations ", next_observations.size(0));
    return reward_(observations, actions, next_observations).to(at::kFloat);
  }

  at::Tensor Terminated(const at::Tensor& next_observations) const override {
    CheckBatch(env_name_, "next_observations", next_observations, obs_dim_);
    if (!terminated_) {
      return at::zeros({next_observations.size(0)}, next_observations.options().dtype(at::kBool));
    }
    return terminated_(next_observations).to(at::kBool);
  }

 private:
  const std::string env_name_;
  const int obs_dim_;
  const int act_dim_;
  const RewardExpression reward_;
  const TerminationExpression terminated_;
};

}  // namespace

std::unique_ptr<BatchedEnvFunctions> MakeTransitionFunctions(std::string env_name, int obs_dim,
                                                             int act_dim, RewardExpression reward,
                                                             TerminationExpression terminated) {
  return std::make_unique<TransitionFunctions>(std::move(env_name), obs_dim, act_dim,
                                               std::move(reward), std::move(terminated));
}

}  // namespace mbrl::envs
