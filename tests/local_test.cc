// End to end and fault injection on a real `mbrl local` process tree (loopback only): MB-MPO on
// Pendulum, SYNC, 2 replay shards, 2 env actors, 1 imagination actor, scaled down to seconds per
// iteration. One run, in order:
//   1. SIGKILL an env actor: the supervisor restarts it and training continues (a new row);
//   2. SIGKILL the policy learner: the restarted learner restores exactly the version in its
//      checkpoint, the actors resubscribe to it and training continues;
//   3. SIGKILL a replay shard: the other shard keeps serving; the killed one restarts, recovers
//      its data (SERVING, transitions > 0) and training continues;
//   4. SIGTERM `mbrl local`: every role stops gracefully (exit 0, no process left), the policy
//      learner's checkpoint holds its last version;
//   5. `mbrl local` again on the same output: it resumes and finishes; progress.csv has the
//      columns of `mbrl train`, each iteration once, and the evaluation return improved.
// And a SYNC run is reproducible: two fresh runs with the same seed write the same rows
// (timing columns aside).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/testing/status_matchers.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "learner/experiment.h"
#include "mbrl/v1/checkpoint.pb.h"
#include "mbrl/v1/policy_learner.grpc.pb.h"
#include "mbrl/v1/replay.grpc.pb.h"
#include "services/common/channel.h"

namespace mbrl {
namespace {

constexpr int kIterations = 6;
constexpr absl::Duration kRowTimeout = absl::Seconds(90);

constexpr char kConfig[] = R"pb(
  name: "local_test"
  seed: 3
  env { name: "Pendulum" horizon: 200 }
  model { ensemble_size: 2 hidden_layers: 2 hidden_units: 64 batch_size: 256 max_epochs: 30 }
  mbmpo {
    iterations: 6
    initial_random_steps: 1000
    meta_batch_size: 4
    imagined_trajectories_per_task: 10
    meta_steps_per_iteration: 5
  }
  topology {
    learner_threads: 1
    replay_shards: 2
    env_actors: 2
    envs_per_actor: 4
    imagination_actors: 1
  }
  evaluation { episodes: 4 }
  roles { work_lease_seconds: 5 sync_set_timeout_seconds: 5 }
)pb";

std::string Runfile(const std::string& path) {
  return absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"), "/", path);
}

std::string TempDir(const std::string& name) {
  return absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `done` every 50 ms until it holds or `timeout` passes.
bool WaitFor(absl::Duration timeout, const std::function<bool()>& done) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

// A process exists and is not a zombie.
bool Alive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  const std::string stat = ReadText(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// One `mbrl local` run: a child of the test that dies with it (PR_SET_PDEATHSIG).
class LocalRun {
 public:
  LocalRun(const std::string& config_path, const std::string& out) : out_(out) {
    const std::string binary = Runfile("cli/mbrl");
    std::vector<std::string> args = {binary, "local", "--config=" + config_path, "--out=" + out};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const std::string log_path = out + ".log";
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log);
  }
  ~LocalRun() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  // The exit code once the run ended within `timeout`, else -1 (signals: 128 + signal).
  int Wait(absl::Duration timeout) {
    int status = 0;
    const bool ended = WaitFor(timeout, [&] {
      if (exited_) return true;
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exited_ = true;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      return exited_;
    });
    return ended ? code_ : -1;
  }
  std::string log() const { return ReadText(out_ + ".log"); }

 private:
  const std::string out_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int code_ = -1;
};

struct RoleInfo {
  pid_t pid = -1;
  int port = 0;
};

// OUT/roles.txt: "name pid grpc_port metrics_port" per line.
std::map<std::string, RoleInfo> ReadRoles(const std::string& out) {
  std::map<std::string, RoleInfo> roles;
  for (absl::string_view line : absl::StrSplit(ReadText(out + "/roles.txt"), '\n')) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() != 4) continue;
    RoleInfo info;
    if (!absl::SimpleAtoi(fields[1], &info.pid) || !absl::SimpleAtoi(fields[2], &info.port)) {
      continue;
    }
    roles[fields[0]] = info;
  }
  return roles;
}

struct Progress {
  std::vector<std::string> header;
  std::vector<std::map<std::string, double>> rows;
};

Progress ReadProgress(const std::string& out) {
  Progress progress;
  for (absl::string_view line : absl::StrSplit(ReadText(out + "/progress.csv"), '\n')) {
    if (line.empty()) continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (progress.header.empty()) {
      progress.header = cells;
      continue;
    }
    if (cells.size() != progress.header.size()) continue;  // a row being written
    std::map<std::string, double>& row = progress.rows.emplace_back();
    for (size_t c = 0; c < cells.size(); ++c) {
      double value = std::nan("");
      if (!absl::SimpleAtod(cells[c], &value)) value = std::nan("");
      row[progress.header[c]] = value;
    }
  }
  return progress;
}

// Waits until progress.csv has at least `rows` rows.
bool WaitForRows(const std::string& out, size_t rows) {
  return WaitFor(kRowTimeout, [&] { return ReadProgress(out).rows.size() >= rows; });
}

