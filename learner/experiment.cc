#include "learner/experiment.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/progress.h"
#include "common/status_macros.h"
#include "google/protobuf/text_format.h"
#include "learner/mbmpo_algorithm.h"
#include "learner/metrpo_algorithm.h"

namespace mbrl::learner {
namespace {

absl::Status WriteCheckpoint(const ModelBasedAlgorithm& algorithm, const std::string& directory,
                             uint64_t version) {
  v1::ModelSnapshot model;
  v1::PolicySnapshot policy;
  MBRL_RETURN_IF_ERROR(algorithm.Save(&model, &policy));
  const int64_t now = absl::ToUnixMicros(absl::Now());
  model.set_version(version);
  model.set_created_unix_micros(now);
  policy.set_version(version);
  policy.set_created_unix_micros(now);
  MBRL_RETURN_IF_ERROR(WriteFileAtomically(directory + "/model.binpb", model.SerializeAsString()));
  return WriteFileAtomically(directory + "/policy.binpb", policy.SerializeAsString());
}

uint32_t ConfiguredIterations(const v1::ExperimentConfig& config) {
  return config.has_mbmpo() ? config.mbmpo().iterations() : config.metrpo().iterations();
}

}  // namespace

const std::vector<std::string> kProgressColumns = {"iteration",
                                                   "real_steps",
                                                   "imagined_steps",
                                                   "wall_seconds",
                                                   "eval_return",
                                                   "model_val_loss",
                                                   "policy_steps",
                                                   "accepted_policy_steps",
                                                   "imagined_return",
                                                   "adapted_imagined_return",
                                                   "kl",
                                                   "collect_seconds",
                                                   "fit_seconds",
                                                   "policy_seconds",
                                                   "eval_seconds"};

absl::StatusOr<std::unique_ptr<ModelBasedAlgorithm>> CreateAlgorithm(
    const v1::ExperimentConfig& config, AlgorithmEnvironment environment) {
  if (!environment.make_env || environment.functions == nullptr) {
    return absl::InvalidArgumentError("CreateAlgorithm: no environment given");
  }
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::Env> probe, environment.make_env());
  const envs::EnvSpec spec = probe->spec();
  if (config.has_mbmpo()) {
    MBRL_ASSIGN_OR_RETURN(auto algorithm,
                          MbmpoAlgorithm::Create(config, std::move(environment), spec));
    return std::unique_ptr<ModelBasedAlgorithm>(std::move(algorithm));
  }
  if (config.has_metrpo()) {
    MBRL_ASSIGN_OR_RETURN(auto algorithm,
                          MetrpoAlgorithm::Create(config, std::move(environment), spec));
    return std::unique_ptr<ModelBasedAlgorithm>(std::move(algorithm));
  }
  return absl::InvalidArgumentError("the config sets no algorithm (mbmpo or metrpo)");
}

absl::StatusOr<ExperimentSummary> RunExperiment(const v1::ExperimentConfig& config,
                                                AlgorithmEnvironment environment,
                                                const std::string& output_dir,
                                                std::ostream* terminal) {
  const absl::Time start = absl::Now();
  std::error_code error;
  std::filesystem::create_directories(output_dir + "/checkpoint", error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", output_dir, "/checkpoint: ", error.message()));
  }
  v1::ExperimentConfig effective = config;
  FillDefaults(&effective);
  std::string text;
  google::protobuf::TextFormat::PrintToString(effective, &text);
  MBRL_RETURN_IF_ERROR(WriteFileAtomically(output_dir + "/config.textproto", text));
  MBRL_ASSIGN_OR_RETURN(
      std::unique_ptr<ProgressLog> progress,
      ProgressLog::Create(kProgressColumns, output_dir + "/progress.csv", terminal));
  at::set_num_threads(static_cast<int>(effective.topology().learner_threads()));
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<ModelBasedAlgorithm> algorithm,
                        CreateAlgorithm(effective, std::move(environment)));

  const uint64_t max_real_steps = effective.budget().max_real_steps();
  const double max_wall_seconds = effective.budget().max_wall_seconds();
  const absl::Time deadline =
      max_wall_seconds > 0 ? start + absl::Seconds(max_wall_seconds) : absl::InfiniteFuture();
  const uint32_t evaluation_episodes = effective.evaluation().episodes();
  const uint32_t evaluate_every = effective.evaluation().every_iterations();

  ExperimentSummary summary;
  summary.stopped_by = "iterations";
  int64_t imagined_steps = 0;
  for (uint32_t iteration = 0; iteration < ConfiguredIterations(effective); ++iteration) {
    if (max_real_steps > 0 &&
        static_cast<uint64_t>(summary.real_steps + algorithm->NextIterationRealSteps()) >
            max_real_steps) {
      summary.stopped_by = "max_real_steps";
      break;
    }
    if (absl::Now() >= deadline) {
      summary.stopped_by = "max_wall_seconds";
      break;
    }
    MBRL_ASSIGN_OR_RETURN(IterationStats stats, algorithm->RunIteration(deadline));
    summary.real_steps += stats.real_steps;
    imagined_steps += stats.imagined_steps;
    summary.iterations = iteration + 1;

    const absl::Time evaluation_start = absl::Now();
    double eval_return = IterationStats::kNone;
    if (evaluation_episodes > 0 && (iteration + 1) % evaluate_every == 0) {
      MBRL_ASSIGN_OR_RETURN(eval_return,
                            algorithm->Evaluate(static_cast<int>(evaluation_episodes)));
      summary.last_eval_return = eval_return;
    }
    const double eval_seconds = absl::ToDoubleSeconds(absl::Now() - evaluation_start);
    MBRL_RETURN_IF_ERROR(WriteCheckpoint(*algorithm, output_dir + "/checkpoint", iteration + 1));
    summary.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    MBRL_RETURN_IF_ERROR(progress->Write({
        static_cast<double>(iteration),
        static_cast<double>(summary.real_steps),
        static_cast<double>(imagined_steps),
        summary.wall_seconds,
        eval_return,
        stats.model_validation_loss,
        static_cast<double>(stats.policy_steps),
        static_cast<double>(stats.accepted_policy_steps),
        stats.imagined_return,
        stats.adapted_imagined_return,
        stats.kl,
        stats.collect_seconds,
        stats.fit_seconds,
        stats.policy_seconds,
        eval_seconds,
    }));
  }
  summary.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace mbrl::learner
