// The dynamics-model extension point: `DynamicsModel`, an ensemble of K learned models
// s' = f_k(s, a) that the model learner fits on real transitions and imagination rolls out.
//
// Implementations live in this folder (one file triple each) and pass the shared conformance
// test (conformance_test.cc). LibTorch stays out of this header's includes except
// ATen/core/Tensor.h.
#ifndef MBRL_LEARNER_DYNAMICS_INTERFACE_H_
#define MBRL_LEARNER_DYNAMICS_INTERFACE_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mbrl/v1/snapshot.pb.h"

namespace mbrl::learner {

// Real transitions, row-aligned float32 CPU tensors.
struct TransitionData {
  at::Tensor observations;       // [N, obs_dim]
  at::Tensor actions;            // [N, act_dim], as applied (clipped to the action bounds)
  at::Tensor next_observations;  // [N, obs_dim]

  int64_t size() const { return observations.defined() ? observations.size(0) : 0; }
};

// OK if `data` has the shapes above (N >= min_rows), float32 and only finite values;
// INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateTransitions(const TransitionData& data, int64_t observation_dim,
                                 int64_t action_dim, int64_t min_rows = 1);

// What one Fit did.
struct FitReport {
  // Per member: validation loss (MSE of the mean prediction of the normalized state delta on
  // the member's held-out split) of the weights kept, and the epochs it trained.
  std::vector<double> validation_loss;
  std::vector<int64_t> epochs;
  // Mean training loss of the members in their last trained epoch.
  double train_loss = 0;
  // The elite members after the fit (sorted; all members unless elites are configured).
  std::vector<int64_t> elites;
};

// Thread-compatible: const methods may run concurrently with each other; a mutating method
// (Fit, Load, Reinitialize) needs exclusive access.
class DynamicsModel {
 public:
  virtual ~DynamicsModel() = default;

  virtual int64_t ensemble_size() const = 0;
  virtual int64_t observation_dim() const = 0;
  virtual int64_t action_dim() const = 0;

  // The members imagination should use: the elites if elites are configured, else all
  // (sorted member indices).
  virtual std::vector<int64_t> elites() const = 0;

  // Trains every member on `data` (N >= 2 transitions). Blocks for the whole training.
  // INVALID_ARGUMENT for bad data (nothing changes then); INTERNAL if LibTorch fails.
  virtual absl::StatusOr<FitReport> Fit(const TransitionData& data) = 0;

  // Predicted next observations, float32 [G, n, obs_dim], with row group g predicted by member
  // members[g] (members may repeat). observations [G, n, obs_dim] and actions
  // [G, n, act_dim] are float32, G == members.size() >= 1. `noise` null: the mean prediction;
  // otherwise a probabilistic model samples from its predicted distribution using `noise`
  // (deterministic models ignore it). Predictions are clipped to +-prediction_clip. Records no
  // autograd history. INVALID_ARGUMENT for wrong shapes or member indices.
  virtual absl::StatusOr<at::Tensor> PredictGrouped(absl::Span<const int64_t> members,
                                                    const at::Tensor& observations,
                                                    const at::Tensor& actions,
                                                    at::Generator* noise) const = 0;

  // Draws fresh initial weights (and forgets optimizer state) from `seed`; keeps the
  // normalizers.
  virtual void Reinitialize(uint64_t seed) = 0;

  // Writes the parameters, normalizers ("input", "target"), per-member validation loss,
  // elites and trained-on count into `snapshot` (version and time are the caller's).
  virtual absl::Status Save(v1::ModelSnapshot* snapshot) const = 0;
  // Restores what Save wrote. INVALID_ARGUMENT if names, shapes or dtypes differ from this
  // model's, or a value is not finite; nothing changes then.
  virtual absl::Status Load(const v1::ModelSnapshot& snapshot) = 0;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_DYNAMICS_INTERFACE_H_
