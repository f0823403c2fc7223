// MlpEnsemble: K fully connected networks evaluated in one batched pass over stacked weights
// (every layer is one batched matmul, [K, rows, in] x [K, in, out]), not K modules in a loop.
//
//  - Deterministic head (ME-TRPO, MB-MPO): predicts the normalized state delta, MSE loss.
//  - Probabilistic head (PETS, MBPO): predicts mean and log-variance of the normalized delta;
//    the log-variance is soft-clamped between learned bounds (init max 0.5, min -10),
//      logvar = max - softplus(max - raw);  logvar = min + softplus(logvar - min),
//    and trained with the Gaussian NLL plus 0.01 * (sum(max) - sum(min)).
//  - Inputs (observation ++ action) and targets (next observation - observation) are
//    standardized with statistics recomputed from all the data on every Fit (MB-MPO).
//  - Each member has its own random train/validation split (validation_fraction) and its own
//    data order, optionally a bootstrap resample of its training split; one Adam per member
//    (StackedAdam), so a stopped member stays frozen.
//  - Early stopping: EMA (MB-MPO: per member, an EMA of the validation loss with persistence p,
//    initialised at 1.5x the first loss; the member stops when its EMA increases), PATIENCE
//    (stop when no member improved for `patience` epochs; each member keeps its best weights),
//    or NONE. Elites: the num_elites members with the lowest validation loss.
//  - Optional weight normalization (w = g * v / ||v|| per output unit; MB-MPO).
//  - Predictions s + delta are clipped to +-prediction_clip (MB-MPO: 1000).
//
// Prediction uses weights with the normalizers folded in, computed once per Fit/Load, so a
// model step costs one batched matmul per layer and nothing else of note. Where the CPU has
// one (AVX-512 or AVX2), those matmuls run on packed_gemm's kernel with the weights packed at
// the same time (PackedEnsembleMlp); elsewhere, or with packed_inference off, on the BLAS.
#ifndef MBRL_LEARNER_DYNAMICS_MLP_ENSEMBLE_H_
#define MBRL_LEARNER_DYNAMICS_MLP_ENSEMBLE_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/dynamics/interface.h"
#include "learner/dynamics/packed_mlp.h"
#include "learner/normalizer.h"
#include "learner/stacked_adam.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::learner {

struct MlpEnsembleOptions {
  int64_t ensemble_size = 5;
  int64_t observation_dim = 0;
  int64_t action_dim = 0;
  std::vector<int64_t> hidden = {512, 512};
  v1::Activation activation = v1::RELU;
  v1::DynamicsModelConfig::Head head = v1::DynamicsModelConfig::DETERMINISTIC;
  bool weight_norm = true;
  double learning_rate = 1e-3;
  // L2 penalty weight_decay * sum(w^2) / 2 on every weight matrix (MBPO's form).
  double weight_decay = 0;
  int64_t batch_size = 500;
  int64_t max_epochs = 500;
  double validation_fraction = 0.2;
  v1::DynamicsModelConfig::EarlyStopping early_stopping = v1::DynamicsModelConfig::EMA;
  double ema_persistence = 0.99;
  int64_t patience = 5;
  int64_t num_elites = 0;  // 0 = all members
  double prediction_clip = 1000;
  bool bootstrap = false;
  // PredictGrouped on PackedEnsembleMlp (gemm::BestIsa()'s kernel) where the CPU has one;
  // false: LibTorch's batched matmul (the BLAS). Both give the same predictions up to float
  // rounding.
  bool packed_inference = true;

  // The options of `config` (its defaults where unset) for the given dimensions.
  static MlpEnsembleOptions FromConfig(const v1::DynamicsModelConfig& config,
                                       int64_t observation_dim, int64_t action_dim);
};

class MlpEnsemble final : public DynamicsModel {
 public:
  // INVALID_ARGUMENT for inconsistent options (non-positive sizes, unknown activation, ...).
  // `seed` draws the initial weights and every later data split and order.
  static absl::StatusOr<std::unique_ptr<MlpEnsemble>> Create(const MlpEnsembleOptions& options,
                                                             uint64_t seed);
  ~MlpEnsemble() override;

  int64_t ensemble_size() const override { return options_.ensemble_size; }
  int64_t observation_dim() const override { return options_.observation_dim; }
  int64_t action_dim() const override { return options_.action_dim; }
  std::vector<int64_t> elites() const override { return elites_; }

