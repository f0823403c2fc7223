#include "services/replay/table.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace mbrl::replay {
namespace {

char* InitTensor(v1::Tensor* tensor, v1::DType dtype, std::initializer_list<int64_t> shape,
                 size_t bytes) {
  tensor->set_dtype(dtype);
  tensor->clear_shape();
  for (int64_t dim : shape) tensor->add_shape(dim);
  tensor->mutable_data()->resize(bytes);
  return tensor->mutable_data()->data();
}

// Writes transitions row by row into a TransitionBatch sized for `rows`.
class BatchWriter {
 public:
  BatchWriter(size_t rows, const TransitionShape& shape, v1::TransitionBatch* batch)
      : obs_bytes_(shape.obs_dim * sizeof(float)), act_bytes_(shape.act_dim * sizeof(float)) {
    const int64_t n = static_cast<int64_t>(rows);
    observations_ = InitTensor(batch->mutable_observations(), v1::DTYPE_FLOAT32, {n, shape.obs_dim},
                               rows * obs_bytes_);
    next_observations_ = InitTensor(batch->mutable_next_observations(), v1::DTYPE_FLOAT32,
                                    {n, shape.obs_dim}, rows * obs_bytes_);
    actions_ = InitTensor(batch->mutable_actions(), v1::DTYPE_FLOAT32, {n, shape.act_dim},
                          rows * act_bytes_);
    rewards_ = InitTensor(batch->mutable_rewards(), v1::DTYPE_FLOAT32, {n}, rows * sizeof(float));
    terminated_ = InitTensor(batch->mutable_terminated(), v1::DTYPE_BOOL, {n}, rows);
    truncated_ = InitTensor(batch->mutable_truncated(), v1::DTYPE_BOOL, {n}, rows);
    keys_ = InitTensor(batch->mutable_keys(), v1::DTYPE_INT64, {n}, rows * sizeof(int64_t));
    episode_ids_ =
        InitTensor(batch->mutable_episode_ids(), v1::DTYPE_INT64, {n}, rows * sizeof(int64_t));
  }

  // Row `row` := step `t` of `chunk`, whose first transition has sequence `first_sequence`.
  void Set(size_t row, const v1::TrajectoryChunk& chunk, uint64_t first_sequence, uint32_t t) {
    const char* obs = chunk.observations().data().data();
    std::memcpy(observations_ + row * obs_bytes_, obs + t * obs_bytes_, obs_bytes_);
    std::memcpy(next_observations_ + row * obs_bytes_, obs + (t + 1) * obs_bytes_, obs_bytes_);
    std::memcpy(actions_ + row * act_bytes_, chunk.actions().data().data() + t * act_bytes_,
                act_bytes_);
    std::memcpy(rewards_ + row * sizeof(float), chunk.rewards().data().data() + t * sizeof(float),
                sizeof(float));
    terminated_[row] = chunk.terminated().data()[t];
    truncated_[row] = chunk.truncated().data()[t];
    const int64_t key = static_cast<int64_t>(first_sequence + t);
    const uint64_t episode = chunk.episode_id();
    std::memcpy(keys_ + row * sizeof(int64_t), &key, sizeof(key));
    std::memcpy(episode_ids_ + row * sizeof(int64_t), &episode, sizeof(episode));
  }

 private:
  const size_t obs_bytes_;
  const size_t act_bytes_;
  char* observations_;
  char* next_observations_;
  char* actions_;
  char* rewards_;
  char* terminated_;
  char* truncated_;
  char* keys_;
  char* episode_ids_;
};

TransitionShape ShapeOf(const v1::TrajectoryChunk& chunk) {
  return {chunk.observations().shape(1), chunk.actions().shape(1)};
}

absl::Status ValidateOptions(const TableOptions& options) {
  if (options.name.empty()) return absl::InvalidArgumentError("a table needs a name");
  MBRL_RETURN_IF_ERROR(RateLimiter::Validate(options.rate_limiter));
  if (options.capacity_transitions > 0 &&
      options.capacity_transitions < options.rate_limiter.min_size_to_sample) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", options.name, "': capacity_transitions (",
                     options.capacity_transitions, ") < min_size_to_sample (",
                     options.rate_limiter.min_size_to_sample, "): sampling could never start"));
  }
  if (!(options.priority_exponent >= 0) || std::isinf(options.priority_exponent)) {
    return absl::InvalidArgumentError(
        absl::StrCat("priority_exponent must be finite and >= 0, got ", options.priority_exponent));
  }
  return absl::OkStatus();
}

}  // namespace

