// `mbrl bench replay`: replay insert/sample throughput against raw gRPC streaming of the same
// bytes, in the same run (bench/replay/replay_bench.h).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "bench/replay/replay_bench.h"
#include "cli/bench_report.h"
#include "cli/subcommands.h"

ABSL_FLAG(std::vector<std::string>, chunk_sizes, std::vector<std::string>({"100", "1000"}),
          "Transitions per chunk, comma-separated.");
ABSL_FLAG(std::vector<std::string>, shard_counts, std::vector<std::string>({"1", "2"}),
          "Numbers of shards, comma-separated.");
ABSL_FLAG(int, transitions_per_request, 1000,
          "Transitions per insert request (chunks per request = this / chunk size, at least 1).");
ABSL_FLAG(int, window, 16, "Insert requests in flight per stream.");
ABSL_FLAG(int, sample_batch, 256, "Transitions per sampled batch.");
// Shared with other subcommands: `mbrl bench env` (seconds), `mbrl replay` (fsync, data_dir).
ABSL_DECLARE_FLAG(double, seconds);
ABSL_DECLARE_FLAG(bool, fsync);
ABSL_DECLARE_FLAG(std::string, data_dir);

namespace mbrl::cli {
namespace {

bool ParseInts(const std::vector<std::string>& texts, std::vector<int>* values) {
  values->clear();
  for (const std::string& text : texts) {
    int value;
    if (!absl::SimpleAtoi(text, &value)) return false;
    values->push_back(value);
  }
  return true;
}

int RunBenchReplay(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl bench replay: takes no arguments\n";
    return kExitUsage;
  }
  bench::ReplayBenchOptions options;
  options.seconds = absl::GetFlag(FLAGS_seconds);
  options.transitions_per_request = absl::GetFlag(FLAGS_transitions_per_request);
  options.window = absl::GetFlag(FLAGS_window);
  options.sample_batch = absl::GetFlag(FLAGS_sample_batch);
  options.fsync = absl::GetFlag(FLAGS_fsync);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  if (!ParseInts(absl::GetFlag(FLAGS_chunk_sizes), &options.chunk_sizes) ||
      !ParseInts(absl::GetFlag(FLAGS_shard_counts), &options.shard_counts)) {
    std::cerr << "mbrl bench replay: --chunk_sizes and --shard_counts take integers\n";
    return kExitUsage;
  }
  return ReportBenchResults("mbrl bench replay", bench::RunReplayBench(options, std::cout),
                            std::cout, std::cerr);
}

}  // namespace

Subcommand BenchReplaySubcommand() {
  return {
      /*name=*/"bench replay",
      /*arguments=*/"",
      /*summary=*/"Replay insert/sample transitions/s and MB/s against raw gRPC streaming.",
      /*details=*/
      "Starts durable replay shards and raw gRPC sinks on loopback and measures, for each\n"
      "chunk size and shard count, insert and sample throughput of HalfCheetah-size\n"
      "transitions and of the same bytes over raw gRPC streams. --seconds is per measurement;\n"
      "--fsync=false measures without fdatasync; --data_dir keeps the logs elsewhere than\n"
      "$TMPDIR. The last line is name=value pairs (insert_transitions_per_s,\n"
      "sample_transitions_per_s, insert_vs_raw_grpc, sample_vs_raw_grpc, then per config).",
      /*flags=*/
      {"seconds", "chunk_sizes", "shard_counts", "transitions_per_request", "window",
       "sample_batch", "fsync", "data_dir"},
      /*run=*/RunBenchReplay,
  };
}

}  // namespace mbrl::cli
