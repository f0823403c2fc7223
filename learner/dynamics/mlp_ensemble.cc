#include "learner/dynamics/mlp_ensemble.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "learner/parameters.h"
#include "learner/torch_errors.h"

namespace mbrl::learner {
namespace {

using Config = v1::DynamicsModelConfig;

// Chooses a or b per member (first dimension) by `mask` (bool [K]).
at::Tensor SelectMembers(const at::Tensor& mask, const at::Tensor& a, const at::Tensor& b) {
  std::vector<int64_t> shape(a.dim(), 1);
  shape[0] = a.size(0);
  return at::where(mask.view(shape), a, b);
}

absl::Status CheckOptions(const MlpEnsembleOptions& o) {
  auto fail = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("MlpEnsemble: ", parts...));
  };
  if (o.ensemble_size < 1) return fail("ensemble_size must be >= 1");
  if (o.observation_dim < 1 || o.action_dim < 1) {
    return fail("observation_dim and action_dim must be >= 1");
  }
  if (o.hidden.empty()) return fail("at least one hidden layer is needed");
  for (int64_t units : o.hidden) {
    if (units < 1) return fail("hidden layer sizes must be >= 1");
  }
  if (o.activation != v1::RELU && o.activation != v1::TANH && o.activation != v1::SWISH) {
    return fail("unknown activation ", o.activation);
  }
  if (o.head != Config::DETERMINISTIC && o.head != Config::PROBABILISTIC) {
    return fail("unknown head ", o.head);
  }
  if (!(o.learning_rate > 0)) return fail("learning_rate must be > 0");
  if (o.weight_decay < 0) return fail("weight_decay must be >= 0");
  if (o.batch_size < 1 || o.max_epochs < 1) return fail("batch_size and max_epochs must be >= 1");
  if (!(o.validation_fraction > 0 && o.validation_fraction < 1)) {
    return fail("validation_fraction must be in (0, 1)");
  }
  if (o.early_stopping != Config::EMA && o.early_stopping != Config::PATIENCE &&
      o.early_stopping != Config::NONE) {
    return fail("unknown early_stopping ", o.early_stopping);
  }
  if (!(o.ema_persistence >= 0 && o.ema_persistence < 1)) {
    return fail("ema_persistence must be in [0, 1)");
  }
  if (o.patience < 1) return fail("patience must be >= 1");
  if (o.num_elites < 0 || o.num_elites > o.ensemble_size) {
    return fail("num_elites must be in [0, ensemble_size]");
  }
  if (!(o.prediction_clip > 0)) return fail("prediction_clip must be > 0");
  return absl::OkStatus();
}

}  // namespace

MlpEnsembleOptions MlpEnsembleOptions::FromConfig(const v1::DynamicsModelConfig& config,
                                                  int64_t observation_dim, int64_t action_dim) {
  MlpEnsembleOptions o;
  o.ensemble_size = config.ensemble_size();
  o.observation_dim = observation_dim;
  o.action_dim = action_dim;
  o.hidden.assign(config.hidden_layers(), config.hidden_units());
  o.activation = config.activation();
  o.head = config.head();
  o.weight_norm = config.weight_norm();
  o.learning_rate = config.learning_rate();
  o.weight_decay = config.weight_decay();
  o.batch_size = config.batch_size();
  o.max_epochs = config.max_epochs();
  o.validation_fraction = config.validation_fraction();
  o.early_stopping = config.early_stopping();
  o.ema_persistence = config.ema_persistence();
  o.patience = config.patience();
  o.num_elites = config.num_elites();
  o.prediction_clip = config.prediction_clip();
  o.bootstrap = config.bootstrap();
  return o;
}

absl::StatusOr<std::unique_ptr<MlpEnsemble>> MlpEnsemble::Create(const MlpEnsembleOptions& options,
                                                                 uint64_t seed) {
  MBRL_RETURN_IF_ERROR(CheckOptions(options));
  return CallTorch("MlpEnsemble::Create",
                   [&] { return std::unique_ptr<MlpEnsemble>(new MlpEnsemble(options, seed)); });
}

