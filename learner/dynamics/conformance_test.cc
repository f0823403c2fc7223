// The conformance suite every DynamicsModel implementation passes: shapes and dtypes,
// determinism under a seed, snapshot round trips, and bad input rejected without changes.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <functional>
#include <memory>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "learner/dynamics/interface.h"
#include "learner/dynamics/mlp_ensemble.h"

namespace mbrl::learner {
namespace {

using ::mbrl::testing::StatusIs;

constexpr int64_t kObs = 3;
constexpr int64_t kAct = 2;

struct Variant {
  std::string name;
  // Makes a model with observation dim kObs and action dim kAct from a seed.
  std::function<std::unique_ptr<DynamicsModel>(uint64_t seed)> make;
};

void PrintTo(const Variant& variant, std::ostream* out) { *out << variant.name; }

std::unique_ptr<DynamicsModel> MakeMlp(uint64_t seed, bool weight_norm,
                                       v1::DynamicsModelConfig::Head head, int64_t elites) {
  MlpEnsembleOptions options;
  options.ensemble_size = 4;
  options.observation_dim = kObs;
  options.action_dim = kAct;
  options.hidden = {16, 16};
  options.weight_norm = weight_norm;
  options.head = head;
  options.num_elites = elites;
  options.max_epochs = 3;
  options.batch_size = 32;
  return MlpEnsemble::Create(options, seed).value();
}

TransitionData RandomData(int64_t n, uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  TransitionData data;
  data.observations = at::randn({n, kObs}, generator, at::kFloat);
  data.actions = at::randn({n, kAct}, generator, at::kFloat);
  data.next_observations = data.observations + 0.1 * at::randn({n, kObs}, generator, at::kFloat);
  return data;
}

class DynamicsConformanceTest : public ::testing::TestWithParam<Variant> {
 protected:
  at::Tensor Predict(const DynamicsModel& model) {
    at::Generator generator = at::detail::createCPUGenerator(9);
    const int64_t k = model.ensemble_size();
    std::vector<int64_t> members(k);
    for (int64_t m = 0; m < k; ++m) members[m] = m;
    auto out = model.PredictGrouped(members, observations_, actions_, &generator);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : at::Tensor();
  }
  const at::Tensor observations_ = at::randn({4, 6, kObs});
  const at::Tensor actions_ = at::randn({4, 6, kAct});
};

TEST_P(DynamicsConformanceTest, ShapesAndDtypes) {
  auto model = GetParam().make(1);
  EXPECT_EQ(model->observation_dim(), kObs);
  EXPECT_EQ(model->action_dim(), kAct);
  MBRL_ASSERT_OK_AND_ASSIGN(FitReport report, model->Fit(RandomData(100, 1)));
  EXPECT_EQ(report.validation_loss.size(), static_cast<size_t>(model->ensemble_size()));
  EXPECT_EQ(report.elites, model->elites());
  const at::Tensor prediction = Predict(*model);
  EXPECT_EQ(prediction.sizes(), observations_.sizes());
  EXPECT_EQ(prediction.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::isfinite(prediction).all().item<bool>());
  EXPECT_FALSE(prediction.requires_grad());
}

TEST_P(DynamicsConformanceTest, DeterministicUnderASeed) {
  auto a = GetParam().make(5);
  auto b = GetParam().make(5);
  MBRL_ASSERT_OK(a->Fit(RandomData(100, 2)).status());
  MBRL_ASSERT_OK(b->Fit(RandomData(100, 2)).status());
  EXPECT_TRUE(at::equal(Predict(*a), Predict(*b)));
  auto c = GetParam().make(6);
  MBRL_ASSERT_OK(c->Fit(RandomData(100, 2)).status());
  EXPECT_FALSE(at::equal(Predict(*a), Predict(*c)));
}

TEST_P(DynamicsConformanceTest, SnapshotRoundTripIsBitExact) {
  auto source = GetParam().make(1);
  MBRL_ASSERT_OK(source->Fit(RandomData(100, 3)).status());
  v1::ModelSnapshot snapshot;
  MBRL_ASSERT_OK(source->Save(&snapshot));
  auto target = GetParam().make(2);
  MBRL_ASSERT_OK(target->Load(snapshot));
  EXPECT_TRUE(at::equal(Predict(*source), Predict(*target)));
  EXPECT_EQ(target->elites(), source->elites());
  v1::ModelSnapshot again;
  MBRL_ASSERT_OK(target->Save(&again));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(again, snapshot));
}

TEST_P(DynamicsConformanceTest, BadSnapshotsAreRejectedAndChangeNothing) {
  auto model = GetParam().make(1);
  MBRL_ASSERT_OK(model->Fit(RandomData(100, 4)).status());
  const at::Tensor before = Predict(*model);
  v1::ModelSnapshot good;
  MBRL_ASSERT_OK(model->Save(&good));

  v1::ModelSnapshot wrong_shape = good;
  wrong_shape.mutable_parameters()->mutable_tensors(0)->mutable_tensor()->set_shape(0, 99);
  EXPECT_THAT(model->Load(wrong_shape), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ModelSnapshot no_normalizer = good;
  no_normalizer.mutable_normalizers()->erase("target");
  EXPECT_THAT(model->Load(no_normalizer), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ModelSnapshot bad_elite = good;
  bad_elite.add_elites(1000);
  EXPECT_THAT(model->Load(bad_elite), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ModelSnapshot missing = good;
  missing.mutable_parameters()->mutable_tensors()->RemoveLast();
  EXPECT_THAT(model->Load(missing), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(at::equal(Predict(*model), before));
}

TEST_P(DynamicsConformanceTest, BadDataIsRejectedAndChangesNothing) {
  auto model = GetParam().make(1);
  MBRL_ASSERT_OK(model->Fit(RandomData(100, 5)).status());
  const at::Tensor before = Predict(*model);
  TransitionData nan = RandomData(50, 6);
  nan.actions[3][1] = NAN;
  EXPECT_THAT(model->Fit(nan),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("actions")));
  TransitionData wrong = RandomData(50, 6);
  wrong.next_observations = at::zeros({50, kObs + 1});
  EXPECT_THAT(model->Fit(wrong), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("next_observations")));
  EXPECT_THAT(model->Fit(RandomData(1, 7)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(at::equal(Predict(*model), before));

  EXPECT_THAT(model->PredictGrouped({0, 99}, observations_.narrow(0, 0, 2),
                                    actions_.narrow(0, 0, 2), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("member 99")));
  EXPECT_THAT(model->PredictGrouped({0}, observations_, actions_, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(
    Models, DynamicsConformanceTest,
    ::testing::Values(Variant{"MlpDeterministic",
                              [](uint64_t s) {
                                return MakeMlp(s, false, v1::DynamicsModelConfig::DETERMINISTIC, 0);
                              }},
                      Variant{"MlpWeightNorm",
                              [](uint64_t s) {
                                return MakeMlp(s, true, v1::DynamicsModelConfig::DETERMINISTIC, 0);
                              }},
                      Variant{"MlpProbabilisticElites",
                              [](uint64_t s) {
                                return MakeMlp(s, false, v1::DynamicsModelConfig::PROBABILISTIC, 2);
                              }}),
    [](const ::testing::TestParamInfo<Variant>& info) { return info.param.name; });

}  // namespace
}  // namespace mbrl::learner
