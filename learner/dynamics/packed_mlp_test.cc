#include "learner/dynamics/packed_mlp.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <ostream>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl::learner {
namespace gemm {
void PrintTo(const Isa& isa, std::ostream* os) { *os << IsaName(isa); }
}  // namespace gemm

namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

class PackedMlpTest : public ::testing::TestWithParam<gemm::Isa> {
 protected:
  void SetUp() override {
    if (!gemm::CpuSupports(GetParam())) {
      GTEST_SKIP() << "this CPU cannot run the " << gemm::IsaName(GetParam()) << " kernel";
    }
    at::manual_seed(3);
  }
};

// K members of an MLP in -> hidden... -> out.
std::vector<PackedEnsembleMlp::Layer> RandomLayers(int64_t k, std::vector<int64_t> dims) {
  std::vector<PackedEnsembleMlp::Layer> layers;
  for (size_t l = 0; l + 1 < dims.size(); ++l) {
    layers.push_back({at::randn({k, dims[l], dims[l + 1]}) / std::sqrt(dims[l]),
                      at::randn({k, 1, dims[l + 1]}) * 0.1});
  }
  return layers;
}

// The same forward in LibTorch: baddbmm per layer on the members' weights.
at::Tensor Reference(const std::vector<PackedEnsembleMlp::Layer>& layers,
                     const std::vector<int64_t>& members, v1::Activation activation,
                     const at::Tensor& x) {
  const at::Tensor index = at::tensor(members, at::kLong);
  at::Tensor h = x.to(at::kDouble);
  for (size_t l = 0; l < layers.size(); ++l) {
    h = at::baddbmm(layers[l].bias.index_select(0, index).to(at::kDouble), h,
                    layers[l].weight.index_select(0, index).to(at::kDouble));
    if (l + 1 < layers.size()) {
      h = activation == v1::TANH ? at::tanh(h) : activation == v1::SWISH ? at::silu(h) : at::relu(h);
    }
  }
  return h.to(at::kFloat);
}

TEST_P(PackedMlpTest, ForwardEqualsTheBatchedMatmulsForEveryActivation) {
  const std::vector<PackedEnsembleMlp::Layer> layers = RandomLayers(5, {23, 64, 50, 17});
  const std::vector<int64_t> members = {4, 0, 2, 2};  // a subset, out of order, repeated
  for (v1::Activation activation : {v1::RELU, v1::TANH, v1::SWISH}) {
    MBRL_ASSERT_OK_AND_ASSIGN(PackedEnsembleMlp mlp,
                              PackedEnsembleMlp::Create(layers, activation, GetParam()));
    EXPECT_EQ(mlp.ensemble_size(), 5);
    EXPECT_EQ(mlp.input_dim(), 23);
    EXPECT_EQ(mlp.output_dim(), 17);
    for (int64_t rows : {1, 13, 100}) {
      const at::Tensor x = at::randn({4, rows, 23});
      const at::Tensor out = mlp.Forward(members, x);
      ASSERT_EQ(out.sizes(), (std::vector<int64_t>{4, rows, 17}));
      EXPECT_TRUE(at::allclose(out, Reference(layers, members, activation, x), 1e-4, 1e-5))
          << "activation " << activation << ", rows " << rows;
    }
  }
}

TEST_P(PackedMlpTest, AcceptsStridedInputAndGivesTheSameBitsOnAnyThreadCount) {
  const std::vector<PackedEnsembleMlp::Layer> layers = RandomLayers(3, {10, 70, 6});
  MBRL_ASSERT_OK_AND_ASSIGN(PackedEnsembleMlp mlp,
                            PackedEnsembleMlp::Create(layers, v1::RELU, GetParam()));
  const at::Tensor wide = at::randn({3, 200, 12});
  const at::Tensor x = wide.narrow(2, 1, 10);  // not contiguous
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const at::Tensor one = mlp.Forward({0, 1, 2}, x);
  at::set_num_threads(2);
  const at::Tensor two = mlp.Forward({0, 1, 2}, x);
  at::set_num_threads(threads);
  EXPECT_TRUE(at::equal(one, two));
  EXPECT_TRUE(at::allclose(one, Reference(layers, {0, 1, 2}, v1::RELU, x), 1e-4, 1e-5));
  EXPECT_EQ(mlp.Forward({0, 1, 2}, at::zeros({3, 0, 10})).sizes(),
            (std::vector<int64_t>{3, 0, 6}));
}

