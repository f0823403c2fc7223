// Child processes of one binary, supervised the crash-only way: each child gets its own log
// file (stdout and stderr, appended across restarts), dies with the supervisor
// (PR_SET_PDEATHSIG: no orphans even if the supervisor is SIGKILLed), and is restarted with
// backoff when it exits unexpectedly — unless it keeps crashing, which is reported as a
// failure. Terminate() stops children gracefully (SIGTERM, then SIGKILL after a grace period).
//
// Thread-compatible: one thread, the one that created the supervisor, calls every method (the
// parent-death signal is tied to the thread that forked).
#ifndef MBRL_SERVICES_LOCAL_PROCESS_SUPERVISOR_H_
#define MBRL_SERVICES_LOCAL_PROCESS_SUPERVISOR_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace mbrl::local {

struct ChildSpec {
  // Unique among the supervisor's children (e.g. "replay-0").
  std::string name;
  // argv[0] is the binary to execute.
  std::vector<std::string> argv;
  std::string log_path;
  // Added to the child's scheduling niceness (0: the supervisor's; > 0: it yields the cores to
  // the other children when they compete).
  int nice = 0;
};

struct SupervisorOptions {
  // Delay before restarting a child that exited, doubling per quick crash up to max.
  absl::Duration restart_delay = absl::Milliseconds(500);
  absl::Duration max_restart_delay = absl::Seconds(10);
  // A child that exits this many times within `crash_window` is a failure (no more restarts).
  int max_crashes = 8;
  absl::Duration crash_window = absl::Minutes(2);
};

class ProcessSupervisor {
 public:
  explicit ProcessSupervisor(SupervisorOptions options = {});
  // Kills (SIGKILL) and reaps every child still running.
  ~ProcessSupervisor();
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  // Starts `spec` now. Errors: the log cannot be opened, fork fails, the name is taken.
  absl::Status Start(ChildSpec spec);

  // Reaps children that exited and restarts those whose delay has passed. Returns the first
  // failure (a child that crashed too often), OK otherwise. Call regularly.
  absl::Status Poll();

  // SIGTERM to the children named (in that order, all at once), then waits up to `grace` for
  // them and SIGKILLs the rest. They are not restarted. Children not named keep running.
  void Terminate(const std::vector<std::string>& names, absl::Duration grace);

  // The pid of a running child, or -1.
  pid_t pid(const std::string& name) const;
  // Restarts of a child so far.
  int restarts(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  struct Child {
    ChildSpec spec;
    pid_t pid = -1;
    bool stopping = false;  // Terminate() asked it to stop: do not restart
    int restarts = 0;
    std::vector<absl::Time> crashes;
    absl::Time restart_at = absl::InfiniteFuture();
  };

  absl::Status Spawn(Child& child);
  void Reap(pid_t pid, int status);

  const SupervisorOptions options_;
  std::map<std::string, Child> children_;
  absl::Status failure_;
};

}  // namespace mbrl::local

#endif  // MBRL_SERVICES_LOCAL_PROCESS_SUPERVISOR_H_