Table::Table(TableOptions options)
    : options_(std::move(options)),
      shape_(options_.shape),
      limiter_(options_.rate_limiter),
      priorities_(options_.capacity_transitions > 0
                      ? std::min<uint64_t>(options_.capacity_transitions, 1 << 16)
                      : 1 << 16) {}

absl::StatusOr<std::unique_ptr<Table>> Table::Create(TableOptions options) {
  MBRL_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<Table> table(new Table(std::move(options)));
  Table& t = *table;
  if (!t.options_.wal.directory.empty()) {
    MBRL_ASSIGN_OR_RETURN(
        t.wal_, WriteAheadLog::Open(
                    t.options_.wal,
                    [&t](uint64_t first_sequence, std::vector<v1::TrajectoryChunk> chunks) {
                      absl::MutexLock lock(&t.mu_);
                      for (v1::TrajectoryChunk& chunk : chunks) {
                        const uint32_t steps = static_cast<uint32_t>(ChunkTransitions(chunk));
                        if (!t.shape_.known()) t.shape_ = ShapeOf(chunk);
                        t.ApplyLocked(first_sequence, std::move(chunk));
                        first_sequence += steps;
                      }
                    },
                    &t.recovery_));
    absl::MutexLock lock(&t.mu_);
    t.end_sequence_ = t.next_sequence_ = std::max(t.end_sequence_, t.recovery_.next_sequence);
    t.limiter_.Restore(t.transitions_);
    t.wal_bytes_ = t.wal_->bytes_written();
    MBRL_LOG(INFO) << "replay table '" << t.name() << "': recovered " << t.transitions_
                   << " transitions (" << t.store_.size() << " chunks; " << t.recovery_.records
                   << " records, " << t.recovery_.bytes << " bytes in " << t.recovery_.segments
                   << " segments) in " << absl::ToDoubleSeconds(t.recovery_.elapsed)
                   << " s; next sequence " << t.next_sequence_ << "; dropped "
                   << t.recovery_.dropped_bytes << " corrupt or torn bytes in "
                   << t.recovery_.dropped_regions << " places";
  }
  t.writer_ = std::thread([&t] { t.WriterLoop(); });
  t.timer_ = std::thread([&t] { t.TimerLoop(); });
  return table;
}

Table::~Table() { Close(); }

void Table::Close() {
  Callbacks callbacks;
  {
    absl::MutexLock lock(&mu_);
    if (!closing_) {
      closing_ = true;
      const absl::Status closed = absl::UnavailableError(
          absl::StrCat("replay table '", name(), "' is shutting down; retry on its restart"));
      for (SampleWaiter& waiter : sample_waiters_) {
        callbacks.push_back([done = std::move(waiter.done), closed] { done(closed); });
      }
      sample_waiters_.clear();
      for (DataWaiter& waiter : data_waiters_) {
        callbacks.push_back([ready = std::move(waiter.ready), closed] { ready(closed); });
      }
      data_waiters_.clear();
      UpdateBlockedLocked();
    }
  }
  for (auto& callback : callbacks) callback();
  if (writer_.joinable()) writer_.join();
  if (timer_.joinable()) timer_.join();
}

