#include "services/local/process_supervisor.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace mbrl::local {
namespace {

using ::mbrl::testing::StatusIs;

std::string TempPath(const std::string& name) {
  return std::string(getenv("TEST_TMPDIR")) + "/" + name;
}

ChildSpec Shell(const std::string& name, const std::string& script) {
  return {name, {"/bin/sh", "-c", script}, TempPath(name + ".log")};
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `supervisor` until `done` (bounded).
template <typename F>
bool PollUntil(ProcessSupervisor& supervisor, F done, absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    supervisor.Poll().IgnoreError();
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

SupervisorOptions Fast() {
  SupervisorOptions options;
  options.restart_delay = absl::Milliseconds(10);
  options.max_restart_delay = absl::Milliseconds(50);
  options.max_crashes = 3;
  return options;
}

TEST(ProcessSupervisorTest, LogsAndRestartsAChildThatExits) {
  ProcessSupervisor supervisor(Fast());
  MBRL_ASSERT_OK(supervisor.Start(Shell("once", "echo started; sleep 0.05; exit 1")));
  EXPECT_GT(supervisor.pid("once"), 0);
  ASSERT_TRUE(PollUntil(supervisor, [&] { return supervisor.restarts("once") >= 2; }));
  supervisor.Terminate({"once"}, absl::Seconds(5));
  EXPECT_EQ(supervisor.pid("once"), -1);
  EXPECT_NE(ReadAll(TempPath("once.log")).find("started\nstarted"), std::string::npos);
}

TEST(ProcessSupervisorTest, AChildThatKeepsCrashingIsAFailure) {
  ProcessSupervisor supervisor(Fast());
  MBRL_ASSERT_OK(supervisor.Start(Shell("crash", "exit 3")));
  absl::Status failure;
  ASSERT_TRUE(PollUntil(supervisor, [&] {
    failure = supervisor.Poll();
    return !failure.ok();
  }));
  EXPECT_THAT(failure, StatusIs(absl::StatusCode::kAborted));
  EXPECT_NE(failure.message().find("crash"), absl::string_view::npos);
}

TEST(ProcessSupervisorTest, TerminateSendsSigtermThenSigkill) {
  ProcessSupervisor supervisor(Fast());
  MBRL_ASSERT_OK(
      supervisor.Start(Shell("polite", "trap 'echo bye; exit 0' TERM; sleep 100 & wait")));
  MBRL_ASSERT_OK(supervisor.Start(Shell("stubborn", "trap '' TERM; sleep 100 & wait; sleep 100")));
  // Let the shells install their traps.
  ASSERT_TRUE(PollUntil(supervisor, [] { return true; }));
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  supervisor.Terminate({"polite", "stubborn"}, absl::Milliseconds(500));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(supervisor.pid("polite"), -1);
  EXPECT_EQ(supervisor.pid("stubborn"), -1);
  EXPECT_NE(ReadAll(TempPath("polite.log")).find("bye"), std::string::npos);
  // Not restarted afterwards.
  MBRL_EXPECT_OK(supervisor.Poll());
  EXPECT_EQ(supervisor.restarts("polite"), 0);
}

TEST(ProcessSupervisorTest, ChildrenDieWithTheSupervisor) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t middle = fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    // A supervisor process that dies without cleaning up (as under SIGKILL).
    ProcessSupervisor supervisor;
    if (!supervisor.Start(Shell("orphan", "sleep 100")).ok()) _exit(1);
    const pid_t child = supervisor.pid("orphan");
    if (write(pipe_fds[1], &child, sizeof(child)) != sizeof(child)) _exit(1);
    _exit(0);
  }
  pid_t child = -1;
  ASSERT_EQ(read(pipe_fds[0], &child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  int status;
  waitpid(middle, &status, 0);
  // The grandchild gets SIGKILL when its parent dies: gone, or a zombie, shortly.
  bool dead = false;
  for (int i = 0; i < 500 && !dead; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t paren = line.rfind(')');
    dead = !stat.good() || line.empty() ||
           (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z');
    if (!dead) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(dead) << "pid " << child << " survived its supervisor";
}

TEST(ProcessSupervisorTest, AppliesTheChildsNiceness) {
  ProcessSupervisor supervisor(Fast());
  ChildSpec spec = Shell("nice", "nice; sleep 10");
  spec.nice = 7;
  const int base = getpriority(PRIO_PROCESS, 0);
  MBRL_ASSERT_OK(supervisor.Start(spec));
  ASSERT_TRUE(PollUntil(supervisor, [&] { return !ReadAll(TempPath("nice.log")).empty(); }));
  EXPECT_EQ(ReadAll(TempPath("nice.log")), std::to_string(std::min(base + 7, 19)) + "\n");
  supervisor.Terminate({"nice"}, absl::Seconds(5));
}

}  // namespace
}  // namespace mbrl::local
