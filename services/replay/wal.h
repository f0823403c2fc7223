// The replay shard's write-ahead log: append-only segment files of CRC-checked records, one
// record per insert request (its newly stored chunks), made durable in groups (group commit).
//
// Why a log and not an embedded store (RocksDB/LevelDB): replay data is written once in
// sequence order and evicted oldest-first, which is exactly a log. An LSM store would add a
// second write path (its own WAL plus memtable flushes and compactions: 2-10x write
// amplification) and a second in-memory copy, and deleting evicted data would cost tombstones
// and compactions; here eviction is deleting whole segment files.
//
// On disk, in `directory`:
//   wal-<20-digit first sequence>.log   segments, in sequence order
//   segment = header { "MBRLWAL1", u64 start_sequence, u32 crc32(previous 16 bytes) }
//             then records
//   record  = { u32 payload_bytes, u32 crc32(payload), u32 crc32(previous 8 bytes) } payload
//   payload = { u64 first_sequence, u32 chunk_count, chunk_count x { u32 bytes, serialized
//               mbrl.v1.TrajectoryChunk } }
// All integers little-endian. A record is all-or-nothing: a torn or corrupt record (bad CRC,
// bad length, unparsable chunk) ends its segment; recovery drops it and everything after it in
// that segment (truncating the file) and says so in the log, so it is never served.
//
// Thread-safety: none. One thread (the table's writer) owns a WriteAheadLog.
#ifndef MBRL_SERVICES_REPLAY_WAL_H_
#define MBRL_SERVICES_REPLAY_WAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "mbrl/v1/trajectory.pb.h"

namespace mbrl::replay {

struct WalOptions {
  std::string directory;
  // A new segment starts once the current one holds this many bytes.
  uint64_t segment_bytes = 64 << 20;
  // fdatasync() in Sync(). Off only for benchmarks that measure what durability costs.
  bool sync = true;
};

// What Open() found.
struct WalRecoveryStats {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t chunks = 0;
  uint64_t bytes = 0;  // intact bytes read
  // Corrupt or torn data dropped (never served): regions and their bytes.
  uint64_t dropped_regions = 0;
  uint64_t dropped_bytes = 0;
  // The sequence number after the last recovered record (or the newest segment's start).
  uint64_t next_sequence = 0;
  absl::Duration elapsed;
};

class WriteAheadLog {
 public:
  // Called once per intact record, in sequence order, during Open().
  using RecordFn =
      std::function<void(uint64_t first_sequence, std::vector<v1::TrajectoryChunk> chunks)>;

  // Creates `options.directory` if needed, replays every intact record through `apply`, drops
  // corrupt tails (logging each), and opens a fresh segment for appends. Blocking.
  // Errors: INTERNAL for I/O failures (unreadable directory, cannot create a segment).
  static absl::StatusOr<std::unique_ptr<WriteAheadLog>> Open(const WalOptions& options,
                                                             const RecordFn& apply,
                                                             WalRecoveryStats* stats);
  ~WriteAheadLog();

  // Appends one encoded record to `out` (see the format above).
  static void EncodeRecord(uint64_t first_sequence,
                           absl::Span<const v1::TrajectoryChunk* const> chunks, std::string* out);

  // Appends encoded records whose first sequence number is `first_sequence` (starting a new
  // segment first if the current one is full). Not durable until Sync(). On failure the segment
  // is cut back to its last complete record and the error (INTERNAL) is returned.
  absl::Status Append(uint64_t first_sequence, absl::string_view records);

  // Makes every appended record durable (fdatasync), unless options.sync is off.
  absl::Status Sync();

  // Deletes segments that hold only sequence numbers below `sequence` (all evicted). The
  // current segment is never deleted.
  absl::Status DropBefore(uint64_t sequence);

  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t syncs() const { return syncs_; }
  size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    uint64_t start_sequence;
    std::string path;
  };

  explicit WriteAheadLog(WalOptions options) : options_(std::move(options)) {}
  absl::Status StartSegment(uint64_t start_sequence);
  absl::Status SyncDirectory();

  WalOptions options_;
  std::vector<Segment> segments_;  // oldest first; back() is open for appends
  int fd_ = -1;
  uint64_t segment_size_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t syncs_ = 0;
  bool dirty_ = false;
};

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_WAL_H_