void Table::Insert(uint64_t ticket, std::vector<v1::TrajectoryChunk> chunks, InsertDone done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) {
      refused =
          absl::UnavailableError(absl::StrCat("replay table '", name(), "' is shutting down"));
    } else if (!log_failure_.ok()) {
      refused = log_failure_;
    } else {
      pending_.push_back({ticket, std::move(chunks), std::move(done)});
      UpdateBlockedLocked();
      return;
    }
  }
  InsertOutcome outcome;
  outcome.status = refused;
  done(outcome);
}

bool Table::CancelInsert(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->ticket == ticket) {
      pending_.erase(it);
      UpdateBlockedLocked();
      return true;
    }
  }
  return false;
}

bool Table::WriterHasWork() const {
  return closing_ || (!pending_.empty() && (limiter_.CanInsert() || !log_failure_.ok()));
}

void Table::ResolveLocked(GroupEntry& entry, ChunkKeys& group_keys) {
  std::vector<v1::TrajectoryChunk>& chunks = entry.request.chunks;
  if (chunks.empty()) return;
  // Every chunk must match the table's dimensions (or, for an empty table, the first chunk's).
  const TransitionShape expected = shape_.known() ? shape_ : ShapeOf(chunks[0]);
  for (const v1::TrajectoryChunk& chunk : chunks) {
    absl::Status status = CheckShapeMatches(chunk, ShapeOf(chunk), expected, name());
    const uint64_t steps = ChunkTransitions(chunk);
    if (status.ok() && options_.capacity_transitions > 0 && steps > options_.capacity_transitions) {
      status = absl::InvalidArgumentError(
          absl::StrCat(ChunkName(chunk), ": ", steps, " transitions exceed the capacity of table '",
                       name(), "' (", options_.capacity_transitions, ")"));
    }
    if (status.ok() && options_.capacity_bytes > 0 &&
        ChunkPayloadBytes(chunk) > options_.capacity_bytes) {
      status = absl::InvalidArgumentError(absl::StrCat(
          ChunkName(chunk), ": ", ChunkPayloadBytes(chunk), " bytes exceed the capacity of table '",
          name(), "' (", options_.capacity_bytes, " bytes)"));
    }
    if (!status.ok()) {
      entry.outcome.status = status;
      return;
    }
  }
  shape_ = expected;

  // Chunks stored before, or taken earlier in this group (this request included), are
  // duplicates; the others get consecutive sequence numbers.
  entry.first_sequence = next_sequence_;
  uint64_t new_transitions = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const std::pair<uint64_t, uint32_t> key(chunks[i].episode_id(), chunks[i].chunk_index());
    if (stored_keys_.contains(key) || !group_keys.insert(key).second) {
      ++entry.outcome.duplicate_chunks;
      continue;
    }
    entry.new_chunks.push_back(i);
    new_transitions += ChunkTransitions(chunks[i]);
  }
  entry.outcome.stored_chunks = static_cast<uint32_t>(entry.new_chunks.size());
  next_sequence_ += new_transitions;
  limiter_.Inserted(new_transitions);
}

