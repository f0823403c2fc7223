#include "learner/dynamics/packed_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mbrl::learner::gemm {

void PrintTo(const Isa& isa, std::ostream* os) { *os << IsaName(isa); }

namespace {

class PackedGemmTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!CpuSupports(GetParam())) {
      GTEST_SKIP() << "this CPU cannot run the " << IsaName(GetParam()) << " kernel";
    }
  }
};

std::vector<float> Random(int64_t size, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(size);
  for (float& v : values) v = uniform(rng);
  return values;
}

struct Packed {
  std::vector<float> weight;
  std::vector<float> bias;
};

Packed Pack(Isa isa, const std::vector<float>& weight, const std::vector<float>& bias, int64_t in,
            int64_t out) {
  Packed packed{std::vector<float>(PackedWeightSize(isa, in, out)),
                std::vector<float>(PackedBiasSize(isa, out))};
  PackWeights(isa, weight.data(), out, in, out, packed.weight.data());
  PackBias(isa, bias.data(), out, packed.bias.data());
  return packed;
}

// The whole product input [rows, in] (row stride input_stride) x packed -> output [rows, out]
// (row stride output_stride).
GemmBlock WholeBlock(Isa isa, const std::vector<float>& input, int64_t input_stride,
                     const Packed& packed, std::vector<float>& output, int64_t output_stride,
                     int64_t rows, int64_t in, int64_t out) {
  GemmBlock block;
  block.input = input.data();
  block.input_stride = input_stride;
  block.packed_weight = packed.weight.data();
  block.packed_bias = packed.bias.data();
  block.output = output.data();
  block.output_stride = output_stride;
  block.in = in;
  block.out = out;
  block.row_end = rows;
  block.panel_end = PanelCount(isa, out);
  return block;
}

TEST(PackedGemmLayoutTest, PanelsHoldColumnsKMajorZeroPadded) {
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    const int64_t width = PanelWidth(isa);
    const int64_t in = 3, out = width + 2;  // two panels, the second with 2 real columns
    std::vector<float> weight(in * out);
    for (int64_t k = 0; k < in; ++k) {
      for (int64_t n = 0; n < out; ++n) weight[k * out + n] = static_cast<float>(100 * k + n);
    }
    std::vector<float> bias(out);
    for (int64_t n = 0; n < out; ++n) bias[n] = static_cast<float>(-n);
    const Packed packed = Pack(isa, weight, bias, in, out);
    ASSERT_EQ(PanelCount(isa, out), 2);
    ASSERT_EQ(packed.weight.size(), static_cast<size_t>(2 * in * width));
    for (int64_t p = 0; p < 2; ++p) {
      for (int64_t k = 0; k < in; ++k) {
        for (int64_t j = 0; j < width; ++j) {
          const int64_t n = p * width + j;
          const float expected = n < out ? static_cast<float>(100 * k + n) : 0.0f;
          EXPECT_EQ(packed.weight[(p * in + k) * width + j], expected)
              << IsaName(isa) << " panel " << p << " k " << k << " column " << j;
        }
      }
    }
    for (int64_t n = 0; n < 2 * width; ++n) {
      EXPECT_EQ(packed.bias[n], n < out ? static_cast<float>(-n) : 0.0f);
    }
  }
}

