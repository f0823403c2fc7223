#include "services/replay/wal.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/replay/synthetic_chunks.h"

namespace mbrl::replay {
namespace {

using ::mbrl::testing::IsOk;

struct Recovered {
  std::vector<uint64_t> first_sequences;
  std::vector<uint64_t> episodes;  // of every chunk, in order
};

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    options_.directory = dir_;
  }

  std::unique_ptr<WriteAheadLog> Open(Recovered* recovered, WalRecoveryStats* stats) {
    absl::StatusOr<std::unique_ptr<WriteAheadLog>> wal = WriteAheadLog::Open(
        options_,
        [recovered](uint64_t first_sequence, std::vector<v1::TrajectoryChunk> chunks) {
          recovered->first_sequences.push_back(first_sequence);
          for (const v1::TrajectoryChunk& chunk : chunks) {
            EXPECT_EQ(chunk.SerializeAsString(),
                      MakeSyntheticChunk(chunk.episode_id(), 0, 0, 4, 2, 1).SerializeAsString());
            recovered->episodes.push_back(chunk.episode_id());
          }
        },
        stats);
    EXPECT_THAT(wal, IsOk());
    return wal.ok() ? std::move(*wal) : nullptr;
  }

  // Appends one record per episode (one 4-step chunk each) and syncs.
  static void Write(WriteAheadLog& wal, uint64_t first_sequence, std::vector<uint64_t> episodes) {
    for (uint64_t episode : episodes) {
      const v1::TrajectoryChunk chunk = MakeSyntheticChunk(episode, 0, 0, 4, 2, 1);
      const v1::TrajectoryChunk* chunks[] = {&chunk};
      std::string record;
      WriteAheadLog::EncodeRecord(first_sequence, chunks, &record);
      ASSERT_THAT(wal.Append(first_sequence, record), IsOk());
      first_sequence += 4;
    }
    ASSERT_THAT(wal.Sync(), IsOk());
  }

  std::vector<std::string> Segments() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
  WalOptions options_;
};

TEST_F(WalTest, RecoversEveryRecordInOrder) {
  WalRecoveryStats stats;
  Recovered first;
  {
    std::unique_ptr<WriteAheadLog> wal = Open(&first, &stats);
    EXPECT_EQ(stats.next_sequence, 0u);
    Write(*wal, 0, {1, 2, 3});
    EXPECT_EQ(wal->syncs(), 1u);
  }
  Recovered second;
  std::unique_ptr<WriteAheadLog> wal = Open(&second, &stats);
  EXPECT_EQ(second.first_sequences, (std::vector<uint64_t>{0, 4, 8}));
  EXPECT_EQ(second.episodes, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(stats.records, 3u);
  EXPECT_EQ(stats.next_sequence, 12u);
  EXPECT_EQ(stats.dropped_bytes, 0u);
  // The next session appends to a new segment that continues the sequence.
  Write(*wal, 12, {4});
  wal.reset();
  Recovered third;
  Open(&third, &stats);
  EXPECT_EQ(third.episodes, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(stats.next_sequence, 16u);
}

TEST_F(WalTest, DropsATornTailAndServesWhatCameBefore) {
  WalRecoveryStats stats;
  Recovered ignored;
  std::string last_segment;
  {
    std::unique_ptr<WriteAheadLog> wal = Open(&ignored, &stats);
    Write(*wal, 0, {1, 2, 3});
    last_segment = Segments().back();
  }
  // Cut the last record in half, as a crash in the middle of write() would.
  const uint64_t size = std::filesystem::file_size(last_segment);
  std::filesystem::resize_file(last_segment, size - 30);
  Recovered recovered;
  Open(&recovered, &stats);
  EXPECT_EQ(recovered.episodes, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(stats.dropped_regions, 1u);
  EXPECT_GT(stats.dropped_bytes, 0u);
  EXPECT_EQ(stats.next_sequence, 8u);
  // The file was cut back: a second recovery finds nothing more to drop.
  Recovered again;
  Open(&again, &stats);
  EXPECT_EQ(again.episodes, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(stats.dropped_bytes, 0u);
}

TEST_F(WalTest, DetectsCorruptionByChecksum) {
  WalRecoveryStats stats;
  Recovered ignored;
  std::string segment;
  {
    std::unique_ptr<WriteAheadLog> wal = Open(&ignored, &stats);
    Write(*wal, 0, {1, 2, 3});
    segment = Segments().back();
  }
  // Flip one byte inside the second record's payload (a silent disk error).
  std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
  const uint64_t size = std::filesystem::file_size(segment);
  const uint64_t record = (size - 20) / 3;
  file.seekp(20 + record + record / 2);
  char byte;
  file.read(&byte, 1);
  file.seekp(20 + record + record / 2);
  byte ^= 0x40;
  file.write(&byte, 1);
  file.close();
  Recovered recovered;
  Open(&recovered, &stats);
  EXPECT_EQ(recovered.episodes, (std::vector<uint64_t>{1}));  // never a corrupt record
  EXPECT_EQ(stats.dropped_regions, 1u);
  EXPECT_EQ(stats.dropped_bytes, 2 * record);
}

TEST_F(WalTest, GarbageAfterTheLastRecordIsDropped) {
  WalRecoveryStats stats;
  Recovered ignored;
  std::string segment;
  {
    std::unique_ptr<WriteAheadLog> wal = Open(&ignored, &stats);
    Write(*wal, 0, {1});
    segment = Segments().back();
  }
  std::ofstream(segment, std::ios::app | std::ios::binary) << std::string(100, '\xab');
  // A segment whose header was torn is removed.
  std::ofstream(dir_ + "/wal-00000000000000000099.log", std::ios::binary) << "MBRL";
  Recovered recovered;
  Open(&recovered, &stats);
  EXPECT_EQ(recovered.episodes, (std::vector<uint64_t>{1}));
  EXPECT_EQ(stats.dropped_regions, 2u);
  EXPECT_EQ(stats.dropped_bytes, 104u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/wal-00000000000000000099.log"));
}

TEST_F(WalTest, RollsSegmentsAndDeletesEvictedOnes) {
  options_.segment_bytes = 300;
  WalRecoveryStats stats;
  Recovered ignored;
  std::unique_ptr<WriteAheadLog> wal = Open(&ignored, &stats);
  Write(*wal, 0, {1, 2, 3, 4, 5, 6, 7, 8});
  const size_t segments = wal->segment_count();
  ASSERT_GE(segments, 3u);
  ASSERT_THAT(wal->DropBefore(0), IsOk());
  EXPECT_EQ(wal->segment_count(), segments);
  ASSERT_THAT(wal->DropBefore(1000), IsOk());  // everything evicted: only the current remains
  EXPECT_EQ(wal->segment_count(), 1u);
  EXPECT_EQ(Segments().size(), 1u);
  wal.reset();
  Recovered recovered;
  Open(&recovered, &stats);
  ASSERT_FALSE(recovered.episodes.empty());
  EXPECT_EQ(recovered.episodes.back(), 8u);
  EXPECT_EQ(stats.next_sequence, 32u);
}

}  // namespace
}  // namespace mbrl::replay
