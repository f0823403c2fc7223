#include "services/replay/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "services/replay/chunk_validation.h"

namespace mbrl::replay {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'R', 'L', 'W', 'A', 'L', '1'};
constexpr size_t kSegmentHeaderBytes = 20;
constexpr size_t kRecordHeaderBytes = 12;
constexpr absl::string_view kSegmentPrefix = "wal-";
constexpr absl::string_view kSegmentSuffix = ".log";

uint32_t Crc32(absl::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

template <typename T>
void PutLittleEndian(T value, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86-64 and arm64 are little-endian
  out->append(bytes, sizeof(T));
}

template <typename T>
T GetLittleEndian(const char* data) {
  T value;
  std::memcpy(&value, data, sizeof(T));
  return value;
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " '", path, "': ", std::strerror(errno)));
}

std::string SegmentPath(const std::string& directory, uint64_t start_sequence) {
  return absl::StrFormat("%s/%s%020u%s", directory, kSegmentPrefix, start_sequence, kSegmentSuffix);
}

absl::Status WriteAll(int fd, absl::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return ErrnoError("cannot open", path);
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) return ErrnoError("cannot read", path);
  return std::move(contents).str();
}

// Why the record at the start of `data` is not intact, or OK with its parts filled in.
absl::Status ParseRecord(absl::string_view data, size_t* record_bytes, uint64_t* first_sequence,
                         std::vector<v1::TrajectoryChunk>* chunks) {
  if (data.size() < kRecordHeaderBytes) return absl::DataLossError("torn record header");
  const uint32_t payload_bytes = GetLittleEndian<uint32_t>(data.data());
  const uint32_t payload_crc = GetLittleEndian<uint32_t>(data.data() + 4);
  if (Crc32(data.substr(0, 8)) != GetLittleEndian<uint32_t>(data.data() + 8)) {
    return absl::DataLossError("corrupt record header (checksum mismatch)");
  }
  if (payload_bytes > data.size() - kRecordHeaderBytes) {
    return absl::DataLossError(absl::StrCat("torn record (", payload_bytes, " payload bytes, ",
                                            data.size() - kRecordHeaderBytes, " present)"));
  }
  absl::string_view payload = data.substr(kRecordHeaderBytes, payload_bytes);
  if (Crc32(payload) != payload_crc) {
    return absl::DataLossError("corrupt record (payload checksum mismatch)");
  }
  if (payload.size() < 12) return absl::DataLossError("record payload too short");
  *first_sequence = GetLittleEndian<uint64_t>(payload.data());
  const uint32_t count = GetLittleEndian<uint32_t>(payload.data() + 8);
  payload.remove_prefix(12);
  chunks->clear();
  for (uint32_t i = 0; i < count; ++i) {
    if (payload.size() < 4) return absl::DataLossError("record payload truncated");
    const uint32_t bytes = GetLittleEndian<uint32_t>(payload.data());
    payload.remove_prefix(4);
    if (bytes > payload.size()) return absl::DataLossError("record payload truncated");
    v1::TrajectoryChunk& chunk = chunks->emplace_back();
    if (!chunk.ParseFromArray(payload.data(), static_cast<int>(bytes))) {
      return absl::DataLossError("unparsable chunk in record");
    }
    payload.remove_prefix(bytes);
  }
  if (!payload.empty() || count == 0) return absl::DataLossError("malformed record payload");
  *record_bytes = kRecordHeaderBytes + payload_bytes;
  return absl::OkStatus();
}

}  // namespace

