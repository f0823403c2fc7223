#include "services/replay/table.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/replay/synthetic_chunks.h"

namespace mbrl::replay {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kObs = 3;
constexpr int kAct = 2;
constexpr absl::Duration kWait = absl::Seconds(20);  // bound on every wait in these tests

v1::TrajectoryChunk Chunk(uint64_t episode, uint32_t index, uint32_t steps = 10) {
  return MakeSyntheticChunk(episode, index, index * steps, steps, kObs, kAct);
}

// Blocking wrappers over the callback API.
InsertOutcome InsertAndWait(Table& table, std::vector<v1::TrajectoryChunk> chunks) {
  absl::Notification done;
  InsertOutcome result;
  table.Insert(table.NewTicket(), std::move(chunks), [&](const InsertOutcome& outcome) {
    result = outcome;
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  return result;
}

absl::StatusOr<v1::SampleResponse> SampleAndWait(Table& table, v1::SampleRequest::Sampler sampler,
                                                 uint32_t batch,
                                                 absl::Duration timeout = absl::Seconds(5)) {
  absl::Notification done;
  absl::StatusOr<v1::SampleResponse> result;
  table.Sample(table.NewTicket(), {sampler, batch}, absl::Now() + timeout,
               [&](absl::StatusOr<v1::SampleResponse> response) {
                 result = std::move(response);
                 done.Notify();
               });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  return result;
}

std::unique_ptr<Table> MakeTable(TableOptions options = TableOptions()) {
  absl::StatusOr<std::unique_ptr<Table>> table = Table::Create(std::move(options));
  EXPECT_THAT(table, IsOk());
  return table.ok() ? std::move(*table) : nullptr;
}

std::vector<int64_t> Keys(const v1::TransitionBatch& batch) {
  absl::Span<const int64_t> keys = *TensorData<int64_t>(batch.keys(), "keys");
  return {keys.begin(), keys.end()};
}

TEST(TableTest, InsertThenReadAndSampleRoundTrip) {
  std::unique_ptr<Table> table = MakeTable();
  InsertOutcome outcome = InsertAndWait(*table, {Chunk(7, 0), Chunk(7, 1), Chunk(9, 0, 5)});
  ASSERT_THAT(outcome.status, IsOk());
  EXPECT_EQ(outcome.stored_chunks, 3u);
  EXPECT_EQ(outcome.duplicate_chunks, 0u);
  EXPECT_EQ(outcome.end_sequence, 25u);

  // Scan: everything in order, in pieces of at most 8.
  std::vector<int64_t> keys;
  for (uint64_t next = 0; next < 25;) {
    v1::ScanResponse response = table->Read(next, 8);
    ASSERT_EQ(response.first_sequence(), next);
    ASSERT_LE(response.end_sequence() - response.first_sequence(), 8u);
    ASSERT_THAT(CheckSyntheticBatch(response.batch()), IsOk());
    for (int64_t key : Keys(response.batch())) keys.push_back(key);
    next = response.end_sequence();
  }
  ASSERT_EQ(keys.size(), 25u);
  for (int64_t i = 0; i < 25; ++i) EXPECT_EQ(keys[i], i);
  // Caught up: an empty batch at the end.
  v1::ScanResponse end = table->Read(25, 8);
  EXPECT_EQ(end.first_sequence(), 25u);
  EXPECT_EQ(end.end_sequence(), 25u);

  for (auto sampler : {v1::SampleRequest::UNIFORM, v1::SampleRequest::PRIORITIZED}) {
    absl::StatusOr<v1::SampleResponse> sample = SampleAndWait(*table, sampler, 64);
    ASSERT_THAT(sample, IsOk());
    EXPECT_EQ(sample->table_transitions(), 25u);
    EXPECT_THAT(CheckSyntheticBatch(sample->batch()), IsOk());
    EXPECT_EQ(sample->batch().observations().shape(0), 64);
    EXPECT_EQ(sample->batch().observations().shape(1), kObs);
    EXPECT_EQ(sample->batch().actions().shape(1), kAct);
    for (int64_t key : Keys(sample->batch())) {
      EXPECT_GE(key, 0);
      EXPECT_LT(key, 25);
    }
  }
  // FIFO: the newest first, at most what is stored.
  absl::StatusOr<v1::SampleResponse> fifo = SampleAndWait(*table, v1::SampleRequest::FIFO, 40);
  ASSERT_THAT(fifo, IsOk());
  std::vector<int64_t> fifo_keys = Keys(fifo->batch());
  ASSERT_EQ(fifo_keys.size(), 25u);
  for (int64_t i = 0; i < 25; ++i) EXPECT_EQ(fifo_keys[i], 24 - i);

  const TableStats stats = table->Stats();
  EXPECT_EQ(stats.transitions, 25u);
  EXPECT_EQ(stats.chunks, 3u);
  EXPECT_EQ(stats.inserted_transitions, 25u);
  EXPECT_EQ(stats.sampled_transitions, 64u + 64u + 25u);
  EXPECT_GT(stats.bytes, 25u * (kObs + kAct + 1) * 4);
}

TEST(TableTest, ReinsertIsIdempotent) {
  std::unique_ptr<Table> table = MakeTable();
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 0), Chunk(1, 1)}).status, IsOk());
  InsertOutcome again = InsertAndWait(*table, {Chunk(1, 1), Chunk(1, 2)});
  ASSERT_THAT(again.status, IsOk());
  EXPECT_EQ(again.stored_chunks, 1u);
  EXPECT_EQ(again.duplicate_chunks, 1u);
  EXPECT_EQ(again.end_sequence, 30u);
  // Duplicates inside one request, and across requests that are queued together.
  InsertOutcome twice = InsertAndWait(*table, {Chunk(2, 0), Chunk(2, 0)});
  EXPECT_EQ(twice.stored_chunks, 1u);
  EXPECT_EQ(twice.duplicate_chunks, 1u);
  absl::Notification first, second;
  InsertOutcome a, b;
  table->Insert(table->NewTicket(), {Chunk(3, 0)}, [&](const InsertOutcome& o) {
    a = o;
    first.Notify();
  });
  table->Insert(table->NewTicket(), {Chunk(3, 0)}, [&](const InsertOutcome& o) {
    b = o;
    second.Notify();
  });
  ASSERT_TRUE(first.WaitForNotificationWithTimeout(kWait));
  ASSERT_TRUE(second.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(a.stored_chunks + b.stored_chunks, 1u);
  EXPECT_EQ(a.duplicate_chunks + b.duplicate_chunks, 1u);
  EXPECT_EQ(table->Stats().transitions, 50u);
  EXPECT_EQ(table->Stats().end_sequence, 50u);
}

