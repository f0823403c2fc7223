#include "services/replay/crc32c.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace mbrl::replay {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // The CRC-32C check value (RFC 3720, iSCSI) and the empty string.
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32cPortable("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  // 32 zero bytes (RFC 3720 B.4).
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
}

TEST(Crc32cTest, HardwareMatchesPortableAndExtends) {
  std::mt19937 rng(7);
  for (size_t size : {1, 7, 8, 9, 63, 64, 65, 1000, 4097}) {
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    EXPECT_EQ(Crc32c(data), Crc32cPortable(data)) << size;
    const size_t half = size / 2;
    EXPECT_EQ(Crc32c(absl::string_view(data).substr(half),
                     Crc32c(absl::string_view(data).substr(0, half))),
              Crc32c(data))
        << size;
  }
}

}  // namespace
}  // namespace mbrl::replay