// Every row/column/depth remainder of the tiles, depths over one pass of the kernel (512), with
// and without ReLU, against a double-precision sum.
TEST_P(PackedGemmTest, MatchesTheSumOfProductsAtEveryShape) {
  const Isa isa = GetParam();
  std::mt19937 rng(7);
  for (int64_t rows : {1, 5, 13, 14, 15, 29}) {
    for (int64_t in : {1, 7, 512, 1100}) {
      for (int64_t out : {1, 15, 17, 32, 33, 70}) {
        for (bool relu : {false, true}) {
          const std::vector<float> input = Random(rows * in, rng);
          const std::vector<float> weight = Random(in * out, rng);
          const std::vector<float> bias = Random(out, rng);
          const Packed packed = Pack(isa, weight, bias, in, out);
          std::vector<float> output(rows * out, NAN);
          GemmBlock block = WholeBlock(isa, input, in, packed, output, out, rows, in, out);
          block.relu = relu;
          ComputeBlock(isa, block);
          for (int64_t r = 0; r < rows; ++r) {
            for (int64_t n = 0; n < out; ++n) {
              double sum = bias[n], magnitude = std::fabs(bias[n]);
              for (int64_t k = 0; k < in; ++k) {
                sum += static_cast<double>(input[r * in + k]) * weight[k * out + n];
                magnitude += std::fabs(static_cast<double>(input[r * in + k]) * weight[k * out + n]);
              }
              if (relu) sum = std::max(sum, 0.0);
              ASSERT_NEAR(output[r * out + n], sum, 1e-6 * magnitude + 1e-7)
                  << IsaName(isa) << " rows " << rows << " in " << in << " out " << out
                  << " relu " << relu << " at (" << r << ", " << n << ")";
            }
          }
        }
      }
    }
  }
}

// A block writes its rows x panels and nothing else, reads rows through input_stride, and gives
// bit-identical outputs to the whole product however the work is split.
TEST_P(PackedGemmTest, BlocksWriteOnlyTheirPartAndSplitsAreBitIdentical) {
  const Isa isa = GetParam();
  std::mt19937 rng(11);
  const int64_t rows = 31, in = 40, out = 3 * PanelWidth(isa) + 5, stride = in + 3;
  const std::vector<float> input = Random(rows * stride, rng);
  const std::vector<float> weight = Random(in * out, rng);
  const std::vector<float> bias = Random(out, rng);
  const Packed packed = Pack(isa, weight, bias, in, out);
  const int64_t panels = PanelCount(isa, out);
  auto run = [&](std::vector<float>& output, int64_t row_begin, int64_t row_end,
                 int64_t panel_begin, int64_t panel_end) {
    GemmBlock block = WholeBlock(isa, input, stride, packed, output, out + 1, rows, in, out);
    block.row_begin = row_begin;
    block.row_end = row_end;
    block.panel_begin = panel_begin;
    block.panel_end = panel_end;
    ComputeBlock(isa, block);
  };
  std::vector<float> whole(rows * (out + 1), -7.0f);
  run(whole, 0, rows, 0, panels);
  std::vector<float> part(rows * (out + 1), -7.0f);
  run(part, 3, 20, 1, 3);
  const int64_t width = PanelWidth(isa);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t n = 0; n <= out; ++n) {
      const bool inside = r >= 3 && r < 20 && n >= width && n < 3 * width && n < out;
      const float expected = inside ? whole[r * (out + 1) + n] : -7.0f;
      ASSERT_EQ(part[r * (out + 1) + n], expected) << "(" << r << ", " << n << ")";
    }
    EXPECT_EQ(whole[r * (out + 1) + out], -7.0f) << "the column past `out` was written";
  }
  std::vector<float> pieces(rows * (out + 1), -7.0f);
  for (int64_t r = 0; r < rows; r += 4) {
    for (int64_t p = 0; p < panels; ++p) run(pieces, r, std::min(rows, r + 4), p, p + 1);
  }
  EXPECT_EQ(pieces, whole);
}

INSTANTIATE_TEST_SUITE_P(Isas, PackedGemmTest, ::testing::Values(Isa::kAvx2, Isa::kAvx512),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(IsaName(info.param));
                         });

TEST(PackedGemmIsaTest, BestIsaIsTheFastestSupported) {
  const std::optional<Isa> best = BestIsa();
  if (CpuSupports(Isa::kAvx512)) {
    EXPECT_EQ(best, Isa::kAvx512);
  } else if (CpuSupports(Isa::kAvx2)) {
    EXPECT_EQ(best, Isa::kAvx2);
  } else {
    EXPECT_EQ(best, std::nullopt);
  }
}

}  // namespace
}  // namespace mbrl::learner::gemm