void Table::WriterLoop() {
  while (true) {
    std::vector<GroupEntry> group;
    Callbacks callbacks;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Table::WriterHasWork));
      if (pending_.empty()) {
        if (closing_) return;
        continue;
      }
      if (!log_failure_.ok() || (closing_ && !limiter_.CanInsert())) {
        const absl::Status status =
            !log_failure_.ok() ? log_failure_
                               : absl::UnavailableError(absl::StrCat(
                                     "replay table '", name(),
                                     "' shut down while the rate limiter held this insert"));
        for (PendingInsert& request : pending_) {
          InsertOutcome outcome;
          outcome.status = status;
          callbacks.push_back([done = std::move(request.done), outcome] { done(outcome); });
        }
        pending_.clear();
        UpdateBlockedLocked();
      } else {
        // Take requests while the limiter admits them, up to one group's worth of bytes.
        uint64_t group_bytes = 0;
        ChunkKeys group_keys;
        while (!pending_.empty() && limiter_.CanInsert() &&
               group_bytes < options_.max_group_bytes) {
          GroupEntry& entry = group.emplace_back();
          entry.request = std::move(pending_.front());
          pending_.pop_front();
          ResolveLocked(entry, group_keys);
          for (size_t i : entry.new_chunks) {
            group_bytes += ChunkPayloadBytes(entry.request.chunks[i]);
          }
        }
        UpdateBlockedLocked();
      }
    }
    for (auto& callback : callbacks) callback();
    if (group.empty()) continue;

    // Persist the group outside the lock: one append and one fdatasync for all of it.
    absl::Status written;
    if (wal_ != nullptr) {
      std::string records;
      std::vector<const v1::TrajectoryChunk*> new_chunks;
      for (const GroupEntry& entry : group) {
        if (!entry.outcome.status.ok() || entry.new_chunks.empty()) continue;
        new_chunks.clear();
        for (size_t i : entry.new_chunks) new_chunks.push_back(&entry.request.chunks[i]);
        WriteAheadLog::EncodeRecord(entry.first_sequence, new_chunks, &records);
      }
      if (!records.empty()) {
        written = wal_->Append(group.front().first_sequence, records);
        if (written.ok()) written = wal_->Sync();
      }
    }

    uint64_t first_sequence = 0;
    {
      absl::MutexLock lock(&mu_);
      if (!written.ok()) {
        log_failure_ = absl::UnavailableError(
            absl::StrCat("replay table '", name(), "': its log failed (", written.message(),
                         "); nothing more is stored until the shard restarts"));
        MBRL_LOG(ERROR) << log_failure_.message();
      }
      for (GroupEntry& entry : group) {
        if (entry.outcome.status.ok() && !written.ok()) entry.outcome.status = log_failure_;
        if (entry.outcome.status.ok()) {
          uint64_t sequence = entry.first_sequence;
          for (size_t i : entry.new_chunks) {
            const uint64_t steps = ChunkTransitions(entry.request.chunks[i]);
            inserted_transitions_ += steps;
            ApplyLocked(sequence, std::move(entry.request.chunks[i]));
            sequence += steps;
          }
        }
        entry.outcome.end_sequence = end_sequence_;
      }
      for (GroupEntry& entry : group) {
        callbacks.push_back(
            [done = std::move(entry.request.done), outcome = entry.outcome] { done(outcome); });
      }
      if (wal_ != nullptr) {
        wal_bytes_ = wal_->bytes_written();
        wal_syncs_ = wal_->syncs();
      }
      ServeWaitersLocked(callbacks);
      UpdateBlockedLocked();
      first_sequence = store_.empty() ? end_sequence_ : store_.front().first_sequence;
    }
    for (auto& callback : callbacks) callback();
    if (wal_ != nullptr) {
      if (absl::Status dropped = wal_->DropBefore(first_sequence); !dropped.ok()) {
        MBRL_LOG(WARNING) << "replay table '" << name()
                          << "': cannot delete evicted log segments: " << dropped.message();
      }
    }
  }
}

void Table::ApplyLocked(uint64_t first_sequence, v1::TrajectoryChunk chunk) {
  const uint32_t steps = static_cast<uint32_t>(ChunkTransitions(chunk));
  const uint64_t bytes = ChunkPayloadBytes(chunk);
  stored_keys_.insert({chunk.episode_id(), chunk.chunk_index()});
  const uint64_t front_position = store_.empty() ? end_position_ : store_.front().position;
  priorities_.Grow(end_position_ + steps - front_position, front_position);
  priorities_.SetRange(end_position_, steps, 1.0);  // priority 1 ^ alpha
  store_.push_back({first_sequence, end_position_, steps, bytes, std::move(chunk)});
  end_position_ += steps;
  transitions_ += steps;
  bytes_ += bytes;
  end_sequence_ = std::max(end_sequence_, first_sequence + steps);
  next_sequence_ = std::max(next_sequence_, end_sequence_);
  EvictLocked();
}