// Waits until `role` runs under a pid other than `old_pid`; returns it (-1: not in time).
pid_t WaitForRestart(const std::string& out, const std::string& role, pid_t old_pid) {
  pid_t pid = -1;
  WaitFor(absl::Seconds(30), [&] {
    const auto roles = ReadRoles(out);
    auto it = roles.find(role);
    if (it == roles.end() || it->second.pid == old_pid || !Alive(it->second.pid)) return false;
    pid = it->second.pid;
    return true;
  });
  return pid;
}

std::shared_ptr<grpc::Channel> Channel(int port) {
  return CreateChannel(absl::StrCat("127.0.0.1:", port), ChannelOptions()).value();
}

bool Serving(int port) {
  auto health = grpc::health::v1::Health::NewStub(Channel(port));
  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return health->Check(&context, request, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

absl::StatusOr<v1::InfoResponse> ShardInfo(int port) {
  auto stub = v1::ReplayShard::NewStub(Channel(port));
  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(5));
  v1::InfoResponse response;
  const grpc::Status status = stub->Info(&context, v1::InfoRequest(), &response);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return response;
}

absl::StatusOr<v1::PolicyLearnerStatusResponse> PolicyStatus(int port) {
  auto stub = v1::PolicyLearner::NewStub(Channel(port));
  grpc::ClientContext context;
  SetTimeout(context, absl::Seconds(5));
  v1::PolicyLearnerStatusResponse response;
  const grpc::Status status = stub->Status(&context, v1::PolicyLearnerStatusRequest(), &response);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return response;
}

uint64_t CheckpointVersion(const std::string& out) {
  v1::PolicyLearnerCheckpoint checkpoint;
  EXPECT_TRUE(checkpoint.ParseFromString(
      ReadText(out + "/checkpoints/policy-learner/policy_learner.binpb")));
  return checkpoint.snapshot().version();
}

// The versions the policy learner logged as restored, in order.
std::vector<uint64_t> RestoredVersions(const std::string& out) {
  std::vector<uint64_t> versions;
  const std::string marker = "policy learner: restored version ";
  const std::string log = ReadText(out + "/logs/policy-learner.log");
  for (size_t at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    const size_t start = at + marker.size();
    uint64_t version = 0;
    if (absl::SimpleAtoi(log.substr(start, log.find(',', start) - start), &version)) {
      versions.push_back(version);
    }
  }
  return versions;
}

// The last lines of every role's log (for failure messages).
std::string RoleLogs(const std::string& out) {
  std::string text;
  for (const auto& [name, info] : ReadRoles(out)) {
    const std::vector<std::string> lines =
        absl::StrSplit(ReadText(out + "/logs/" + name + ".log"), '\n');
    absl::StrAppend(&text, "==== ", name, "\n");
    for (size_t i = lines.size() > 12 ? lines.size() - 12 : 0; i < lines.size(); ++i) {
      absl::StrAppend(&text, lines[i], "\n");
    }
  }
  return text;
}

void WaitUntilDead(pid_t pid) {
  ASSERT_TRUE(WaitFor(absl::Seconds(10), [&] { return !Alive(pid); })) << "pid " << pid;
}

std::string WriteConfig() {
  const std::string path = TempDir("local_test.textproto");
  EXPECT_THAT(WriteFileAtomically(path, kConfig), testing::IsOk());
  return path;
}

TEST(LocalTest, SurvivesKilledRolesStopsGracefullyResumesAndLearns) {
  const std::string config = WriteConfig();
  const std::string out = TempDir("faults");
  {
    LocalRun run(config, out);
    ASSERT_TRUE(WaitForRows(out, 1)) << run.log();
    std::map<std::string, RoleInfo> roles = ReadRoles(out);
    ASSERT_EQ(roles.size(), 7u) << ReadText(out + "/roles.txt");

    // 1. An env actor.
    const pid_t actor = roles.at("env-actor-0").pid;
    ASSERT_EQ(kill(actor, SIGKILL), 0);
    ASSERT_GT(WaitForRestart(out, "env-actor-0", actor), 0) << run.log();
    ASSERT_TRUE(WaitForRows(out, 2)) << "training stopped after an env actor was killed\n"
                                     << RoleLogs(out);

    // 2. The policy learner.
    const int policy_port = roles.at("policy-learner").port;
    absl::StatusOr<v1::PolicyLearnerStatusResponse> before = PolicyStatus(policy_port);
    ASSERT_THAT(before, testing::IsOk());
    const pid_t learner = roles.at("policy-learner").pid;
    ASSERT_EQ(kill(learner, SIGKILL), 0);
    WaitUntilDead(learner);
    const uint64_t checkpointed = CheckpointVersion(out);
    EXPECT_GE(checkpointed + 1, before->version());
    ASSERT_GT(WaitForRestart(out, "policy-learner", learner), 0) << run.log();
    ASSERT_TRUE(WaitFor(absl::Seconds(30), [&] { return !RestoredVersions(out).empty(); }));
    EXPECT_EQ(RestoredVersions(out).back(), checkpointed);
    ASSERT_TRUE(WaitFor(absl::Seconds(30), [&] { return Serving(policy_port); }));
    absl::StatusOr<v1::PolicyLearnerStatusResponse> after = PolicyStatus(policy_port);
    ASSERT_THAT(after, testing::IsOk());
    EXPECT_GE(after->version(), checkpointed);
    EXPECT_GT(after->revision(), 0u);
    ASSERT_TRUE(WaitFor(kRowTimeout,
                        [&] {
                          absl::StatusOr<v1::PolicyLearnerStatusResponse> now =
                              PolicyStatus(policy_port);
                          return now.ok() && now->version() > checkpointed;
                        }))
        << "training stopped after the policy learner restart\n"
        << RoleLogs(out);

    // 3. A replay shard.
    const pid_t shard = roles.at("replay-1").pid;
    ASSERT_EQ(kill(shard, SIGKILL), 0);
    absl::StatusOr<v1::InfoResponse> other = ShardInfo(roles.at("replay-0").port);
    ASSERT_THAT(other, testing::IsOk()) << "shard 0 stopped serving when shard 1 died";
    EXPECT_GT(other->transitions(), 0u);
    EXPECT_EQ(ReadRoles(out).at("replay-0").pid, roles.at("replay-0").pid);
    ASSERT_GT(WaitForRestart(out, "replay-1", shard), 0) << run.log();
    ASSERT_TRUE(WaitFor(absl::Seconds(30), [&] { return Serving(roles.at("replay-1").port); }));
    absl::StatusOr<v1::InfoResponse> recovered = ShardInfo(roles.at("replay-1").port);
    ASSERT_THAT(recovered, testing::IsOk());
    EXPECT_GT(recovered->transitions(), 0u) << "shard 1 lost its data";
    const size_t rows_before_shard = ReadProgress(out).rows.size();
    ASSERT_TRUE(WaitForRows(out, rows_before_shard + 1))
        << "training stopped after a shard was killed\n"
        << RoleLogs(out);

    // 4. SIGTERM: graceful.
    const uint64_t version = PolicyStatus(policy_port)->version();
    roles = ReadRoles(out);
    ASSERT_EQ(kill(run.pid(), SIGTERM), 0);
    ASSERT_EQ(run.Wait(absl::Seconds(90)), 0) << run.log();
    for (const auto& [name, info] : roles) EXPECT_FALSE(Alive(info.pid)) << name << " left";
    EXPECT_GE(CheckpointVersion(out), version);
    ASSERT_LT(ReadProgress(out).rows.size(), static_cast<size_t>(kIterations))
        << "the run finished before the faults were done; scale the test up";
  }
  // 5. Resume to the end.
  LocalRun resumed(config, out);
  ASSERT_EQ(resumed.Wait(absl::Seconds(240)), 0) << resumed.log() << RoleLogs(out);
  const Progress progress = ReadProgress(out);
  EXPECT_EQ(progress.header, learner::kProgressColumns);
  ASSERT_EQ(progress.rows.size(), static_cast<size_t>(kIterations));
  for (int i = 0; i < kIterations; ++i) {
    EXPECT_EQ(progress.rows[i].at("iteration"), i);
    EXPECT_TRUE(std::isfinite(progress.rows[i].at("eval_return"))) << "row " << i;
    if (i > 0) EXPECT_GT(progress.rows[i].at("real_steps"), progress.rows[i - 1].at("real_steps"));
  }
  const double first = progress.rows.front().at("eval_return");
  const double last = progress.rows.back().at("eval_return");
  EXPECT_GT(last, first + 100) << "the evaluation return did not improve";
  EXPECT_NE(resumed.log().find("mbrl local: done after"), std::string::npos) << resumed.log();
}

TEST(LocalTest, SyncRunIsReproducibleForASeed) {
  const std::string config = WriteConfig();
  std::vector<Progress> runs;
  for (const std::string name : {"sync_a", "sync_b"}) {
    const std::string out = TempDir(name);
    LocalRun run(config, out);
    // Four iterations (three of them with adapted policies) to compare; SIGTERM ends the run.
    ASSERT_TRUE(WaitForRows(out, 4)) << run.log();
    ASSERT_EQ(kill(run.pid(), SIGTERM), 0);
    ASSERT_EQ(run.Wait(absl::Seconds(90)), 0) << run.log();
    runs.push_back(ReadProgress(out));
  }
  const std::set<std::string> timing = {"wall_seconds", "collect_seconds", "fit_seconds",
                                        "policy_seconds", "eval_seconds"};
  for (size_t i = 0; i < 4; ++i) {
    for (const std::string& column : runs[0].header) {
      if (timing.count(column) > 0) continue;
      const double a = runs[0].rows[i].at(column), b = runs[1].rows[i].at(column);
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b)))
          << "iteration " << i << " column " << column << ": " << a << " vs " << b;
    }
  }
}

}  // namespace
}  // namespace mbrl
