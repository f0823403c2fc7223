#include "learner/dynamics/mlp_ensemble.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::learner {
namespace {

using Config = v1::DynamicsModelConfig;

MlpEnsembleOptions SmallOptions() {
  MlpEnsembleOptions o;
  o.ensemble_size = 3;
  o.observation_dim = 2;
  o.action_dim = 1;
  o.hidden = {16, 16};
  o.batch_size = 64;
  o.max_epochs = 5;
  return o;
}

// s' = s + 0.5 * a (+ noise): an easy system.
TransitionData LinearData(int64_t n, double noise, uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  TransitionData data;
  data.observations = at::randn({n, 2}, generator, at::kFloat);
  data.actions = at::rand({n, 1}, generator, at::kFloat) * 2 - 1;
  data.next_observations =
      data.observations + 0.5 * data.actions + noise * at::randn({n, 2}, generator, at::kFloat);
  return data;
}

std::map<std::string, at::Tensor> ByName(const MlpEnsemble& model) {
  std::map<std::string, at::Tensor> out;
  for (size_t i = 0; i < model.parameters().size(); ++i) {
    out[model.parameter_names()[i]] = model.parameters()[i].detach();
  }
  return out;
}

// Member k's network evaluated alone, from its slices of the stacked parameters.
at::Tensor SeparateForward(const MlpEnsemble& model, int64_t k, const at::Tensor& x) {
  auto p = ByName(model);
  const size_t layers = model.options().hidden.size() + 1;
  at::Tensor h = x;
  for (size_t l = 0; l < layers; ++l) {
    const std::string prefix = "layers." + std::to_string(l) + ".";
    at::Tensor w;
    if (model.options().weight_norm) {
      const at::Tensor v = p[prefix + "weight_v"][k];
      w = p[prefix + "weight_g"][k] * v / v.norm(2, {0}, true);
    } else {
      w = p[prefix + "weight"][k];
    }
    h = at::matmul(h, w) + p[prefix + "bias"][k];
    if (l + 1 < layers) h = at::relu(h);
  }
  return h;
}

class BatchedForwardTest : public ::testing::TestWithParam<std::tuple<bool, Config::Head>> {};

TEST_P(BatchedForwardTest, EqualsKSeparateForwardPasses) {
  MlpEnsembleOptions options = SmallOptions();
  options.weight_norm = std::get<0>(GetParam());
  options.head = std::get<1>(GetParam());
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 11));
  // Train a little so weights (and weight-norm gains) move away from their initialisation.
  MBRL_ASSERT_OK(model->Fit(LinearData(200, 0.1, 1)).status());
  const at::Tensor x = at::randn({3, 7, 3});
  const at::Tensor batched = model->ForwardNormalized(x).detach();
  for (int64_t k = 0; k < 3; ++k) {
    EXPECT_TRUE(at::allclose(batched[k], SeparateForward(*model, k, x[k]), 1e-5, 1e-5)) << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, BatchedForwardTest,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(Config::DETERMINISTIC,
                                                              Config::PROBABILISTIC)));

// Prediction on the packed kernel (where the CPU has one) and on the BLAS.
class PredictGroupedTest : public ::testing::TestWithParam<bool> {
 protected:
  MlpEnsembleOptions Options() const {
    MlpEnsembleOptions o = SmallOptions();
    o.packed_inference = GetParam();
    return o;
  }
};

TEST_P(PredictGroupedTest, FoldsTheNormalizersCorrectly) {
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(Options(), 3));
  TransitionData data = LinearData(300, 0.05, 2);
  data.observations = data.observations * 5 + 3;  // non-trivial normalizers
  data.next_observations = data.next_observations * 5 + 3;
  MBRL_ASSERT_OK(model->Fit(data).status());
  const std::vector<int64_t> members = {2, 0, 2};
  const at::Tensor obs = at::randn({3, 4, 2}) * 5 + 3;
  const at::Tensor act = at::rand({3, 4, 1}) * 2 - 1;
  MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor predicted,
                            model->PredictGrouped(members, obs, act, /*noise=*/nullptr));
  for (int64_t g = 0; g < 3; ++g) {
    const at::Tensor x = model->input_normalizer().Normalize(at::cat({obs[g], act[g]}, 1));
    const at::Tensor out = model->ForwardNormalized(x.unsqueeze(0).expand({3, 4, 3})).detach();
    const at::Tensor expected = obs[g] + model->target_normalizer().Denormalize(out[members[g]]);
    EXPECT_TRUE(at::allclose(predicted[g], expected, 1e-4, 1e-4)) << g;
  }
}

