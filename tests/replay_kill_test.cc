// Fault injection: a real `mbrl replay` process is killed with SIGKILL at random points while a
// client streams inserts into it, then restarted on the same data directory, 20 times. After
// every restart:
//   - every acknowledged chunk is served again, intact (values checked row by row);
//   - every request that was sent but not acknowledged is there completely or not at all
//     (a request's chunks are one log record), and no chunk is ever served in part or twice;
//   - the shard reported how long recovery took, and health went SERVING only once it was done.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "mbrl/v1/replay.grpc.pb.h"
#include "services/common/channel.h"
#include "services/common/status_util.h"
#include "services/replay/synthetic_chunks.h"

extern char** environ;

namespace mbrl::replay {
namespace {

using ::mbrl::testing::IsOk;

constexpr int kRounds = 20;
constexpr int kObsDim = 3;
constexpr int kActDim = 1;
// Requests per round at most (each 1-3 chunks of 20-120 steps).
constexpr int kMaxRequestsPerRound = 120;
constexpr absl::Duration kStartTimeout = absl::Seconds(60);

std::string Runfile(const std::string& path) {
  return absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"), "/", path);
}

// One `mbrl replay` child process.
class ShardProcess {
 public:
  ShardProcess(const std::string& data_dir, const std::string& log_path) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    const std::string binary = Runfile("cli/mbrl");
    std::vector<std::string> args = {
        binary, "replay", "--bind=127.0.0.1", "--port=0", "--data_dir=" + data_dir, "--capacity=0"};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    stdout_fd_ = out[0];
  }