void WriteAheadLog::EncodeRecord(uint64_t first_sequence,
                                 absl::Span<const v1::TrajectoryChunk* const> chunks,
                                 std::string* out) {
  size_t payload_bytes = 12;
  std::vector<size_t> sizes;
  sizes.reserve(chunks.size());
  for (const v1::TrajectoryChunk* chunk : chunks) {
    sizes.push_back(chunk->ByteSizeLong());
    payload_bytes += 4 + sizes.back();
  }
  const size_t record_start = out->size();
  out->resize(record_start + kRecordHeaderBytes);  // filled in below
  const size_t payload_start = out->size();
  out->reserve(payload_start + payload_bytes);
  PutLittleEndian<uint64_t>(first_sequence, out);
  PutLittleEndian<uint32_t>(static_cast<uint32_t>(chunks.size()), out);
  for (size_t i = 0; i < chunks.size(); ++i) {
    PutLittleEndian<uint32_t>(static_cast<uint32_t>(sizes[i]), out);
    const size_t at = out->size();
    out->resize(at + sizes[i]);
    chunks[i]->SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&(*out)[at]));
  }
  std::string header;
  PutLittleEndian<uint32_t>(static_cast<uint32_t>(payload_bytes), &header);
  PutLittleEndian<uint32_t>(Crc32(absl::string_view(*out).substr(payload_start)), &header);
  PutLittleEndian<uint32_t>(Crc32(header), &header);
  std::memcpy(&(*out)[record_start], header.data(), kRecordHeaderBytes);
}

absl::StatusOr<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(const WalOptions& options,
                                                                   const RecordFn& apply,
                                                                   WalRecoveryStats* stats) {
  const absl::Time start = absl::Now();
  *stats = WalRecoveryStats();
  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create '", options.directory, "': ", error.message()));
  }
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const auto& entry : std::filesystem::directory_iterator(options.directory, error)) {
    const std::string name = entry.path().filename().string();
    uint64_t sequence;
    if (absl::StartsWith(name, kSegmentPrefix) && absl::EndsWith(name, kSegmentSuffix) &&
        absl::SimpleAtoi(
            absl::string_view(name).substr(
                kSegmentPrefix.size(), name.size() - kSegmentPrefix.size() - kSegmentSuffix.size()),
            &sequence)) {
      found.emplace_back(sequence, entry.path().string());
    }
  }
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot list '", options.directory, "': ", error.message()));
  }
  std::sort(found.begin(), found.end());

  std::unique_ptr<WriteAheadLog> wal(new WriteAheadLog(options));
  uint64_t next_sequence = 0;
  std::vector<v1::TrajectoryChunk> chunks;
  for (const auto& [name_sequence, path] : found) {
    MBRL_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
    const absl::string_view view(data);
    // A segment without an intact header holds nothing we can trust: it was being created.
    if (view.size() < kSegmentHeaderBytes || std::memcmp(view.data(), kMagic, 8) != 0 ||
        Crc32(view.substr(0, 16)) != GetLittleEndian<uint32_t>(view.data() + 16)) {
      MBRL_LOG(WARNING) << "replay WAL: removing segment " << path
                        << " with a torn or corrupt header (" << view.size() << " bytes)";
      if (!view.empty()) {
        ++stats->dropped_regions;
        stats->dropped_bytes += view.size();
      }
      if (unlink(path.c_str()) != 0) return ErrnoError("cannot remove", path);
      continue;
    }
    const uint64_t segment_start = GetLittleEndian<uint64_t>(view.data() + 8);
    next_sequence = std::max(next_sequence, segment_start);
    size_t offset = kSegmentHeaderBytes;
    while (offset < view.size()) {
      size_t record_bytes = 0;
      uint64_t first_sequence = 0;
      absl::Status record =
          ParseRecord(view.substr(offset), &record_bytes, &first_sequence, &chunks);
      if (record.ok() && first_sequence < next_sequence) {
        record = absl::DataLossError(
            absl::StrCat("record sequence ", first_sequence, " goes back before ", next_sequence));
      }
      if (!record.ok()) {
        const bool last_segment = path == found.back().second;
        MBRL_LOG(WARNING) << "replay WAL: dropping " << view.size() - offset << " bytes at offset "
                          << offset << " of " << path << ": " << record.message()
                          << (last_segment ? " (a torn tail from a crash)"
                                           : " (in an older segment: data lost)");
        ++stats->dropped_regions;
        stats->dropped_bytes += view.size() - offset;
        const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ftruncate(fd, static_cast<off_t>(offset)) != 0 || fdatasync(fd) != 0) {
          const absl::Status status = ErrnoError("cannot truncate", path);
          if (fd >= 0) close(fd);
          return status;
        }
        close(fd);
        break;
      }
      uint64_t transitions = 0;
      for (const v1::TrajectoryChunk& chunk : chunks) transitions += ChunkTransitions(chunk);
      ++stats->records;
      stats->chunks += chunks.size();
      stats->bytes += record_bytes;
      next_sequence = first_sequence + transitions;
      apply(first_sequence, std::move(chunks));
      chunks.clear();
      offset += record_bytes;
    }
    ++stats->segments;
    wal->segments_.push_back({segment_start, path});
  }
  stats->next_sequence = next_sequence;
  MBRL_RETURN_IF_ERROR(wal->StartSegment(next_sequence));
  stats->elapsed = absl::Now() - start;
  return wal;
}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ >= 0) close(fd_);
}

