// `mbrl local`: the whole topology of an experiment on one machine, as child processes of the
// one binary on loopback — the same roles and code paths as on Kubernetes:
//   replay-<i>        topology.replay_shards shards (`mbrl replay`, durable in OUT/replay/)
//   model-learner     `mbrl model-learner` (checkpoints in OUT/checkpoints/model-learner)
//   policy-learner    `mbrl policy-learner` (checkpoints in OUT/checkpoints/policy-learner,
//                     progress.csv in OUT)
//   env-actor-<j>     topology.env_actors `mbrl env-actor`s
//   imagine-<j>       topology.imagination_actors `mbrl imagine`s
// each with its threads from the topology and its log in OUT/logs/<name>.log. Children are
// supervised crash-only (process_supervisor.h: restarted with backoff when they die, killed
// with the supervisor); OUT/roles.txt lists each child's name, pid, gRPC and metrics ports
// (rewritten when one restarts). A run in an existing OUT resumes: shards recover their data,
// learners their checkpoints, progress.csv is appended to.
//
// The run prints the policy learner's progress lines as progress.csv grows, and ends when the
// policy learner reports the experiment finished (iterations or a budget), or on SIGTERM /
// SIGINT: actors first, then the learners (which checkpoint), then the shards, each group with
// SIGTERM and 30 s before SIGKILL. With a metrics port, the children's metrics are served merged
// (metrics_merge.h) on it.
#ifndef MBRL_SERVICES_LOCAL_LOCAL_RUN_H_
#define MBRL_SERVICES_LOCAL_LOCAL_RUN_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::local {

struct LocalOptions {
  // The effective experiment (validated, defaults filled); written to OUT/config.textproto,
  // which every child reads.
  v1::ExperimentConfig config;
  std::string out_dir;
  // The mbrl binary the children run.
  std::string binary;
  // Serve the merged metrics on this port (0 = any free port); -1 = off.
  int metrics_port = -1;
  // Progress lines and the run's own messages (may be null).
  std::ostream* terminal = nullptr;
  // Niceness added to the model learner: its fits then yield the cores to the policy learner
  // and the imagination actors (the policy steps' critical path) where they overlap (ASYNC).
  int model_learner_nice = 0;
};

struct LocalSummary {
  int64_t iterations = 0;  // progress rows
  int64_t real_steps = 0;
  int64_t imagined_steps = 0;
  double wall_seconds = 0;
  // "iterations", "max_real_steps", "max_wall_seconds" or "signal".
  std::string stopped_by;
};

// Runs the experiment to its end (blocking). SIGINT and SIGTERM must be blocked in every
// thread of the process (cli BlockShutdownSignals); the run waits for them itself.
// Errors: OUT cannot be written, a child keeps crashing (ABORTED naming it and its log).
absl::StatusOr<LocalSummary> RunLocal(const LocalOptions& options);

}  // namespace mbrl::local

#endif  // MBRL_SERVICES_LOCAL_LOCAL_RUN_H_