void Table::EvictLocked() {
  while (store_.size() > 1 &&
         ((options_.capacity_transitions > 0 && transitions_ > options_.capacity_transitions) ||
          (options_.capacity_bytes > 0 && bytes_ > options_.capacity_bytes))) {
    StoredChunk& oldest = store_.front();
    stored_keys_.erase({oldest.chunk.episode_id(), oldest.chunk.chunk_index()});
    priorities_.SetRange(oldest.position, oldest.transitions, 0.0);
    transitions_ -= oldest.transitions;
    bytes_ -= oldest.bytes;
    store_.pop_front();
  }
}

void Table::UpdateBlockedLocked() {
  const absl::Time now = absl::Now();
  limiter_.SetInsertsBlocked(!pending_.empty() && !limiter_.CanInsert(), now);
  limiter_.SetSamplesBlocked(!sample_waiters_.empty(), now);
}

size_t Table::ChunkAtPositionLocked(uint64_t position) const {
  auto it =
      std::upper_bound(store_.begin(), store_.end(), position,
                       [](uint64_t p, const StoredChunk& chunk) { return p < chunk.position; });
  return static_cast<size_t>(it - store_.begin()) - 1;
}

size_t Table::ChunkAfterSequenceLocked(uint64_t sequence) const {
  auto it = std::upper_bound(
      store_.begin(), store_.end(), sequence,
      [](uint64_t s, const StoredChunk& chunk) { return s < chunk.first_sequence; });
  size_t index = static_cast<size_t>(it - store_.begin());
  if (index > 0) {
    const StoredChunk& previous = store_[index - 1];
    if (sequence < previous.first_sequence + previous.transitions) --index;
  }
  return index;  // store_.size() if nothing ends after `sequence`
}

v1::SampleResponse Table::SampleLocked(const SampleSpec& spec) {
  v1::SampleResponse response;
  response.set_table_transitions(transitions_);
  const uint64_t front = store_.front().position;
  const size_t rows = spec.sampler == v1::SampleRequest::FIFO
                          ? static_cast<size_t>(std::min<uint64_t>(spec.batch_size, transitions_))
                          : spec.batch_size;
  BatchWriter writer(rows, shape_, response.mutable_batch());
  double* probabilities = nullptr;
  const bool prioritized = spec.sampler == v1::SampleRequest::PRIORITIZED;
  const double total = priorities_.total();
  if (prioritized) {
    probabilities =
        reinterpret_cast<double*>(InitTensor(response.mutable_probabilities(), v1::DTYPE_FLOAT64,
                                             {static_cast<int64_t>(rows)}, rows * sizeof(double)));
  }
  for (size_t row = 0; row < rows; ++row) {
    uint64_t position;
    if (spec.sampler == v1::SampleRequest::FIFO) {
      position = end_position_ - 1 - row;
    } else if (prioritized && total > 0) {
      // Rounding can land on a zero (evicted) leaf: draw again (bounded), else fall back to
      // the last live position.
      position = end_position_ - 1;
      for (int attempt = 0; attempt < 16; ++attempt) {
        const uint64_t candidate = priorities_.Find(absl::Uniform(rng_, 0.0, total), front);
        if (candidate >= front && candidate < end_position_ && priorities_.Get(candidate) > 0) {
          position = candidate;
          break;
        }
      }
    } else {
      position = front + absl::Uniform<uint64_t>(rng_, 0, transitions_);
    }
    if (probabilities != nullptr) {
      const double p = priorities_.Get(position);
      probabilities[row] = total > 0 ? p / total : 1.0 / static_cast<double>(transitions_);
    }
    const StoredChunk& stored = store_[ChunkAtPositionLocked(position)];
    writer.Set(row, stored.chunk, stored.first_sequence,
               static_cast<uint32_t>(position - stored.position));
  }
  limiter_.Sampled(rows);
  sampled_transitions_ += rows;
  return response;
}