MlpEnsemble::MlpEnsemble(MlpEnsembleOptions options, uint64_t seed)
    : options_(std::move(options)),
      generator_(at::detail::createCPUGenerator(seed)),
      input_normalizer_(Normalizer::Identity(options_.observation_dim + options_.action_dim)),
      target_normalizer_(Normalizer::Identity(options_.observation_dim)) {
  const int64_t k = options_.ensemble_size;
  std::vector<int64_t> dims = {options_.observation_dim + options_.action_dim};
  dims.insert(dims.end(), options_.hidden.begin(), options_.hidden.end());
  const bool probabilistic = options_.head == Config::PROBABILISTIC;
  dims.push_back(probabilistic ? 2 * options_.observation_dim : options_.observation_dim);
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    parameters_.push_back(at::zeros(shape, at::kFloat).requires_grad_(true));
    names_.push_back(std::move(name));
    return static_cast<int>(parameters_.size() - 1);
  };
  for (size_t l = 0; l + 1 < dims.size(); ++l) {
    const std::string prefix = absl::StrCat("layers.", l, ".");
    LayerIndex index;
    if (options_.weight_norm) {
      index.weight = add(prefix + "weight_v", {k, dims[l], dims[l + 1]});
      index.gain = add(prefix + "weight_g", {k, 1, dims[l + 1]});
    } else {
      index.weight = add(prefix + "weight", {k, dims[l], dims[l + 1]});
    }
    index.bias = add(prefix + "bias", {k, 1, dims[l + 1]});
    layer_index_.push_back(index);
  }
  if (probabilistic) {
    max_logvar_ = add("max_logvar", {k, 1, options_.observation_dim});
    min_logvar_ = add("min_logvar", {k, 1, options_.observation_dim});
  }
  InitializeParameters();
  optimizer_ = std::make_unique<StackedAdam>(parameters_, k,
                                             AdamOptions{.learning_rate = options_.learning_rate});
  validation_loss_.assign(k, std::numeric_limits<double>::quiet_NaN());
  elites_.resize(k);
  std::iota(elites_.begin(), elites_.end(), 0);
  RefreshPredictionWeights();
}

MlpEnsemble::~MlpEnsemble() = default;

void MlpEnsemble::InitializeParameters() {
  at::NoGradGuard no_grad;
  // PyTorch's nn.Linear initialisation: weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  for (const LayerIndex& index : layer_index_) {
    at::Tensor weight = parameters_[index.weight];
    const double bound = 1.0 / std::sqrt(static_cast<double>(weight.size(1)));
    weight.copy_(at::rand(weight.sizes(), generator_, at::kFloat) * (2 * bound) - bound);
    at::Tensor bias = parameters_[index.bias];
    bias.copy_(at::rand(bias.sizes(), generator_, at::kFloat) * (2 * bound) - bound);
    if (index.gain >= 0) {
      // g = ||v||, so the initial effective weight is v itself.
      parameters_[index.gain].copy_(weight.norm(2, {1}, /*keepdim=*/true));
    }
  }
  if (max_logvar_ >= 0) {
    parameters_[max_logvar_].fill_(0.5);
    parameters_[min_logvar_].fill_(-10.0);
  }
}

void MlpEnsemble::Reinitialize(uint64_t seed) {
  generator_ = at::detail::createCPUGenerator(seed);
  InitializeParameters();
  optimizer_->Reset();
  RefreshPredictionWeights();
}

std::vector<MlpEnsemble::Layer> MlpEnsemble::EffectiveLayers() const {
  std::vector<Layer> layers;
  layers.reserve(layer_index_.size());
  for (const LayerIndex& index : layer_index_) {
    const at::Tensor& v = parameters_[index.weight];
    at::Tensor weight =
        index.gain >= 0 ? parameters_[index.gain] * v / v.norm(2, {1}, /*keepdim=*/true) : v;
    layers.push_back({std::move(weight), parameters_[index.bias]});
  }
  return layers;
}

at::Tensor MlpEnsemble::Activate(const at::Tensor& x) const {
  switch (options_.activation) {
    case v1::TANH:
      return at::tanh(x);
    case v1::SWISH:
      return at::silu(x);
    default:
      return at::relu(x);
  }
}

