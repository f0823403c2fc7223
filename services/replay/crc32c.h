// CRC-32C (Castagnoli), the checksum of the replay write-ahead log: hardware-accelerated
// (SSE4.2 crc32 instruction, three interleaved streams) where the CPU has it, a table-driven
// fallback elsewhere; both give identical results. Thread-safe.
#ifndef MBRL_SERVICES_REPLAY_CRC32C_H_
#define MBRL_SERVICES_REPLAY_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace mbrl::replay {

// The CRC-32C of `data` continuing from `crc` (0 to start): Crc32c(b, Crc32c(a)) ==
// Crc32c(a + b).
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

// The portable implementation (exposed for tests that compare the two).
uint32_t Crc32cPortable(absl::string_view data, uint32_t crc = 0);

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_CRC32C_H_
