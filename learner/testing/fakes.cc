#include "learner/testing/fakes.h"

#include <ATen/ATen.h>

#include <cmath>
#include <random>

namespace mbrl::learner::testing {
namespace {

envs::EnvSpec LineSpec(int horizon) {
  envs::EnvSpec spec;
  spec.name = "Line";
  spec.observation = {1, {-INFINITY}, {INFINITY}};
  spec.action = {1, {-1.0f}, {1.0f}};
  spec.max_episode_steps = horizon;
  return spec;
}

}  // namespace

LineEnv::LineEnv(int horizon, float limit) : Env(LineSpec(horizon)), limit_(limit) {}

void LineEnv::DoReset(uint64_t seed, absl::Span<float> observation) {
  std::mt19937_64 engine(seed);
  x_ = std::uniform_real_distribution<float>(-1.0f, 1.0f)(engine);
  observation[0] = x_;
}

double LineEnv::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                       bool* terminated) {
  x_ += action[0];
  observation[0] = x_;
  *terminated = std::abs(x_) > limit_;
  return -static_cast<double>(x_) * x_;
}

at::Tensor LineFunctions::Reward(const at::Tensor& observations, const at::Tensor& actions,
                                 const at::Tensor& next_observations) const {
  return -next_observations.select(1, 0).square();
}

at::Tensor LineFunctions::Terminated(const at::Tensor& next_observations) const {
  return next_observations.select(1, 0).abs() > limit_;
}

TaggedShiftModel::TaggedShiftModel(std::vector<float> offsets) : offsets_(std::move(offsets)) {}

std::vector<int64_t> TaggedShiftModel::elites() const {
  std::vector<int64_t> all(offsets_.size());
  for (size_t m = 0; m < all.size(); ++m) all[m] = static_cast<int64_t>(m);
  return all;
}

absl::StatusOr<FitReport> TaggedShiftModel::Fit(const TransitionData& data) {
  ++fit_calls_;
  FitReport report;
  report.validation_loss.assign(offsets_.size(), 0.0);
  report.epochs.assign(offsets_.size(), 0);
  report.elites = elites();
  return report;
}

absl::StatusOr<at::Tensor> TaggedShiftModel::PredictGrouped(absl::Span<const int64_t> members,
                                                            const at::Tensor& observations,
                                                            const at::Tensor& actions,
                                                            at::Generator* noise) const {
  std::vector<at::Tensor> groups;
  for (size_t g = 0; g < members.size(); ++g) {
    const int64_t m = members[g];
    const at::Tensor x = observations[g].select(1, 0) + actions[g].select(1, 0) + offsets_[m];
    groups.push_back(at::stack({x, at::full_like(x, static_cast<float>(m))}, 1));
  }
  return at::stack(groups);
}

absl::Status TaggedShiftModel::Save(v1::ModelSnapshot* snapshot) const {
  return absl::FailedPreconditionError("TaggedShiftModel has no parameters");
}

absl::Status TaggedShiftModel::Load(const v1::ModelSnapshot& snapshot) {
  return absl::FailedPreconditionError("TaggedShiftModel has no parameters");
}

}  // namespace mbrl::learner::testing
