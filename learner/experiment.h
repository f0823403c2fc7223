// One experiment in one process (the embedded path of `mbrl train`): builds the configured
// algorithm, runs its iterations until the configured count or budget, evaluates, logs and
// checkpoints.
//
// Output directory:
//   progress.csv          one row per iteration (columns: kProgressColumns)
//   config.textproto      the effective config (every default filled in)
//   checkpoint/model.binpb, checkpoint/policy.binpb
//                         the latest ModelSnapshot / PolicySnapshot (binary protos), rewritten
//                         atomically (write + rename) after every iteration; the last one is
//                         the final checkpoint.
// The terminal gets one progress line per iteration.
#ifndef MBRL_LEARNER_EXPERIMENT_H_
#define MBRL_LEARNER_EXPERIMENT_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/algorithm.h"
#include "mbrl/v1/config.pb.h"

namespace mbrl::learner {

// The progress.csv columns, in order. eval_return is the mean return of
// config.evaluation.episodes deterministic episodes of theta (MB-MPO: the pre-update policy)
// on the real env; those steps are not counted in real_steps.
extern const std::vector<std::string> kProgressColumns;

// The config's algorithm (mbmpo or metrpo block) on `environment`, whose env spec is read from
// one instance. INVALID_ARGUMENT if the config has no algorithm.
absl::StatusOr<std::unique_ptr<ModelBasedAlgorithm>> CreateAlgorithm(
    const v1::ExperimentConfig& config, AlgorithmEnvironment environment);

// How an experiment ends.
struct ExperimentSummary {
  int64_t iterations = 0;
  int64_t real_steps = 0;
  double wall_seconds = 0;
  double last_eval_return = IterationStats::kNone;
  // "iterations", "max_real_steps" or "max_wall_seconds".
  std::string stopped_by;
};

// Runs `config` (validated; budget.max_real_steps / max_wall_seconds of 0 mean no limit) into
// `output_dir` (created if missing). Sets LibTorch's thread count to
// topology.learner_threads. Blocks until done. Errors: the directory or files cannot be
// written; the algorithm fails (the checkpoint of the last finished iteration stays).
// The real-step budget is never exceeded: an iteration that could collect past it is not run.
absl::StatusOr<ExperimentSummary> RunExperiment(const v1::ExperimentConfig& config,
                                                AlgorithmEnvironment environment,
                                                const std::string& output_dir,
                                                std::ostream* terminal);

}  // namespace mbrl::learner

#endif  // MBRL_LEARNER_EXPERIMENT_H_
