// One replay table: trajectory chunks of real transitions in memory (FIFO eviction by capacity
// in transitions and bytes), made durable through a write-ahead log with group commit, read by
// uniform / prioritized / FIFO sampling under a rate limiter and by in-order scans.
//
// Concurrency (the reason for the shape of this API):
//   - One writer thread per table takes queued inserts in order, writes them to the log in one
//     group per fdatasync, then applies them to memory under the table's mutex. Data becomes
//     visible (to Sample and Scan) only once durable, and a request's chunks become visible
//     together. The mutex is never held during I/O, so persisting never blocks other RPCs.
//   - Insert / Sample / WaitForData never block: they take a callback that runs exactly once,
//     inline when the answer is ready at once, else later on the writer thread (after an
//     insert is applied) or on the table's timer thread (a rate-limiter deadline passed) —
//     unless the matching Cancel* returns true, in which case it never runs. Callbacks run
//     without the table's mutex held and must not block.
//   - Every method is thread-safe.
#ifndef MBRL_SERVICES_REPLAY_TABLE_H_
#define MBRL_SERVICES_REPLAY_TABLE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "mbrl/v1/replay.pb.h"
#include "mbrl/v1/trajectory.pb.h"
#include "services/replay/chunk_validation.h"
#include "services/replay/rate_limiter.h"
#include "services/replay/sum_tree.h"
#include "services/replay/wal.h"

namespace mbrl::replay {

struct TableOptions {
  std::string name = "real";
  // FIFO eviction keeps at most this many transitions / payload bytes; 0 = no limit. A single
  // chunk larger than either limit is rejected (INVALID_ARGUMENT).
  uint64_t capacity_transitions = 1 << 20;
  uint64_t capacity_bytes = 0;
  RateLimiterOptions rate_limiter;
  // Prioritized sampling draws transition i with probability priority_i^alpha / sum; new
  // transitions get priority 1.
  double priority_exponent = 0.6;
  // Fixed transition dimensions; 0 = the first chunk stored fixes them.
  TransitionShape shape;
  // Durability: an empty wal.directory keeps the table in memory only.
  WalOptions wal;
  // Largest group of requests written per fdatasync.
  uint64_t max_group_bytes = 32 << 20;
};

// The result of one insert request.
struct InsertOutcome {
  absl::Status status;
  uint32_t stored_chunks = 0;
  uint32_t duplicate_chunks = 0;
  uint64_t end_sequence = 0;  // the table's next sequence number once the request was applied
};

struct SampleSpec {
  v1::SampleRequest::Sampler sampler = v1::SampleRequest::UNIFORM;
  uint32_t batch_size = 1;
};

// Numbers for metrics and Info.
struct TableStats {
  uint64_t transitions = 0;
  uint64_t chunks = 0;
  uint64_t bytes = 0;
  uint64_t first_sequence = 0;
  uint64_t end_sequence = 0;
  uint64_t inserted_transitions = 0;  // since the process started
  uint64_t sampled_transitions = 0;
  double insert_blocked_seconds = 0;
  double sample_blocked_seconds = 0;
  uint64_t wal_bytes = 0;
  uint64_t wal_syncs = 0;
  WalRecoveryStats recovery;
};

class Table {
 public:
  using InsertDone = std::function<void(const InsertOutcome&)>;
  using SampleDone = std::function<void(absl::StatusOr<v1::SampleResponse>)>;
  using DataReady = std::function<void(const absl::Status&)>;

  // Validates the options, recovers the log (blocking; logs what it found and how long it
  // took) and starts the table's threads. INVALID_ARGUMENT for bad options, INTERNAL for I/O.
  static absl::StatusOr<std::unique_ptr<Table>> Create(TableOptions options);
  // Close(), then frees everything.
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const std::string& name() const { return options_.name; }
  const TableOptions& options() const { return options_; }

  // A fresh id for one Insert / Sample / WaitForData call (and its Cancel*).
  uint64_t NewTicket() { return next_ticket_.fetch_add(1, std::memory_order_relaxed); }

  // Queues `chunks` (each already passed ValidateChunk) to be stored durably. `done` gets OK
  // once every new chunk is durable and visible (chunks already stored count as duplicates);
  // INVALID_ARGUMENT (nothing stored) if a chunk's dimensions differ from the table's or it
  // exceeds the capacity; UNAVAILABLE if the table is closing or its log failed. Requests are
  // applied in the order they were queued; the rate limiter may hold them (backpressure).
  void Insert(uint64_t ticket, std::vector<v1::TrajectoryChunk> chunks, InsertDone done)
      ABSL_LOCKS_EXCLUDED(mu_);
  // True if the request was still queued and is now dropped (its `done` will not run).
  bool CancelInsert(uint64_t ticket) ABSL_LOCKS_EXCLUDED(mu_);

  // Draws a batch once the rate limiter allows it (FIFO among waiting samplers). `done` gets
  // the batch, DEADLINE_EXCEEDED if the limiter held it past `deadline`, or UNAVAILABLE if the
  // table is closing. FIFO batches hold min(batch_size, transitions) rows.
  void Sample(uint64_t ticket, const SampleSpec& spec, absl::Time deadline, SampleDone done)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool CancelSample(uint64_t ticket) ABSL_LOCKS_EXCLUDED(mu_);