void MlpEnsemble::ActivateInPlace(at::Tensor& x) const {
  switch (options_.activation) {
    case v1::TANH:
      x.tanh_();
      break;
    case v1::SWISH:
      at::silu_(x);
      break;
    default:
      x.relu_();
      break;
  }
}

at::Tensor MlpEnsemble::BoundedLogVariance(const at::Tensor& raw) const {
  const at::Tensor& max_logvar = parameters_[max_logvar_];
  const at::Tensor& min_logvar = parameters_[min_logvar_];
  at::Tensor logvar = max_logvar - at::softplus(max_logvar - raw);
  return min_logvar + at::softplus(logvar - min_logvar);
}

at::Tensor MlpEnsemble::ForwardNormalized(const at::Tensor& x) const {
  const std::vector<Layer> layers = EffectiveLayers();
  at::Tensor h = x;
  for (size_t l = 0; l < layers.size(); ++l) {
    h = at::baddbmm(layers[l].bias, h, layers[l].weight);
    if (l + 1 < layers.size()) h = Activate(h);
  }
  return h;
}

at::Tensor MlpEnsemble::TrainingLoss(const at::Tensor& x, const at::Tensor& y) const {
  const int64_t obs_dim = options_.observation_dim;
  const at::Tensor out = ForwardNormalized(x);
  at::Tensor loss;
  if (options_.head == Config::PROBABILISTIC) {
    const at::Tensor mean = out.narrow(2, 0, obs_dim);
    const at::Tensor logvar = BoundedLogVariance(out.narrow(2, obs_dim, obs_dim));
    loss = ((mean - y).square() * at::exp(-logvar) + logvar).mean({1, 2}) +
           0.01 * (parameters_[max_logvar_].sum({1, 2}) - parameters_[min_logvar_].sum({1, 2}));
  } else {
    loss = (out - y).square().mean({1, 2});
  }
  if (options_.weight_decay > 0) {
    for (const Layer& layer : EffectiveLayers()) {
      loss = loss + 0.5 * options_.weight_decay * layer.weight.square().sum({1, 2});
    }
  }
  return loss;
}

at::Tensor MlpEnsemble::ValidationLoss(const at::Tensor& inputs, const at::Tensor& targets,
                                       const at::Tensor& index) const {
  at::NoGradGuard no_grad;
  const int64_t k = options_.ensemble_size;
  const int64_t rows = index.size(1);
  constexpr int64_t kChunk = 4096;
  at::Tensor total = at::zeros({k}, at::kDouble);
  for (int64_t start = 0; start < rows; start += kChunk) {
    const int64_t count = std::min(kChunk, rows - start);
    const at::Tensor flat = index.narrow(1, start, count).reshape({-1});
    const at::Tensor x = inputs.index_select(0, flat).view({k, count, -1});
    const at::Tensor y = targets.index_select(0, flat).view({k, count, -1});
    const at::Tensor mean = ForwardNormalized(x).narrow(2, 0, options_.observation_dim);
    total += (mean - y).square().sum({1, 2}).to(at::kDouble);
  }
  return total / static_cast<double>(rows * options_.observation_dim);
}

absl::StatusOr<FitReport> MlpEnsemble::Fit(const TransitionData& data) {
  return FitForEpochs(data, options_.max_epochs);
}

absl::StatusOr<FitReport> MlpEnsemble::FitForEpochs(const TransitionData& data,
                                                    int64_t max_epochs) {
  if (max_epochs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("MlpEnsemble::FitForEpochs: max_epochs must be >= 1, got ", max_epochs));
  }
  MBRL_RETURN_IF_ERROR(ValidateTransitions(data, options_.observation_dim, options_.action_dim,
                                           /*min_rows=*/2));
  return CallTorch("MlpEnsemble::Fit", [&] { return FitImpl(data, max_epochs); });
}