TEST(TableTest, ShapeMismatchStoresNothingOfTheRequest) {
  std::unique_ptr<Table> table = MakeTable();
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 0)}).status, IsOk());
  InsertOutcome bad =
      InsertAndWait(*table, {Chunk(2, 0), MakeSyntheticChunk(2, 1, 10, 10, kObs + 1, kAct)});
  EXPECT_THAT(bad.status, StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("do not match table 'real' (obs_dim 3, act_dim 2)")));
  EXPECT_EQ(table->Stats().transitions, 10u);
  // Mixed shapes inside the very first request are caught too.
  std::unique_ptr<Table> fresh = MakeTable();
  EXPECT_THAT(InsertAndWait(*fresh, {Chunk(1, 0), MakeSyntheticChunk(1, 1, 10, 10, 4, 1)}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(fresh->Stats().transitions, 0u);
}

TEST(TableTest, EvictsOldestChunksByTransitionsAndBytes) {
  TableOptions options;
  options.capacity_transitions = 25;
  std::unique_ptr<Table> table = MakeTable(options);
  for (uint32_t i = 0; i < 5; ++i) ASSERT_THAT(InsertAndWait(*table, {Chunk(4, i)}).status, IsOk());
  TableStats stats = table->Stats();
  EXPECT_EQ(stats.transitions, 20u);  // 50 inserted; whole chunks evicted down to <= 25
  EXPECT_EQ(stats.chunks, 2u);
  EXPECT_EQ(stats.first_sequence, 30u);
  EXPECT_EQ(stats.end_sequence, 50u);
  // A scan from an evicted sequence starts at the oldest stored one (the gap shows).
  v1::ScanResponse response = table->Read(0, 100);
  EXPECT_EQ(response.first_sequence(), 30u);
  EXPECT_EQ(response.end_sequence(), 50u);
  // Evicted chunks can be stored again (idempotence covers stored chunks).
  EXPECT_EQ(InsertAndWait(*table, {Chunk(4, 0)}).stored_chunks, 1u);
  // A chunk larger than the table is refused.
  EXPECT_THAT(InsertAndWait(*table, {Chunk(5, 0, 26)}).status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceed the capacity")));

  TableOptions by_bytes;
  const uint64_t chunk_bytes = ChunkPayloadBytes(Chunk(1, 0));
  by_bytes.capacity_bytes = 3 * chunk_bytes;
  std::unique_ptr<Table> small = MakeTable(by_bytes);
  for (uint32_t i = 0; i < 5; ++i) ASSERT_THAT(InsertAndWait(*small, {Chunk(6, i)}).status, IsOk());
  EXPECT_EQ(small->Stats().chunks, 3u);
  EXPECT_EQ(small->Stats().bytes, 3 * chunk_bytes);
}

TEST(TableTest, SamplingWaitsForMinSizeAndTimesOut) {
  TableOptions options;
  options.rate_limiter.min_size_to_sample = 15;
  std::unique_ptr<Table> table = MakeTable(options);
  EXPECT_THAT(SampleAndWait(*table, v1::SampleRequest::UNIFORM, 4, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("rate limiter")));

  absl::Notification sampled;
  absl::StatusOr<v1::SampleResponse> result;
  table->Sample(table->NewTicket(), {v1::SampleRequest::UNIFORM, 4}, absl::Now() + kWait,
                [&](absl::StatusOr<v1::SampleResponse> r) {
                  result = std::move(r);
                  sampled.Notify();
                });
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 0)}).status, IsOk());
  EXPECT_FALSE(sampled.HasBeenNotified());  // 10 < 15
  v1::InfoResponse info;
  table->FillInfo(&info);
  EXPECT_TRUE(info.rate_limiter().samples_blocked());
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 1)}).status, IsOk());
  ASSERT_TRUE(sampled.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(result, IsOk());
  table->FillInfo(&info);
  EXPECT_FALSE(info.rate_limiter().samples_blocked());
  EXPECT_GT(info.rate_limiter().blocked_seconds_total(), 0);
}

