#include "services/local/process_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace mbrl::local {

ProcessSupervisor::ProcessSupervisor(SupervisorOptions options) : options_(options) {}

ProcessSupervisor::~ProcessSupervisor() {
  for (auto& [name, child] : children_) {
    if (child.pid > 0) {
      kill(child.pid, SIGKILL);
      int status;
      waitpid(child.pid, &status, 0);
    }
  }
}

absl::Status ProcessSupervisor::Start(ChildSpec spec) {
  if (children_.count(spec.name) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("a child named ", spec.name, " exists"));
  }
  if (spec.argv.empty()) return absl::InvalidArgumentError("a child needs argv[0]");
  Child& child = children_[spec.name];
  child.spec = std::move(spec);
  return Spawn(child);
}

absl::Status ProcessSupervisor::Spawn(Child& child) {
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls.
  const int log =
      open(child.spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", child.spec.log_path));
  }
  std::vector<char*> argv;
  for (std::string& arg : child.spec.argv) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(log);
    return absl::ErrnoToStatus(error, "fork");
  }
  if (pid == 0) {
    // The child: die with the supervisor, write to the log, default signal mask.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (child.spec.nice != 0)
      setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + child.spec.nice);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log);
  child.pid = pid;
  child.restart_at = absl::InfiniteFuture();
  MBRL_LOG(INFO) << "local: started " << child.spec.name << " (pid " << pid << "), log "
                 << child.spec.log_path;
  return absl::OkStatus();
}

void ProcessSupervisor::Reap(pid_t pid, int status) {
  for (auto& [name, child] : children_) {
    if (child.pid != pid) continue;
    child.pid = -1;
    const std::string how = WIFSIGNALED(status) ? absl::StrCat("signal ", WTERMSIG(status))
                                                : absl::StrCat("exit code ", WEXITSTATUS(status));
    if (child.stopping) return;
    const absl::Time now = absl::Now();
    child.crashes.push_back(now);
    child.crashes.erase(
        std::remove_if(child.crashes.begin(), child.crashes.end(),
                       [&](absl::Time t) { return now - t > options_.crash_window; }),
        child.crashes.end());
    if (static_cast<int>(child.crashes.size()) >= options_.max_crashes) {
      if (failure_.ok()) {
        failure_ = absl::AbortedError(
            absl::StrCat(name, " exited ", child.crashes.size(), " times within ",
                         absl::FormatDuration(options_.crash_window), " (last: ", how, "); see ",
                         child.spec.log_path));
      }
      return;
    }
    absl::Duration delay = options_.restart_delay;
    for (size_t i = 1; i < child.crashes.size() && delay < options_.max_restart_delay; ++i) {
      delay *= 2;
    }
    delay = std::min(delay, options_.max_restart_delay);
    child.restart_at = now + delay;
    MBRL_LOG(WARNING) << "local: " << name << " (pid " << pid << ") ended with " << how
                      << "; restarting in " << absl::FormatDuration(delay);
    return;
  }
}

absl::Status ProcessSupervisor::Poll() {
  while (true) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    Reap(pid, status);
  }
  const absl::Time now = absl::Now();
  for (auto& [name, child] : children_) {
    if (child.pid > 0 || child.stopping || now < child.restart_at || !failure_.ok()) continue;
    ++child.restarts;
    if (absl::Status status = Spawn(child); !status.ok() && failure_.ok()) failure_ = status;
  }
  return failure_;
}

void ProcessSupervisor::Terminate(const std::vector<std::string>& names, absl::Duration grace) {
  for (const std::string& name : names) {
    auto it = children_.find(name);
    if (it == children_.end()) continue;
    it->second.stopping = true;
    if (it->second.pid > 0) kill(it->second.pid, SIGTERM);
  }
  const absl::Time deadline = absl::Now() + grace;
  auto running = [&] {
    for (const std::string& name : names) {
      auto it = children_.find(name);
      if (it != children_.end() && it->second.pid > 0) return true;
    }
    return false;
  };
  while (running() && absl::Now() < deadline) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      Reap(pid, status);
    } else {
      usleep(20000);
    }
  }
  for (const std::string& name : names) {
    auto it = children_.find(name);
    if (it == children_.end() || it->second.pid <= 0) continue;
    MBRL_LOG(WARNING) << "local: " << name << " did not stop within " << absl::FormatDuration(grace)
                      << "; killing it";
    kill(it->second.pid, SIGKILL);
    int status;
    waitpid(it->second.pid, &status, 0);
    it->second.pid = -1;
  }
}

pid_t ProcessSupervisor::pid(const std::string& name) const {
  auto it = children_.find(name);
  return it == children_.end() ? -1 : it->second.pid;
}

int ProcessSupervisor::restarts(const std::string& name) const {
  auto it = children_.find(name);
  return it == children_.end() ? 0 : it->second.restarts;
}

std::vector<std::string> ProcessSupervisor::names() const {
  std::vector<std::string> out;
  for (const auto& [name, child] : children_) out.push_back(name);
  return out;
}

}  // namespace mbrl::local