void Table::Sample(uint64_t ticket, const SampleSpec& spec, absl::Time deadline, SampleDone done) {
  absl::StatusOr<v1::SampleResponse> result;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) {
      result = absl::UnavailableError(absl::StrCat("replay table '", name(), "' is shutting down"));
    } else if (sample_waiters_.empty() && limiter_.CanSample(spec.batch_size, transitions_)) {
      result = SampleLocked(spec);
      UpdateBlockedLocked();
    } else {
      sample_waiters_.push_back({ticket, spec, deadline, absl::Now(), std::move(done)});
      ++waiters_generation_;
      UpdateBlockedLocked();
      return;
    }
  }
  done(std::move(result));
}

bool Table::CancelSample(uint64_t ticket) {
  Callbacks callbacks;
  bool found = false;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = sample_waiters_.begin(); it != sample_waiters_.end(); ++it) {
      if (it->ticket == ticket) {
        sample_waiters_.erase(it);
        found = true;
        break;
      }
    }
    // The next waiter may have been held only by the one that left.
    if (found) ServeWaitersLocked(callbacks);
    UpdateBlockedLocked();
  }
  for (auto& callback : callbacks) callback();
  return found;
}

void Table::ServeWaitersLocked(Callbacks& callbacks) {
  while (!sample_waiters_.empty() &&
         limiter_.CanSample(sample_waiters_.front().spec.batch_size, transitions_)) {
    SampleWaiter waiter = std::move(sample_waiters_.front());
    sample_waiters_.pop_front();
    callbacks.push_back([done = std::move(waiter.done), response = SampleLocked(waiter.spec)] {
      done(std::move(response));
    });
  }
  for (auto it = data_waiters_.begin(); it != data_waiters_.end();) {
    if (it->sequence < end_sequence_) {
      callbacks.push_back([ready = std::move(it->ready)] { ready(absl::OkStatus()); });
      it = data_waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

void Table::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!closing_) {
    absl::Time earliest = absl::InfiniteFuture();
    for (const SampleWaiter& waiter : sample_waiters_)
      earliest = std::min(earliest, waiter.deadline);
    const uint64_t generation = waiters_generation_;
    auto changed = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closing_ || waiters_generation_ != generation;
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), earliest);
    const absl::Time now = absl::Now();
    Callbacks callbacks;
    for (auto it = sample_waiters_.begin(); it != sample_waiters_.end();) {
      if (it->deadline > now) {
        ++it;
        continue;
      }
      const absl::Status late = absl::DeadlineExceededError(absl::StrCat(
          "replay table '", name(), "': the rate limiter held a batch of ", it->spec.batch_size,
          " for ", absl::FormatDuration(now - it->since), " (the table holds ", transitions_,
          " transitions; min_size_to_sample ", limiter_.options().min_size_to_sample,
          "); insert more data or sample less"));
      callbacks.push_back([done = std::move(it->done), late] { done(late); });
      it = sample_waiters_.erase(it);
    }
    if (callbacks.empty()) continue;
    ServeWaitersLocked(callbacks);
    UpdateBlockedLocked();
    mu_.Unlock();
    for (auto& callback : callbacks) callback();
    mu_.Lock();
  }
}

v1::ScanResponse Table::Read(uint64_t start, uint32_t max_transitions) const {
  v1::ScanResponse response;
  absl::ReaderMutexLock lock(&mu_);
  size_t index = ChunkAfterSequenceLocked(start);
  if (index == store_.size() || max_transitions == 0) {
    response.set_first_sequence(end_sequence_);
    response.set_end_sequence(end_sequence_);
    return response;
  }
  const uint64_t first = std::max(start, store_[index].first_sequence);
  // Count the contiguous run first, then copy it.
  uint64_t end = first;
  for (size_t i = index; i < store_.size() && end - first < max_transitions; ++i) {
    const StoredChunk& stored = store_[i];
    if (stored.first_sequence != end && i != index) break;  // a gap: stop at it
    end = std::min<uint64_t>(stored.first_sequence + stored.transitions, first + max_transitions);
  }
  response.set_first_sequence(first);
  response.set_end_sequence(end);
  BatchWriter writer(end - first, shape_, response.mutable_batch());
  size_t row = 0;
  for (size_t i = index; row < end - first; ++i) {
    const StoredChunk& stored = store_[i];
    const uint64_t from = std::max(first, stored.first_sequence);
    const uint64_t to = std::min<uint64_t>(end, stored.first_sequence + stored.transitions);
    for (uint64_t s = from; s < to; ++s) {
      writer.Set(row++, stored.chunk, stored.first_sequence,
                 static_cast<uint32_t>(s - stored.first_sequence));
    }
  }
  return response;
}