TEST_P(PackedMlpTest, NanInputsGiveNanOutputsAsInLibTorch) {
  const std::vector<PackedEnsembleMlp::Layer> layers = RandomLayers(2, {4, 40, 3});
  MBRL_ASSERT_OK_AND_ASSIGN(PackedEnsembleMlp mlp,
                            PackedEnsembleMlp::Create(layers, v1::RELU, GetParam()));
  at::Tensor x = at::randn({2, 5, 4});
  x[1][3][2] = NAN;
  const at::Tensor out = mlp.Forward({0, 1}, x);
  EXPECT_TRUE(out[1][3].isnan().all().item<bool>()) << out[1][3];
  EXPECT_FALSE(out[0].isnan().any().item<bool>());
  EXPECT_EQ(out.isnan().sum().item<int64_t>(), 3);
}

TEST_P(PackedMlpTest, ForwardRejectsWrongShapesAndMembers) {
  MBRL_ASSERT_OK_AND_ASSIGN(
      PackedEnsembleMlp mlp,
      PackedEnsembleMlp::Create(RandomLayers(2, {4, 8, 3}), v1::RELU, GetParam()));
  EXPECT_THROW(mlp.Forward({0, 1}, at::randn({2, 5, 3})), c10::Error);
  EXPECT_THROW(mlp.Forward({0}, at::randn({2, 5, 4})), c10::Error);
  EXPECT_THROW(mlp.Forward({0, 2}, at::randn({2, 5, 4})), c10::Error);
  EXPECT_THROW(mlp.Forward({0, 1}, at::randn({2, 5, 4}, at::kDouble)), c10::Error);
  at::Tensor out = at::empty({2, 5, 3});
  EXPECT_NO_THROW(mlp.Forward({0, 1}, at::randn({2, 5, 4}), out));
  at::Tensor wrong = at::empty({2, 5, 4});
  EXPECT_THROW(mlp.Forward({0, 1}, at::randn({2, 5, 4}), wrong), c10::Error);
  at::Tensor strided = at::empty({2, 5, 6}).narrow(2, 0, 3);
  EXPECT_THROW(mlp.Forward({0, 1}, at::randn({2, 5, 4}), strided), c10::Error);
  const at::Tensor buffer = at::randn({40});
  at::Tensor overlapping = buffer.narrow(0, 0, 30).view({2, 5, 3});
  EXPECT_THROW(mlp.Forward({0, 1}, buffer.view({2, 5, 4}), overlapping), c10::Error);
}

TEST_P(PackedMlpTest, CreateRejectsInconsistentLayers) {
  const gemm::Isa isa = GetParam();
  std::vector<PackedEnsembleMlp::Layer> layers = RandomLayers(2, {4, 8, 3});
  EXPECT_THAT(PackedEnsembleMlp::Create(layers, v1::RELU, isa), IsOk());
  EXPECT_THAT(PackedEnsembleMlp::Create({}, v1::RELU, isa),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no layers")));
  EXPECT_THAT(PackedEnsembleMlp::Create(layers, static_cast<v1::Activation>(99), isa),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activation")));
  std::vector<PackedEnsembleMlp::Layer> broken = layers;
  broken[1].weight = at::randn({2, 7, 3});  // does not follow the 8 outputs of layer 0
  EXPECT_THAT(PackedEnsembleMlp::Create(broken, v1::RELU, isa),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer 1")));
  broken = layers;
  broken[0].bias = at::randn({2, 1, 9});
  EXPECT_THAT(PackedEnsembleMlp::Create(broken, v1::RELU, isa),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer 0")));
  broken = layers;
  broken[0].weight = broken[0].weight.to(at::kDouble);
  EXPECT_THAT(PackedEnsembleMlp::Create(broken, v1::RELU, isa),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("float32")));
  broken = layers;
  broken[1].weight = at::randn({3, 8, 3});  // another ensemble size
  EXPECT_THAT(PackedEnsembleMlp::Create(broken, v1::RELU, isa),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer 1")));
}

INSTANTIATE_TEST_SUITE_P(Isas, PackedMlpTest,
                         ::testing::Values(gemm::Isa::kAvx2, gemm::Isa::kAvx512),
                         [](const ::testing::TestParamInfo<gemm::Isa>& info) {
                           return std::string(gemm::IsaName(info.param));
                         });

}  // namespace
}  // namespace mbrl::learner