absl::StatusOr<FitReport> MlpEnsemble::FitImpl(const TransitionData& data, int64_t max_epochs) {
  const int64_t k = options_.ensemble_size;
  const int64_t n = data.size();
  const int64_t obs_dim = options_.observation_dim;
  const at::Tensor inputs_raw = at::cat({data.observations, data.actions}, 1);
  const at::Tensor targets_raw = data.next_observations - data.observations;
  MBRL_ASSIGN_OR_RETURN(Normalizer input_normalizer, Normalizer::Fit(inputs_raw));
  MBRL_ASSIGN_OR_RETURN(Normalizer target_normalizer, Normalizer::Fit(targets_raw));
  const at::Tensor inputs = input_normalizer.Normalize(inputs_raw).contiguous();
  const at::Tensor targets = target_normalizer.Normalize(targets_raw).contiguous();

  // 1. Each member's own train/validation split (and bootstrap resample).
  const int64_t validation_rows = std::clamp<int64_t>(
      std::llround(static_cast<double>(n) * options_.validation_fraction), 1, n - 1);
  const int64_t train_rows = n - validation_rows;
  const at::Tensor permutation =
      at::argsort(at::rand({k, n}, generator_), /*dim=*/int64_t{1}, /*descending=*/false);
  const at::Tensor validation_index = permutation.narrow(1, 0, validation_rows).contiguous();
  at::Tensor train_index = permutation.narrow(1, validation_rows, train_rows).contiguous();
  if (options_.bootstrap) {
    train_index = train_index.gather(1, at::randint(train_rows, {k, train_rows}, generator_));
  }

  // 2. Epochs of minibatch Adam, each member in its own order, with early stopping.
  at::Tensor active = at::ones({k}, at::kBool);
  std::vector<int64_t> epochs(k, 0);
  std::vector<double> last_train_loss(k, 0);
  std::vector<double> final_loss(k, std::numeric_limits<double>::infinity());
  std::vector<double> ema(k, 0), ema_previous(k, 0);
  std::vector<at::Tensor> best_parameters;
  if (options_.early_stopping == Config::PATIENCE) best_parameters = CloneDetached(parameters_);
  int64_t epochs_without_improvement = 0;

  for (int64_t epoch = 0; epoch < max_epochs; ++epoch) {
    const at::Tensor order = at::argsort(at::rand({k, train_rows}, generator_), /*dim=*/int64_t{1},
                                         /*descending=*/false);
    const at::Tensor epoch_index = train_index.gather(1, order);
    const at::Tensor active_weight = active.to(at::kFloat);
    at::Tensor loss_sum = at::zeros({k}, at::kDouble);
    for (int64_t start = 0; start < train_rows; start += options_.batch_size) {
      const int64_t rows = std::min(options_.batch_size, train_rows - start);
      const at::Tensor flat = epoch_index.narrow(1, start, rows).reshape({-1});
      const at::Tensor x = inputs.index_select(0, flat).view({k, rows, -1});
      const at::Tensor y = targets.index_select(0, flat).view({k, rows, obs_dim});
      const at::Tensor loss = TrainingLoss(x, y);
      (loss * active_weight).sum().backward();
      optimizer_->Step(active);
      for (at::Tensor& parameter : parameters_) parameter.mutable_grad() = at::Tensor();
      loss_sum += loss.detach().to(at::kDouble) * rows;
    }
    const std::vector<bool> was_active = [&] {
      std::vector<bool> flags(k);
      for (int64_t m = 0; m < k; ++m) flags[m] = active[m].item<bool>();
      return flags;
    }();
    for (int64_t m = 0; m < k; ++m) {
      if (!was_active[m]) continue;
      ++epochs[m];
      last_train_loss[m] = loss_sum[m].item<double>() / static_cast<double>(train_rows);
    }
    const at::Tensor validation = ValidationLoss(inputs, targets, validation_index);
    switch (options_.early_stopping) {
      case Config::EMA: {
        const double p = options_.ema_persistence;
        for (int64_t m = 0; m < k; ++m) {
          if (!was_active[m]) continue;
          const double loss = validation[m].item<double>();
          final_loss[m] = loss;
          if (epoch == 0) {
            ema[m] = 1.5 * loss;
            ema_previous[m] = 2.0 * loss;
          }
          ema[m] = p * ema[m] + (1 - p) * loss;
          if (ema_previous[m] < ema[m]) active[m] = false;
          ema_previous[m] = ema[m];
        }
        break;
      }
      case Config::PATIENCE: {
        at::Tensor improved = at::zeros({k}, at::kBool);
        for (int64_t m = 0; m < k; ++m) {
          const double loss = validation[m].item<double>();
          if (loss < final_loss[m]) {
            final_loss[m] = loss;
            improved[m] = true;
          }
        }
        if (improved.any().item<bool>()) {
          at::NoGradGuard no_grad;
          for (size_t i = 0; i < parameters_.size(); ++i) {
            best_parameters[i] =
                SelectMembers(improved, parameters_[i].detach(), best_parameters[i]);
          }
          epochs_without_improvement = 0;
        } else if (++epochs_without_improvement >= options_.patience) {
          active.fill_(false);
        }
        break;
      }
      default:
        for (int64_t m = 0; m < k; ++m) final_loss[m] = validation[m].item<double>();
        break;
    }
    if (!active.any().item<bool>()) break;
  }
  if (options_.early_stopping == Config::PATIENCE) AssignTensors(best_parameters, parameters_);

  // 3. Elites, normalizers, prediction weights.
  std::vector<int64_t> by_loss(k);
  std::iota(by_loss.begin(), by_loss.end(), 0);
  std::stable_sort(by_loss.begin(), by_loss.end(),
                   [&](int64_t a, int64_t b) { return final_loss[a] < final_loss[b]; });
  const int64_t elite_count = options_.num_elites > 0 ? options_.num_elites : k;
  elites_.assign(by_loss.begin(), by_loss.begin() + elite_count);
  std::sort(elites_.begin(), elites_.end());
  input_normalizer_ = std::move(input_normalizer);
  target_normalizer_ = std::move(target_normalizer);
  validation_loss_ = final_loss;
  trained_on_ = static_cast<uint64_t>(n);
  RefreshPredictionWeights();

  FitReport report;
  report.validation_loss = final_loss;
  report.epochs = epochs;
  report.train_loss = std::accumulate(last_train_loss.begin(), last_train_loss.end(), 0.0) / k;
  report.elites = elites_;
  return report;
}