void Table::WaitForData(uint64_t ticket, uint64_t sequence, DataReady ready) {
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) {
      status = absl::UnavailableError(absl::StrCat("replay table '", name(), "' is shutting down"));
    } else if (sequence >= end_sequence_) {
      data_waiters_.push_back({ticket, sequence, std::move(ready)});
      return;
    }
  }
  ready(status);
}

bool Table::CancelWait(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  for (auto it = data_waiters_.begin(); it != data_waiters_.end(); ++it) {
    if (it->ticket == ticket) {
      data_waiters_.erase(it);
      return true;
    }
  }
  return false;
}

absl::StatusOr<v1::UpdatePrioritiesResponse> Table::UpdatePriorities(
    absl::Span<const int64_t> keys, absl::Span<const double> priorities) {
  if (keys.size() != priorities.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("keys has ", keys.size(), " entries but priorities has ", priorities.size()));
  }
  for (size_t i = 0; i < priorities.size(); ++i) {
    if (!std::isfinite(priorities[i]) || priorities[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat("priorities: element ", i, " is ",
                                                     priorities[i],
                                                     "; priorities must be finite and >= 0"));
    }
  }
  v1::UpdatePrioritiesResponse response;
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t key = static_cast<uint64_t>(keys[i]);
    const size_t index = keys[i] < 0 ? store_.size() : ChunkAfterSequenceLocked(key);
    if (index == store_.size() || key < store_[index].first_sequence) {
      response.set_unknown_keys(response.unknown_keys() + 1);
      continue;
    }
    const StoredChunk& stored = store_[index];
    priorities_.Set(stored.position + (key - stored.first_sequence),
                    std::pow(priorities[i], options_.priority_exponent));
    response.set_updated(response.updated() + 1);
  }
  return response;
}

TableStats Table::Stats() const {
  TableStats stats;
  absl::ReaderMutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  stats.transitions = transitions_;
  stats.chunks = store_.size();
  stats.bytes = bytes_;
  stats.first_sequence = store_.empty() ? end_sequence_ : store_.front().first_sequence;
  stats.end_sequence = end_sequence_;
  stats.inserted_transitions = inserted_transitions_;
  stats.sampled_transitions = sampled_transitions_;
  stats.insert_blocked_seconds = limiter_.insert_blocked_seconds(now);
  stats.sample_blocked_seconds = limiter_.sample_blocked_seconds(now);
  stats.wal_bytes = wal_bytes_;
  stats.wal_syncs = wal_syncs_;
  stats.recovery = recovery_;
  return stats;
}

void Table::FillInfo(v1::InfoResponse* info) const {
  const TableStats stats = Stats();
  info->set_table(name());
  info->set_transitions(stats.transitions);
  info->set_chunks(stats.chunks);
  info->set_bytes(stats.bytes);
  info->set_capacity_transitions(options_.capacity_transitions);
  info->set_inserts_total(stats.inserted_transitions);
  info->set_samples_total(stats.sampled_transitions);
  info->set_first_sequence(stats.first_sequence);
  info->set_end_sequence(stats.end_sequence);
  info->set_recovery_seconds(absl::ToDoubleSeconds(stats.recovery.elapsed));
  absl::ReaderMutexLock lock(&mu_);
  *info->mutable_rate_limiter() = limiter_.Info(absl::Now());
}

}  // namespace mbrl::replay