// Both heads, every activation, a member subset: the two paths predict the same, sampled
// predictions included (the same noise is drawn).
TEST_P(PredictGroupedTest, PackedAndBlasPathsAgree) {
  for (Config::Head head : {Config::DETERMINISTIC, Config::PROBABILISTIC}) {
    for (v1::Activation activation : {v1::RELU, v1::TANH, v1::SWISH}) {
      MlpEnsembleOptions options = Options();
      options.head = head;
      options.activation = activation;
      MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 5));
      MBRL_ASSERT_OK(model->Fit(LinearData(300, 0.1, 4)).status());
      options.packed_inference = !GetParam();
      MBRL_ASSERT_OK_AND_ASSIGN(auto other, MlpEnsemble::Create(options, 5));
      v1::ModelSnapshot snapshot;
      MBRL_ASSERT_OK(model->Save(&snapshot));
      MBRL_ASSERT_OK(other->Load(snapshot));
      const at::Tensor obs = at::randn({2, 30, 2});
      const at::Tensor act = at::rand({2, 30, 1}) * 2 - 1;
      for (bool sample : {false, true}) {
        at::Generator a = at::detail::createCPUGenerator(9), b = at::detail::createCPUGenerator(9);
        MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor one,
                                  model->PredictGrouped({2, 1}, obs, act, sample ? &a : nullptr));
        MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor two,
                                  other->PredictGrouped({2, 1}, obs, act, sample ? &b : nullptr));
        EXPECT_TRUE(at::allclose(one, two, 1e-4, 1e-5))
            << "head " << head << " activation " << activation << " sample " << sample;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, PredictGroupedTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "packed" : "blas");
                         });

TEST(MlpEnsembleTest, PredictionsAreClipped) {
  MlpEnsembleOptions options = SmallOptions();
  options.prediction_clip = 0.25;
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 3));
  MBRL_ASSERT_OK_AND_ASSIGN(
      at::Tensor predicted,
      model->PredictGrouped({0, 1, 2}, at::full({3, 5, 2}, 10.0f), at::zeros({3, 5, 1}), nullptr));
  EXPECT_LE(predicted.abs().max().item<float>(), 0.25f);
}

TEST(MlpEnsembleTest, FitLearnsLinearDynamics) {
  MlpEnsembleOptions options = SmallOptions();
  options.hidden = {32, 32};
  options.max_epochs = 60;
  options.early_stopping = Config::NONE;
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 5));
  MBRL_ASSERT_OK_AND_ASSIGN(FitReport report, model->Fit(LinearData(1000, 0.0, 3)));
  for (double loss : report.validation_loss) EXPECT_LT(loss, 0.02);
  EXPECT_THAT(report.epochs, ::testing::Each(60));
  const TransitionData test = LinearData(50, 0.0, 4);
  MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor predicted,
                            model->PredictGrouped({1}, test.observations.unsqueeze(0),
                                                  test.actions.unsqueeze(0), nullptr));
  const double error = (predicted[0] - test.next_observations).abs().mean().item<double>();
  EXPECT_LT(error, 0.1);
}

TEST(MlpEnsembleTest, FitForEpochsStopsAtItsOwnLimitAndContinuesWarm) {
  MlpEnsembleOptions options = SmallOptions();
  options.max_epochs = 60;
  options.early_stopping = Config::NONE;
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 5));
  const TransitionData data = LinearData(400, 0.0, 3);
  MBRL_ASSERT_OK_AND_ASSIGN(FitReport first, model->FitForEpochs(data, 10));
  EXPECT_THAT(first.epochs, ::testing::Each(10));
  MBRL_ASSERT_OK_AND_ASSIGN(FitReport second, model->FitForEpochs(data, 10));
  // The second round starts where the first ended: a lower loss than the first round's.
  const auto mean = [](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  };
  EXPECT_LT(mean(second.validation_loss), 0.7 * mean(first.validation_loss));
  EXPECT_THAT(model->FitForEpochs(data, 0).status(),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MlpEnsembleTest, EarlyStoppingEndsTrainingOnUnlearnableData) {
  for (auto rule : {Config::EMA, Config::PATIENCE}) {
    MlpEnsembleOptions options = SmallOptions();
    options.max_epochs = 200;
    options.early_stopping = rule;
    options.ema_persistence = 0.5;
    options.patience = 3;
    MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 6));
    TransitionData noise = LinearData(200, 0.0, 5);
    noise.next_observations = at::randn({200, 2}) * 3;  // unpredictable
    MBRL_ASSERT_OK_AND_ASSIGN(FitReport report, model->Fit(noise));
    for (int64_t epochs : report.epochs) EXPECT_LT(epochs, 200) << rule;
  }
}