TEST(TableTest, SamplesPerInsertHoldsInsertsUntilSampled) {
  TableOptions options;
  // One sampled transition per inserted one, within +-10, from 10 transitions on.
  options.rate_limiter = RateLimiterOptions::SampleToInsertRatio(1.0, 10, 10.0);
  std::unique_ptr<Table> table = MakeTable(options);
  // An insert may start while diff <= max_diff (it may overshoot by one chunk).
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 0)}).status, IsOk());  // diff 0 -> 10
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 1)}).status, IsOk());  // diff 10 -> 20
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 2)}).status, IsOk());  // diff 20 -> 30
  absl::Notification inserted;
  table->Insert(table->NewTicket(), {Chunk(1, 3)},
                [&](const InsertOutcome&) { inserted.Notify(); });
  // diff 30 > 20: held until 10 transitions are sampled.
  EXPECT_FALSE(inserted.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  v1::InfoResponse info;
  table->FillInfo(&info);
  EXPECT_TRUE(info.rate_limiter().inserts_blocked());
  ASSERT_THAT(SampleAndWait(*table, v1::SampleRequest::UNIFORM, 5), IsOk());  // diff 25
  EXPECT_FALSE(inserted.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  ASSERT_THAT(SampleAndWait(*table, v1::SampleRequest::UNIFORM, 5), IsOk());  // diff 20
  ASSERT_TRUE(inserted.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(table->Stats().transitions, 40u);
  EXPECT_GE(table->Stats().insert_blocked_seconds, 0.1);
  // Sampling may not run ahead of inserts either: diff 30 - 31 < min_diff 0.
  EXPECT_THAT(SampleAndWait(*table, v1::SampleRequest::UNIFORM, 31, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(TableTest, RejectsRateLimiterOptionsThatWouldDeadlock) {
  TableOptions options;
  options.rate_limiter.min_size_to_sample = 100;
  options.rate_limiter.max_diff = 50;
  EXPECT_THAT(Table::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("inserts would stop")));
  options = TableOptions();
  options.rate_limiter.samples_per_insert = 0;
  EXPECT_THAT(Table::Create(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options = TableOptions();
  options.capacity_transitions = 10;
  options.rate_limiter.min_size_to_sample = 20;
  EXPECT_THAT(Table::Create(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TableTest, PrioritiesShapeTheDistribution) {
  TableOptions options;
  options.priority_exponent = 1.0;
  std::unique_ptr<Table> table = MakeTable(options);
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 0), Chunk(1, 1)}).status, IsOk());
  // Key 3 gets priority 81, every other key 1 (total 100): p(3) = 0.81.
  std::vector<int64_t> keys;
  std::vector<double> priorities;
  for (int64_t k = 0; k < 20; ++k) {
    keys.push_back(k);
    priorities.push_back(k == 3 ? 81.0 : 1.0);
  }
  keys.push_back(1000);  // unknown
  priorities.push_back(5.0);
  absl::StatusOr<v1::UpdatePrioritiesResponse> updated = table->UpdatePriorities(keys, priorities);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->updated(), 20u);
  EXPECT_EQ(updated->unknown_keys(), 1u);

  absl::StatusOr<v1::SampleResponse> sample =
      SampleAndWait(*table, v1::SampleRequest::PRIORITIZED, 2000);
  ASSERT_THAT(sample, IsOk());
  std::vector<int64_t> drawn = Keys(sample->batch());
  absl::Span<const double> probabilities =
      *TensorData<double>(sample->probabilities(), "probabilities");
  int threes = 0;
  for (size_t i = 0; i < drawn.size(); ++i) {
    if (drawn[i] == 3) {
      ++threes;
      EXPECT_NEAR(probabilities[i], 0.81, 1e-12);
    } else {
      EXPECT_NEAR(probabilities[i], 0.01, 1e-12);
    }
  }
  EXPECT_NEAR(threes / 2000.0, 0.81, 0.05);  // binomial sd ~0.009

  // Bad priorities change nothing.
  EXPECT_THAT(table->UpdatePriorities(std::vector<int64_t>{3}, std::vector<double>{-1.0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(table->UpdatePriorities(std::vector<int64_t>{3}, std::vector<double>{NAN}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // All-zero priorities except one: only that one is drawn.
  std::vector<double> zeros(20, 0.0);
  zeros[17] = 2.0;
  keys.pop_back();
  ASSERT_THAT(table->UpdatePriorities(keys, zeros), IsOk());
  sample = SampleAndWait(*table, v1::SampleRequest::PRIORITIZED, 100);
  ASSERT_THAT(sample, IsOk());
  for (int64_t key : Keys(sample->batch())) EXPECT_EQ(key, 17);
}

TEST(TableTest, ScanFollowersAreWokenByNewData) {
  std::unique_ptr<Table> table = MakeTable();
  absl::Notification ready;
  absl::Status status;
  table->WaitForData(table->NewTicket(), 0, [&](const absl::Status& s) {
    status = s;
    ready.Notify();
  });
  EXPECT_FALSE(ready.HasBeenNotified());
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 0)}).status, IsOk());
  ASSERT_TRUE(ready.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(status, IsOk());
  // Already there: inline.
  bool inline_ready = false;
  table->WaitForData(table->NewTicket(), 9, [&](const absl::Status&) { inline_ready = true; });
  EXPECT_TRUE(inline_ready);
  // Cancelled: never called.
  const uint64_t ticket = table->NewTicket();
  table->WaitForData(ticket, 10, [](const absl::Status&) { ADD_FAILURE() << "called"; });
  EXPECT_TRUE(table->CancelWait(ticket));
  EXPECT_FALSE(table->CancelWait(ticket));
  ASSERT_THAT(InsertAndWait(*table, {Chunk(1, 1)}).status, IsOk());
}

TEST(TableTest, CloseFailsWaitersAndLaterCalls) {
  TableOptions options;
  options.rate_limiter.min_size_to_sample = 100;
  std::unique_ptr<Table> table = MakeTable(options);
  absl::Notification sampled, waited;
  absl::Status sample_status, wait_status;
  table->Sample(table->NewTicket(), {v1::SampleRequest::UNIFORM, 1}, absl::Now() + kWait,
                [&](absl::StatusOr<v1::SampleResponse> r) {
                  sample_status = r.status();
                  sampled.Notify();
                });
  table->WaitForData(table->NewTicket(), 0, [&](const absl::Status& s) {
    wait_status = s;
    waited.Notify();
  });
  table->Close();
  ASSERT_TRUE(sampled.HasBeenNotified());
  ASSERT_TRUE(waited.HasBeenNotified());
  EXPECT_THAT(sample_status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(wait_status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(InsertAndWait(*table, {Chunk(1, 0)}).status,
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(TableTest, DurableTableComesBackAfterReopen) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/durable";
  TableOptions options;
  options.wal.directory = dir;
  options.wal.segment_bytes = 1024;  // a few chunks per segment
  options.capacity_transitions = 200;
  {
    std::unique_ptr<Table> table = MakeTable(options);
    for (uint32_t i = 0; i < 30; ++i) {
      ASSERT_THAT(InsertAndWait(*table, {Chunk(11, i)}).status, IsOk());
    }
    EXPECT_EQ(table->Stats().transitions, 200u);
    EXPECT_GT(table->Stats().wal_syncs, 0u);
  }
  // Evicted segments were deleted: far fewer than 30 chunks' worth remain on disk.
  std::unique_ptr<Table> reopened = MakeTable(options);
  const TableStats stats = reopened->Stats();
  EXPECT_EQ(stats.transitions, 200u);
  EXPECT_EQ(stats.first_sequence, 100u);
  EXPECT_EQ(stats.end_sequence, 300u);
  EXPECT_EQ(stats.recovery.dropped_bytes, 0u);
  EXPECT_LT(stats.recovery.chunks, 30u);
  v1::ScanResponse all = reopened->Read(0, 1000);
  EXPECT_EQ(all.first_sequence(), 100u);
  EXPECT_EQ(all.end_sequence(), 300u);
  EXPECT_THAT(CheckSyntheticBatch(all.batch()), IsOk());
  // Idempotence survives the restart, and new data continues the sequence.
  EXPECT_EQ(InsertAndWait(*reopened, {Chunk(11, 29)}).duplicate_chunks, 1u);
  EXPECT_EQ(InsertAndWait(*reopened, {Chunk(11, 30)}).end_sequence, 310u);
}

}  // namespace
}  // namespace mbrl::replay
