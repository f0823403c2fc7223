// Small exact stand-ins for learner tests: a 1-D environment with its batched functions, and
// a dynamics "model" with known, member-dependent predictions. Test-only.
#ifndef MBRL_LEARNER_TESTING_FAKES_H_
#define MBRL_LEARNER_TESTING_FAKES_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "actors/envs/batched_functions.h"
#include "actors/envs/interface.h"
#include "learner/dynamics/interface.h"

namespace mbrl::learner::testing {

// LineEnv: observation [x], action [a] in [-1, 1]; x' = x + a; reward -(x')^2; terminates when
// |x'| > `limit`. Reset draws x uniformly from [-1, 1] (a function of the seed alone).
class LineEnv final : public envs::Env {
 public:
  explicit LineEnv(int horizon, float limit = 1e9f);

 protected:
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  float limit_;
  float x_ = 0;
};

// LineEnv's reward and termination, batched.
class LineFunctions final : public envs::BatchedEnvFunctions {
 public:
  explicit LineFunctions(float limit = 1e9f) : limit_(limit) {}
  at::Tensor Reward(const at::Tensor& observations, const at::Tensor& actions,
                    const at::Tensor& next_observations) const override;
  at::Tensor Terminated(const at::Tensor& next_observations) const override;

 private:
  float limit_;
};

// A deterministic "ensemble" over observations [x, tag] and actions [a]: member m predicts
// x' = x + a + offsets[m] and tag' = m, so a test can read which member predicted a row.
class TaggedShiftModel final : public DynamicsModel {
 public:
  explicit TaggedShiftModel(std::vector<float> offsets);

  int64_t ensemble_size() const override { return static_cast<int64_t>(offsets_.size()); }
  int64_t observation_dim() const override { return 2; }
  int64_t action_dim() const override { return 1; }
  std::vector<int64_t> elites() const override;
  // Counts calls; learns nothing.
  absl::StatusOr<FitReport> Fit(const TransitionData& data) override;
  absl::StatusOr<at::Tensor> PredictGrouped(absl::Span<const int64_t> members,
                                            const at::Tensor& observations,
                                            const at::Tensor& actions,
                                            at::Generator* noise) const override;
  void Reinitialize(uint64_t seed) override {}
  // The fake has no parameters: FAILED_PRECONDITION.
  absl::Status Save(v1::ModelSnapshot* snapshot) const override;
  absl::Status Load(const v1::ModelSnapshot& snapshot) override;

  int fit_calls() const { return fit_calls_; }

 private:
  std::vector<float> offsets_;
  int fit_calls_ = 0;
};

}  // namespace mbrl::learner::testing

#endif  // MBRL_LEARNER_TESTING_FAKES_H_