  absl::StatusOr<FitReport> Fit(const TransitionData& data) override;
  // Fit for at most `max_epochs` epochs (>= 1) instead of options().max_epochs, warm-started
  // like every Fit: what a learner that trains continuously and publishes often calls. A
  // member that ran fewer epochs than `max_epochs` (FitReport::epochs) was stopped by the
  // early-stopping rule.
  absl::StatusOr<FitReport> FitForEpochs(const TransitionData& data, int64_t max_epochs);
  absl::StatusOr<at::Tensor> PredictGrouped(absl::Span<const int64_t> members,
                                            const at::Tensor& observations,
                                            const at::Tensor& actions,
                                            at::Generator* noise) const override;
  void Reinitialize(uint64_t seed) override;
  absl::Status Save(v1::ModelSnapshot* snapshot) const override;
  absl::Status Load(const v1::ModelSnapshot& snapshot) override;

  // The training state Save() leaves out, for checkpoints that resume training exactly: Adam's
  // moments and step counts ("adam.m.<parameter>", "adam.v.<parameter>", "adam.steps") and the
  // generator that draws data splits, orders and re-initialisations ("generator"). Load it
  // after Load(snapshot). INVALID_ARGUMENT if a name, shape or dtype differs from this model's;
  // nothing changes then.
  absl::Status SaveTrainingState(v1::ParameterSet* state) const;
  absl::Status LoadTrainingState(const v1::ParameterSet& state);

  // The raw network output for normalized inputs x [K, rows, obs_dim + act_dim]:
  // [K, rows, obs_dim] (deterministic) or [K, rows, 2 * obs_dim] (mean ++ raw log-variance),
  // member k computing row block k. Differentiable in parameters(). For tests and tools.
  at::Tensor ForwardNormalized(const at::Tensor& x) const;

  // Trainable parameters, stacked per member ([K, ...]), and their snapshot names.
  const std::vector<at::Tensor>& parameters() const { return parameters_; }
  const std::vector<std::string>& parameter_names() const { return names_; }
  const Normalizer& input_normalizer() const { return input_normalizer_; }
  const Normalizer& target_normalizer() const { return target_normalizer_; }
  const MlpEnsembleOptions& options() const { return options_; }

 private:
  // Per layer: effective weight [K, in, out] and bias [K, 1, out].
  struct Layer {
    at::Tensor weight;
    at::Tensor bias;
  };
  // Prediction weights with the normalizers folded into the first and last layers.
  // One of `packed` (the kernel's) and `layers` (the BLAS path's) is set.
  struct PredictionWeights {
    std::optional<PackedEnsembleMlp> packed;
    std::vector<Layer> layers;
    at::Tensor target_std;  // [obs_dim] (probabilistic sampling scale)
  };

  MlpEnsemble(MlpEnsembleOptions options, uint64_t seed);
  void InitializeParameters();
  std::vector<Layer> EffectiveLayers() const;
  at::Tensor Activate(const at::Tensor& x) const;
  void ActivateInPlace(at::Tensor& x) const;  // no autograd: prediction only
  // Soft-clamped log-variance of raw outputs [K, rows, obs_dim].
  at::Tensor BoundedLogVariance(const at::Tensor& raw) const;
  // Per-member training loss [K] of normalized inputs/targets [K, rows, *].
  at::Tensor TrainingLoss(const at::Tensor& x, const at::Tensor& y) const;
  // Per-member validation MSE [K]; member k evaluates rows index[k] (int64 [K, n]).
  at::Tensor ValidationLoss(const at::Tensor& inputs, const at::Tensor& targets,
                            const at::Tensor& index) const;
  void RefreshPredictionWeights();
  absl::StatusOr<FitReport> FitImpl(const TransitionData& data, int64_t max_epochs);
  // The names of SaveTrainingState's optimizer tensors, in StackedAdam::StateTensors() order.
  std::vector<std::string> OptimizerStateNames() const;

  MlpEnsembleOptions options_;
  at::Generator generator_;
  std::vector<at::Tensor> parameters_;
  std::vector<std::string> names_;
  // Indices into parameters_ per layer: weight (or weight_v), weight_g (-1 without weight
  // norm), bias.
  struct LayerIndex {
    int weight = -1;
    int gain = -1;
    int bias = -1;
  };
  std::vector<LayerIndex> layer_index_;
  int max_logvar_ = -1;  // probabilistic head only
  int min_logvar_ = -1;
  std::unique_ptr<StackedAdam> optimizer_;
  Normalizer input_normalizer_;
  Normalizer target_normalizer_;
  std::vector<double> validation_loss_;
  std::vector<int64_t> elites_;
  uint64_t trained_on_ = 0;
  PredictionWeights prediction_;
};

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_DYNAMICS_MLP_ENSEMBLE_H_