void MlpEnsemble::RefreshPredictionWeights() {
  at::NoGradGuard no_grad;
  const int64_t obs_dim = options_.observation_dim;
  std::vector<Layer> layers = EffectiveLayers();
  for (Layer& layer : layers) {
    layer.weight = layer.weight.detach().clone();
    layer.bias = layer.bias.detach().clone();
  }
  // First layer: ((x - mean) / std) W + b = x (W / std) + (b - (mean / std) W).
  const at::Tensor in_mean = input_normalizer_.mean();
  const at::Tensor in_std = input_normalizer_.std();
  Layer& first = layers.front();
  first.bias = first.bias - at::matmul((in_mean / in_std).view({1, 1, -1}), first.weight);
  first.weight = (first.weight / in_std.view({1, -1, 1})).contiguous();
  // Last layer, mean columns: denormalize the delta, out * std + mean.
  Layer& last = layers.back();
  const at::Tensor t_mean = target_normalizer_.mean().view({1, 1, -1});
  const at::Tensor t_std = target_normalizer_.std().view({1, 1, -1});
  at::Tensor weight = last.weight.narrow(2, 0, obs_dim) * t_std;
  at::Tensor bias = last.bias.narrow(2, 0, obs_dim) * t_std + t_mean;
  if (options_.head == Config::PROBABILISTIC) {
    weight = at::cat({weight, last.weight.narrow(2, obs_dim, obs_dim)}, 2);
    bias = at::cat({bias, last.bias.narrow(2, obs_dim, obs_dim)}, 2);
  }
  last.weight = weight.contiguous();
  last.bias = bias.contiguous();
  prediction_.packed.reset();
  prediction_.layers.clear();
  const std::optional<gemm::Isa> isa = gemm::BestIsa();
  if (options_.packed_inference && isa.has_value()) {
    std::vector<PackedEnsembleMlp::Layer> to_pack;
    for (const Layer& layer : layers) to_pack.push_back({layer.weight, layer.bias});
    absl::StatusOr<PackedEnsembleMlp> packed =
        PackedEnsembleMlp::Create(to_pack, options_.activation, *isa);
    TORCH_CHECK(packed.ok(), packed.status().ToString());  // options were checked in Create
    prediction_.packed = *std::move(packed);
  } else {
    prediction_.layers = std::move(layers);
  }
  prediction_.target_std = target_normalizer_.std().clone();
}