absl::Status WriteAheadLog::StartSegment(uint64_t start_sequence) {
  if (fd_ >= 0) {
    MBRL_RETURN_IF_ERROR(Sync());
    close(fd_);
    fd_ = -1;
  }
  const std::string path = SegmentPath(options_.directory, start_sequence);
  // A segment already named after `start_sequence` holds no record (each record would have
  // moved the next sequence past it): it is safe to start it afresh.
  if (!segments_.empty() && segments_.back().path == path) segments_.pop_back();
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError("cannot create", path);
  std::string header(kMagic, sizeof(kMagic));
  PutLittleEndian<uint64_t>(start_sequence, &header);
  PutLittleEndian<uint32_t>(Crc32(header), &header);
  MBRL_RETURN_IF_ERROR(WriteAll(fd_, header, path));
  if (options_.sync && fdatasync(fd_) != 0) return ErrnoError("cannot sync", path);
  segments_.push_back({start_sequence, path});
  segment_size_ = header.size();
  bytes_written_ += header.size();
  return SyncDirectory();
}

absl::Status WriteAheadLog::SyncDirectory() {
  if (!options_.sync) return absl::OkStatus();
  const int fd = open(options_.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", options_.directory);
  const int result = fsync(fd);
  close(fd);
  if (result != 0) return ErrnoError("cannot sync", options_.directory);
  return absl::OkStatus();
}

absl::Status WriteAheadLog::Append(uint64_t first_sequence, absl::string_view records) {
  if (segment_size_ >= options_.segment_bytes) {
    MBRL_RETURN_IF_ERROR(StartSegment(first_sequence));
  }
  const std::string& path = segments_.back().path;
  if (absl::Status status = WriteAll(fd_, records, path); !status.ok()) {
    // Cut the partial record off so later appends follow the last complete one.
    if (ftruncate(fd_, static_cast<off_t>(segment_size_)) != 0 ||
        lseek(fd_, static_cast<off_t>(segment_size_), SEEK_SET) < 0) {
      MBRL_LOG(ERROR) << "replay WAL: cannot cut back " << path
                      << " after a failed write: " << std::strerror(errno);
    }
    return status;
  }
  segment_size_ += records.size();
  bytes_written_ += records.size();
  dirty_ = true;
  return absl::OkStatus();
}

absl::Status WriteAheadLog::Sync() {
  if (!dirty_) return absl::OkStatus();
  if (options_.sync && fdatasync(fd_) != 0) return ErrnoError("cannot sync", segments_.back().path);
  ++syncs_;
  dirty_ = false;
  return absl::OkStatus();
}

absl::Status WriteAheadLog::DropBefore(uint64_t sequence) {
  bool dropped = false;
  while (segments_.size() >= 2 && segments_[1].start_sequence <= sequence) {
    if (unlink(segments_.front().path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("cannot remove", segments_.front().path);
    }
    segments_.erase(segments_.begin());
    dropped = true;
  }
  return dropped ? SyncDirectory() : absl::OkStatus();
}

}  // namespace mbrl::replay