TEST(MlpEnsembleTest, ElitesHaveTheLowestValidationLoss) {
  MlpEnsembleOptions options = SmallOptions();
  options.ensemble_size = 4;
  options.num_elites = 2;
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 7));
  MBRL_ASSERT_OK_AND_ASSIGN(FitReport report, model->Fit(LinearData(200, 0.3, 6)));
  ASSERT_EQ(report.elites.size(), 2u);
  EXPECT_EQ(model->elites(), report.elites);
  std::vector<double> sorted = report.validation_loss;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t elite : report.elites) EXPECT_LE(report.validation_loss[elite], sorted[1]);
}

TEST(MlpEnsembleTest, ProbabilisticHeadSamplesAroundItsMean) {
  MlpEnsembleOptions options = SmallOptions();
  options.head = Config::PROBABILISTIC;
  options.max_epochs = 20;
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(options, 8));
  MBRL_ASSERT_OK(model->Fit(LinearData(500, 0.3, 7)).status());
  const at::Tensor obs = at::zeros({1, 4000, 2});
  const at::Tensor act = at::zeros({1, 4000, 1});
  at::Generator generator = at::detail::createCPUGenerator(1);
  MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor mean, model->PredictGrouped({0}, obs, act, nullptr));
  MBRL_ASSERT_OK_AND_ASSIGN(at::Tensor sampled, model->PredictGrouped({0}, obs, act, &generator));
  EXPECT_FALSE(at::allclose(mean, sampled));
  EXPECT_TRUE(at::allclose(sampled.mean(1), mean.mean(1), 0.05, 0.05));
  // The learned noise level is of the order of the data's (0.3), within the soft bounds.
  const at::Tensor std = sampled.std(1);
  EXPECT_GT(std.min().item<float>(), 0.05);
  EXPECT_LT(std.max().item<float>(), 1.5);
}

TEST(MlpEnsembleTest, RejectsBadOptions) {
  MlpEnsembleOptions options = SmallOptions();
  options.hidden = {};
  EXPECT_THAT(MlpEnsemble::Create(options, 1),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  options = SmallOptions();
  options.num_elites = 4;
  EXPECT_THAT(MlpEnsemble::Create(options, 1),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

// A checkpoint of the snapshot plus the training state resumes training exactly: the next fit
// of the restored model equals the next fit of the original.
TEST(MlpEnsembleTest, TrainingStateResumesTrainingExactly) {
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(SmallOptions(), 5));
  MBRL_ASSERT_OK(model->Fit(LinearData(300, 0.1, 1)).status());
  v1::ModelSnapshot snapshot;
  v1::ParameterSet state;
  MBRL_ASSERT_OK(model->Save(&snapshot));
  MBRL_ASSERT_OK(model->SaveTrainingState(&state));
  EXPECT_EQ(state.tensors_size(), 2 * static_cast<int>(model->parameters().size()) + 2);

  MBRL_ASSERT_OK_AND_ASSIGN(auto restored, MlpEnsemble::Create(SmallOptions(), 99));
  MBRL_ASSERT_OK(restored->Load(snapshot));
  MBRL_ASSERT_OK(restored->LoadTrainingState(state));
  const TransitionData more = LinearData(400, 0.1, 2);
  MBRL_ASSERT_OK_AND_ASSIGN(FitReport a, model->Fit(more));
  MBRL_ASSERT_OK_AND_ASSIGN(FitReport b, restored->Fit(more));
  EXPECT_EQ(a.validation_loss, b.validation_loss);
  EXPECT_EQ(a.epochs, b.epochs);
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    EXPECT_TRUE(at::equal(model->parameters()[i], restored->parameters()[i]))
        << model->parameter_names()[i];
  }
}

TEST(MlpEnsembleTest, BadTrainingStateChangesNothing) {
  MBRL_ASSERT_OK_AND_ASSIGN(auto model, MlpEnsemble::Create(SmallOptions(), 5));
  MBRL_ASSERT_OK(model->Fit(LinearData(300, 0.1, 1)).status());
  v1::ParameterSet state;
  MBRL_ASSERT_OK(model->SaveTrainingState(&state));
  v1::ParameterSet wrong = state;
  wrong.mutable_tensors(0)->set_name("adam.m.unknown");
  EXPECT_THAT(model->LoadTrainingState(wrong),
              ::mbrl::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ParameterSet missing = state;
  missing.mutable_tensors()->RemoveLast();
  EXPECT_FALSE(model->LoadTrainingState(missing).ok());
  v1::ParameterSet after;
  MBRL_ASSERT_OK(model->SaveTrainingState(&after));
  EXPECT_EQ(after.SerializeAsString(), state.SerializeAsString());
}

}  // namespace
}  // namespace mbrl::learner