absl::StatusOr<at::Tensor> MlpEnsemble::PredictGrouped(absl::Span<const int64_t> members,
                                                       const at::Tensor& observations,
                                                       const at::Tensor& actions,
                                                       at::Generator* noise) const {
  const int64_t k = options_.ensemble_size;
  const int64_t groups = static_cast<int64_t>(members.size());
  if (groups < 1) return absl::InvalidArgumentError("PredictGrouped: no members given");
  for (int64_t member : members) {
    if (member < 0 || member >= k) {
      return absl::InvalidArgumentError(
          absl::StrCat("PredictGrouped: member ", member, " is not in [0, ", k, ")"));
    }
  }
  const auto shape_ok = [&](const at::Tensor& t, int64_t width) {
    return t.defined() && t.scalar_type() == at::kFloat && t.dim() == 3 && t.size(0) == groups &&
           t.size(1) == observations.size(1) && t.size(2) == width;
  };
  if (!shape_ok(observations, options_.observation_dim) ||
      !shape_ok(actions, options_.action_dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PredictGrouped: expected float32 observations [", groups, ", n, ",
        options_.observation_dim, "] and actions [", groups, ", n, ", options_.action_dim,
        "], got ", observations.defined() ? c10::str(observations.sizes()) : "none", " and ",
        actions.defined() ? c10::str(actions.sizes()) : "none"));
  }
  return CallTorch("MlpEnsemble::PredictGrouped", [&]() -> at::Tensor {
    at::NoGradGuard no_grad;
    bool identity = groups == k;
    for (int64_t g = 0; identity && g < groups; ++g) identity = members[g] == g;
    // Made on first use: the packed deterministic path (every imagination step) needs none.
    at::Tensor index;
    const auto pick = [&](const at::Tensor& t) {
      if (identity) return t;
      if (!index.defined()) {
        index = at::tensor(std::vector<int64_t>(members.begin(), members.end()), at::kLong);
      }
      return t.index_select(0, index);
    };

    at::Tensor h = at::cat({observations, actions}, 2);
    if (prediction_.packed.has_value()) {
      h = prediction_.packed->Forward(members, h);
    } else {
      const std::vector<Layer>& layers = prediction_.layers;
      for (size_t l = 0; l < layers.size(); ++l) {
        h = at::baddbmm(pick(layers[l].bias), h, pick(layers[l].weight));
        if (l + 1 < layers.size()) ActivateInPlace(h);
      }
    }
    const int64_t obs_dim = options_.observation_dim;
    at::Tensor next;
    if (options_.head == Config::PROBABILISTIC) {
      next = observations + h.narrow(2, 0, obs_dim);
      if (noise != nullptr) {
        const at::Tensor max_logvar = pick(parameters_[max_logvar_].detach());
        const at::Tensor min_logvar = pick(parameters_[min_logvar_].detach());
        at::Tensor logvar = max_logvar - at::softplus(max_logvar - h.narrow(2, obs_dim, obs_dim));
        logvar = min_logvar + at::softplus(logvar - min_logvar);
        const at::Tensor std = at::exp(0.5 * logvar) * prediction_.target_std;
        next = next + std * at::randn(next.sizes(), *noise, at::kFloat);
      }
    } else {
      next = h.add_(observations);
    }
    return next.clamp_(-options_.prediction_clip, options_.prediction_clip);
  });
}

absl::Status MlpEnsemble::Save(v1::ModelSnapshot* snapshot) const {
  return CallTorch("MlpEnsemble::Save", [&]() -> absl::Status {
    MBRL_RETURN_IF_ERROR(WriteParameterSet(names_, parameters_, snapshot->mutable_parameters()));
    MBRL_RETURN_IF_ERROR(input_normalizer_.ToProto(&(*snapshot->mutable_normalizers())["input"]));
    MBRL_RETURN_IF_ERROR(target_normalizer_.ToProto(&(*snapshot->mutable_normalizers())["target"]));
    snapshot->set_trained_on_transitions(trained_on_);
    snapshot->clear_validation_loss();
    for (double loss : validation_loss_) snapshot->add_validation_loss(static_cast<float>(loss));
    snapshot->clear_elites();
    for (int64_t elite : elites_) snapshot->add_elites(static_cast<uint32_t>(elite));
    return absl::OkStatus();
  });
}