  ~ShardProcess() {
    if (pid_ > 0) Kill();
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  // Reads stdout until "serving on port P" (bounded by `timeout`); 0 on failure.
  int WaitForPort(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::string text;
    while (absl::Now() < deadline && pid_ > 0) {
      pollfd fd{stdout_fd_, POLLIN, 0};
      if (poll(&fd, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
      if (n <= 0) return 0;  // the child exited
      text.append(buffer, n);
      const size_t at = text.find("serving on port ");
      const size_t end = text.find_first_of(",\n", at);
      int port;
      if (at != std::string::npos && end != std::string::npos &&
          absl::SimpleAtoi(text.substr(at + 16, end - at - 16), &port)) {
        return port;
      }
    }
    return 0;
  }

  void Kill() {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // SIGTERM, then the exit code (or -1).
  int Terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

// What the test sent: request id -> its chunks' episode ids (each chunk is its own episode).
struct Ledger {
  std::map<uint64_t, std::vector<uint64_t>> sent;
  std::set<uint64_t> acknowledged;     // request ids
  std::map<uint64_t, uint32_t> steps;  // episode -> steps of its chunk
};

bool WaitUntilServing(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    SetTimeout(context, absl::Seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(v1::ReplayShard::service_full_name());
    grpc::health::v1::HealthCheckResponse response;
    if (health->Check(&context, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// Scans the whole table: rows per episode. Fails the test on a corrupt row.
std::map<uint64_t, uint32_t> RowsPerEpisode(v1::ReplayShard::Stub& stub, uint64_t* transitions) {
  std::map<uint64_t, uint32_t> rows;
  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(120));
  v1::ScanRequest request;
  request.set_max_batch_transitions(8192);
  auto reader = stub.Scan(&context, request);
  v1::ScanResponse response;
  uint64_t next = 0;
  *transitions = 0;
  while (reader->Read(&response)) {
    EXPECT_EQ(response.first_sequence(), next) << "a gap in the sequence";
    next = response.end_sequence();
    EXPECT_THAT(CheckSyntheticBatch(response.batch()), IsOk());
    absl::Span<const int64_t> episodes =
        *TensorData<int64_t>(response.batch().episode_ids(), "episode_ids");
    for (int64_t episode : episodes) ++rows[static_cast<uint64_t>(episode)];
    *transitions += episodes.size();
  }
  EXPECT_TRUE(reader->Finish().ok());
  return rows;
}

void Verify(v1::ReplayShard::Stub& stub, const Ledger& ledger, int round) {
  uint64_t transitions = 0;
  const std::map<uint64_t, uint32_t> rows = RowsPerEpisode(stub, &transitions);
  int lost = 0, partial_requests = 0;
  for (const auto& [request_id, episodes] : ledger.sent) {
    int present = 0;
    for (uint64_t episode : episodes) {
      auto it = rows.find(episode);
      if (it == rows.end()) continue;
      ++present;
      // Never a chunk in part, never twice.
      EXPECT_EQ(it->second, ledger.steps.at(episode))
          << "round " << round << ": episode " << episode << " served with " << it->second << " of "
          << ledger.steps.at(episode) << " rows";
    }
    if (ledger.acknowledged.count(request_id) && present != static_cast<int>(episodes.size())) {
      ++lost;
    }
    if (present != 0 && present != static_cast<int>(episodes.size())) ++partial_requests;
  }
  EXPECT_EQ(lost, 0) << "round " << round << ": acknowledged requests lost";
  EXPECT_EQ(partial_requests, 0) << "round " << round << ": requests served in part";
  int unknown = 0;
  for (const auto& [episode, count] : rows) unknown += ledger.steps.count(episode) == 0;
  EXPECT_EQ(unknown, 0) << "round " << round << ": rows of episodes never sent";
  uint64_t served = 0;
  for (const auto& [episode, count] : rows) served += count;
  EXPECT_EQ(served, transitions);
}

// Streams requests until the stream breaks or kMaxRequestsPerRound were sent; records acks.
void InsertUntilKilled(v1::ReplayShard::Stub& stub, Ledger& ledger, absl::Mutex& mu,
                       std::mt19937_64& rng, uint64_t& next_request_id, int round) {
  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(60));
  auto stream = stub.Insert(&context);
  std::thread reader([&] {
    v1::InsertResponse response;
    while (stream->Read(&response)) {
      absl::MutexLock lock(&mu);
      EXPECT_THAT(FromRpcStatus(response.status()), IsOk());
      if (response.status().code() == 0) ledger.acknowledged.insert(response.request_id());
    }
  });
  // Resend a few acknowledged requests first: they must stay single copies.
  std::vector<v1::InsertRequest> requests;
  {
    absl::MutexLock lock(&mu);
    int resent = 0;
    for (uint64_t id : ledger.acknowledged) {
      if (resent++ >= 2 || id % 7 != static_cast<uint64_t>(round % 7)) continue;
      v1::InsertRequest request;
      request.set_request_id(next_request_id);
      for (uint64_t episode : ledger.sent[id]) {
        *request.add_chunks() =
            MakeSyntheticChunk(episode, 0, 0, ledger.steps[episode], kObsDim, kActDim);
      }
      ledger.sent[next_request_id++] = ledger.sent[id];
      requests.push_back(std::move(request));
    }
  }
  for (int i = 0; i < kMaxRequestsPerRound; ++i) {
    v1::InsertRequest request;
    request.set_request_id(next_request_id);
    std::vector<uint64_t> episodes;
    const int chunks = 1 + static_cast<int>(rng() % 3);
    absl::MutexLock lock(&mu);
    for (int c = 0; c < chunks; ++c) {
      const uint64_t episode = rng();
      const uint32_t steps = 20 + static_cast<uint32_t>(rng() % 101);
      ledger.steps[episode] = steps;
      episodes.push_back(episode);
      *request.add_chunks() = MakeSyntheticChunk(episode, 0, 0, steps, kObsDim, kActDim,
                                                 /*terminal_at_end=*/c == chunks - 1);
    }
    ledger.sent[next_request_id++] = episodes;
    requests.push_back(std::move(request));
  }
  for (const v1::InsertRequest& request : requests) {
    if (!stream->Write(request)) break;  // the shard died under us
  }
  stream->WritesDone();
  reader.join();
  stream->Finish();
}

TEST(ReplayKillTest, AcknowledgedChunksSurviveSigkill) {
  const std::string data_dir = absl::StrCat(getenv("TEST_TMPDIR"), "/shard");
  // The shard's log is kept with the test's outputs (bazel-testlogs/.../test.outputs).
  const char* outputs = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string log_path =
      absl::StrCat(outputs != nullptr ? outputs : getenv("TEST_TMPDIR"), "/replay_shard.log");
  const uint64_t seed = 20241122;
  std::mt19937_64 rng(seed);
  Ledger ledger;
  absl::Mutex mu;
  uint64_t next_request_id = 1;
  int killed_with_requests_in_flight = 0;

  for (int round = 0; round <= kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round, " (seed ", seed, ")"));
    ShardProcess shard(data_dir, log_path);
    ASSERT_TRUE(shard.started());
    const int port = shard.WaitForPort(kStartTimeout);
    ASSERT_GT(port, 0) << "the shard did not start; see " << log_path;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        CreateChannel(absl::StrCat("127.0.0.1:", port), ChannelOptions());
    ASSERT_THAT(channel, IsOk());
    ASSERT_TRUE(WaitUntilServing(*channel, kStartTimeout));
    auto stub = v1::ReplayShard::NewStub(*channel);
    {
      absl::MutexLock lock(&mu);
      Verify(*stub, ledger, round);
    }
    if (round == kRounds) {
      EXPECT_EQ(shard.Terminate(), 0);  // and a clean shutdown at the end
      break;
    }
    // Insert, and kill the shard at a random point of the stream: after a random number of
    // acknowledgements (0 = as the stream opens), so the point does not depend on the speed of
    // the machine and requests are still unacknowledged when it dies.
    size_t kill_after_acks;
    size_t acknowledged_before;
    {
      absl::MutexLock lock(&mu);
      kill_after_acks = rng() % (kMaxRequestsPerRound / 2);
      acknowledged_before = ledger.acknowledged.size();
    }
    std::thread writer([&] { InsertUntilKilled(*stub, ledger, mu, rng, next_request_id, round); });
    {
      const auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return ledger.acknowledged.size() >= acknowledged_before + kill_after_acks;
      };
      absl::MutexLock lock(&mu);
      mu.AwaitWithTimeout(absl::Condition(&reached), kStartTimeout);
    }
    shard.Kill();
    writer.join();
    absl::MutexLock lock(&mu);
    if (ledger.acknowledged.size() < ledger.sent.size()) ++killed_with_requests_in_flight;
  }
  std::cout << "requests sent " << ledger.sent.size() << ", acknowledged "
            << ledger.acknowledged.size() << "; rounds killed with requests in flight "
            << killed_with_requests_in_flight << " of " << kRounds << "\n";
  // The kills did land mid-stream, not only after everything was acknowledged.
  EXPECT_GT(killed_with_requests_in_flight, kRounds / 2);
  EXPECT_GT(ledger.acknowledged.size(), 0u);

  std::ifstream log(log_path);
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_THAT(text.str(), ::testing::HasSubstr("replay table 'real': recovered"));
  EXPECT_THAT(text.str(), ::testing::HasSubstr("s of recovery (durable in"));
}

}  // namespace
}  // namespace mbrl::replay
