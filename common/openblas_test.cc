#include "common/openblas.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace mbrl {
namespace {

TEST(OpenBlasTest, NamesTheKernelsOfTheLinkedOpenBlas) {
  // The test links LibTorch, whose libblas.so.3 `./mbrl setup` points at OpenBLAS.
  const std::string core = OpenBlasCoreName();
  EXPECT_FALSE(core.empty()) << "libblas.so.3 is not OpenBLAS";
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  if (forced != nullptr && std::string(forced) == "Haswell") EXPECT_EQ(core, "Haswell");
}

}  // namespace
}  // namespace mbrl