absl::Status MlpEnsemble::Load(const v1::ModelSnapshot& snapshot) {
  const int64_t k = options_.ensemble_size;
  const auto& normalizers = snapshot.normalizers();
  if (!normalizers.contains("input") || !normalizers.contains("target")) {
    return absl::InvalidArgumentError("model snapshot lacks the 'input' or 'target' normalizer");
  }
  if (snapshot.validation_loss_size() != 0 && snapshot.validation_loss_size() != k) {
    return absl::InvalidArgumentError(absl::StrCat("model snapshot has ",
                                                   snapshot.validation_loss_size(),
                                                   " validation losses for ", k, " members"));
  }
  std::vector<int64_t> elites;
  for (uint32_t elite : snapshot.elites()) {
    if (elite >= k) {
      return absl::InvalidArgumentError(
          absl::StrCat("model snapshot elite ", elite, " is not a member (", k, " members)"));
    }
    elites.push_back(elite);
  }
  if (elites.empty()) {
    elites.resize(k);
    std::iota(elites.begin(), elites.end(), 0);
  }
  std::sort(elites.begin(), elites.end());
  return CallTorch("MlpEnsemble::Load", [&]() -> absl::Status {
    MBRL_ASSIGN_OR_RETURN(Normalizer input,
                          Normalizer::FromProto(normalizers.at("input"),
                                                options_.observation_dim + options_.action_dim));
    MBRL_ASSIGN_OR_RETURN(Normalizer target, Normalizer::FromProto(normalizers.at("target"),
                                                                   options_.observation_dim));
    MBRL_RETURN_IF_ERROR(ReadParameterSet(snapshot.parameters(), names_, parameters_));
    input_normalizer_ = std::move(input);
    target_normalizer_ = std::move(target);
    validation_loss_.assign(k, std::numeric_limits<double>::quiet_NaN());
    for (int i = 0; i < snapshot.validation_loss_size(); ++i) {
      validation_loss_[i] = snapshot.validation_loss(i);
    }
    elites_ = std::move(elites);
    trained_on_ = snapshot.trained_on_transitions();
    RefreshPredictionWeights();
    return absl::OkStatus();
  });
}

std::vector<std::string> MlpEnsemble::OptimizerStateNames() const {
  std::vector<std::string> names;
  for (const char* moment : {"adam.m.", "adam.v."}) {
    for (const std::string& name : names_) names.push_back(moment + name);
  }
  names.push_back("adam.steps");
  return names;
}

absl::Status MlpEnsemble::SaveTrainingState(v1::ParameterSet* state) const {
  return CallTorch("MlpEnsemble::SaveTrainingState", [&]() -> absl::Status {
    state->Clear();
    MBRL_RETURN_IF_ERROR(
        WriteParameterSet(OptimizerStateNames(), optimizer_->StateTensors(), state));
    const std::vector<std::string> generator_name = {"generator"};
    return WriteParameterSet(generator_name, {generator_.get_state()}, state);
  });
}

absl::Status MlpEnsemble::LoadTrainingState(const v1::ParameterSet& state) {
  return CallTorch("MlpEnsemble::LoadTrainingState", [&]() -> absl::Status {
    // Decode into scratch tensors first so that an error changes nothing.
    const std::vector<at::Tensor> live = optimizer_->StateTensors();
    std::vector<at::Tensor> scratch;
    for (const at::Tensor& tensor : live) scratch.push_back(at::empty_like(tensor));
    scratch.push_back(at::empty_like(generator_.get_state()));
    std::vector<std::string> names = OptimizerStateNames();
    names.push_back("generator");
    MBRL_RETURN_IF_ERROR(ReadParameterSet(state, names, scratch));
    // A fresh generator, not generator_.clone(): LibTorch 1.13's GeneratorImpl::clone() takes
    // one reference too many, so the clone is never freed (LeakSanitizer sees it).
    at::Generator restored = at::detail::createCPUGenerator();
    restored.set_state(scratch.back());
    scratch.pop_back();
    AssignTensors(scratch, live);
    generator_ = std::move(restored);
    return absl::OkStatus();
  });
}

}  // namespace mbrl::learner