  // Up to `max_transitions` consecutive stored transitions starting at the first sequence
  // number >= `start` (evicted ones are skipped: first_sequence() then exceeds `start`). An
  // empty batch (first == end == the table's end) means there is nothing at or after `start`.
  v1::ScanResponse Read(uint64_t start, uint32_t max_transitions) const ABSL_LOCKS_EXCLUDED(mu_);
  // Calls `ready` with OK once a transition with sequence >= `sequence` is visible (inline if
  // one is), or with UNAVAILABLE when the table closes.
  void WaitForData(uint64_t ticket, uint64_t sequence, DataReady ready) ABSL_LOCKS_EXCLUDED(mu_);
  bool CancelWait(uint64_t ticket) ABSL_LOCKS_EXCLUDED(mu_);

  // Sets priorities (finite, >= 0) of stored transitions by key (sequence number). Unknown or
  // evicted keys are counted, not errors. INVALID_ARGUMENT (nothing changed) for bad values.
  absl::StatusOr<v1::UpdatePrioritiesResponse> UpdatePriorities(absl::Span<const int64_t> keys,
                                                                absl::Span<const double> priorities)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Fills the table fields of an InfoResponse (not the shard fields).
  void FillInfo(v1::InfoResponse* info) const ABSL_LOCKS_EXCLUDED(mu_);
  TableStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);

  // Stops taking work: queued inserts the rate limiter admits are still written and
  // acknowledged, the others and every waiting sampler or scan get UNAVAILABLE; joins the
  // table's threads. Later calls fail with UNAVAILABLE. Idempotent; blocks until done.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct StoredChunk {
    uint64_t first_sequence;
    uint64_t position;  // transitions before it since the table was created (contiguous)
    uint32_t transitions;
    uint64_t bytes;
    v1::TrajectoryChunk chunk;
  };
  struct PendingInsert {
    uint64_t ticket;
    std::vector<v1::TrajectoryChunk> chunks;
    InsertDone done;
  };
  struct SampleWaiter {
    uint64_t ticket;
    SampleSpec spec;
    absl::Time deadline;
    absl::Time since;
    SampleDone done;
  };
  struct DataWaiter {
    uint64_t ticket;
    uint64_t sequence;
    DataReady ready;
  };
  // A request taken by the writer: its new chunks (with their first sequence numbers).
  struct GroupEntry {
    PendingInsert request;
    InsertOutcome outcome;
    std::vector<size_t> new_chunks;  // indices into request.chunks
    uint64_t first_sequence = 0;
  };
  using Callbacks = std::vector<std::function<void()>>;
  using ChunkKeys = absl::flat_hash_set<std::pair<uint64_t, uint32_t>>;

  explicit Table(TableOptions options);

  void WriterLoop() ABSL_LOCKS_EXCLUDED(mu_);
  void TimerLoop() ABSL_LOCKS_EXCLUDED(mu_);

  // Decides a request's fate under the lock: rejects it, or marks duplicates and assigns
  // sequence numbers to its new chunks.
  // `group_keys` holds the chunks taken earlier in the same group.
  void ResolveLocked(GroupEntry& entry, ChunkKeys& group_keys) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes a chunk visible (assigned `first_sequence`), then evicts down to the capacity.
  void ApplyLocked(uint64_t first_sequence, v1::TrajectoryChunk chunk)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Serves waiting samplers the limiter now admits and scans whose data arrived.
  void ServeWaitersLocked(Callbacks& callbacks) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::SampleResponse SampleLocked(const SampleSpec& spec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateBlockedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stored chunk holding `position` / the first one ending after `sequence`.
  size_t ChunkAtPositionLocked(uint64_t position) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  size_t ChunkAfterSequenceLocked(uint64_t sequence) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool WriterHasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TableOptions options_;
  std::atomic<uint64_t> next_ticket_{1};
  std::unique_ptr<WriteAheadLog> wal_;  // owned by the writer thread after Create()
  WalRecoveryStats recovery_;
  std::thread writer_;
  std::thread timer_;

  mutable absl::Mutex mu_;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status log_failure_ ABSL_GUARDED_BY(mu_);
  TransitionShape shape_ ABSL_GUARDED_BY(mu_);
  std::deque<StoredChunk> store_ ABSL_GUARDED_BY(mu_);
  ChunkKeys stored_keys_ ABSL_GUARDED_BY(mu_);
  uint64_t transitions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t end_position_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t end_sequence_ ABSL_GUARDED_BY(mu_) = 0;   // after the last visible transition
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;  // after the last assigned one
  uint64_t inserted_transitions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t sampled_transitions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t wal_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t wal_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  RateLimiter limiter_ ABSL_GUARDED_BY(mu_);
  SumTree priorities_ ABSL_GUARDED_BY(mu_);
  absl::BitGen rng_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingInsert> pending_ ABSL_GUARDED_BY(mu_);
  std::list<SampleWaiter> sample_waiters_ ABSL_GUARDED_BY(mu_);
  std::list<DataWaiter> data_waiters_ ABSL_GUARDED_BY(mu_);
  uint64_t waiters_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mbrl::replay

#endif  // MBRL_SERVICES_REPLAY_TABLE_H_
