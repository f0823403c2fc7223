// `mbrl replay --port=P --data_dir=D --shard=i/S`: one shard of the durable replay store.
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/service_flags.h"
#include "cli/subcommands.h"
#include "common/logging.h"
#include "services/replay/shard_server.h"

ABSL_FLAG(int, port, 0, "gRPC port to serve on (0 = any free port; the port is printed).");
ABSL_FLAG(std::string, bind, "0.0.0.0", "Address to serve on.");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the shard's write-ahead log; everything acknowledged survives a crash "
          "and is served again after a restart. Empty = memory only (not durable).");
ABSL_FLAG(std::string, shard, "0/1", "This shard's index and the number of shards, as i/S.");
ABSL_FLAG(std::string, table, "real", "Name of the table of real transitions.");
ABSL_FLAG(uint64_t, capacity, 1000000,
          "Transitions kept before the oldest chunks are evicted (0 = no limit).");
ABSL_FLAG(uint64_t, capacity_bytes, 0,
          "Payload bytes kept before the oldest chunks are evicted (0 = no limit).");
ABSL_FLAG(double, samples_per_insert, 1.0, "Rate limiter: sampled transitions per inserted one.");
ABSL_FLAG(uint64_t, min_size_to_sample, 1, "Rate limiter: transitions needed before sampling.");
ABSL_FLAG(double, min_diff, -std::numeric_limits<double>::infinity(),
          "Rate limiter: lower bound of inserts*samples_per_insert - samples (-inf = none).");
ABSL_FLAG(double, max_diff, std::numeric_limits<double>::infinity(),
          "Rate limiter: upper bound of inserts*samples_per_insert - samples (inf = none).");
ABSL_FLAG(double, priority_exponent, 0.6, "Prioritized sampling: the exponent alpha.");
ABSL_FLAG(bool, fsync, true,
          "fdatasync the log before acknowledging (off: survives a process crash, not a "
          "machine crash).");

namespace mbrl::cli {
namespace {

absl::Status ParseShard(const std::string& text, uint32_t* index, uint32_t* count) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], index) ||
      !absl::SimpleAtoi(parts[1], count) || *count == 0 || *index >= *count) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard must be i/S with 0 <= i < S, got '", text, "'"));
  }
  return absl::OkStatus();
}

int RunReplay(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "mbrl replay: takes no arguments\n";
    return kExitUsage;
  }
  BlockShutdownSignals();
  replay::ReplayShardOptions options;
  if (absl::Status status =
          ParseShard(absl::GetFlag(FLAGS_shard), &options.shard_index, &options.num_shards);
      !status.ok()) {
    std::cerr << "mbrl replay: " << status.message() << "\n";
    return kExitUsage;
  }
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  replay::TableOptions& table = options.tables[0];
  table.name = absl::GetFlag(FLAGS_table);
  table.capacity_transitions = absl::GetFlag(FLAGS_capacity);
  table.capacity_bytes = absl::GetFlag(FLAGS_capacity_bytes);
  table.rate_limiter.samples_per_insert = absl::GetFlag(FLAGS_samples_per_insert);
  table.rate_limiter.min_size_to_sample = absl::GetFlag(FLAGS_min_size_to_sample);
  table.rate_limiter.min_diff = absl::GetFlag(FLAGS_min_diff);
  table.rate_limiter.max_diff = absl::GetFlag(FLAGS_max_diff);
  table.priority_exponent = absl::GetFlag(FLAGS_priority_exponent);
  table.wal.sync = absl::GetFlag(FLAGS_fsync);
  if (options.data_dir.empty()) {
    MBRL_LOG(WARNING) << "mbrl replay: no --data_dir: the shard keeps its data in memory only";
  }

  absl::StatusOr<std::unique_ptr<MetricsExporter>> exporter = StartMetricsExporterFromFlags();
  if (!exporter.ok()) {
    std::cerr << "mbrl replay: " << exporter.status().message() << "\n";
    return kExitFailure;
  }
  const ServerOptions server_options = ServerOptionsFromFlags(
      absl::StrCat(absl::GetFlag(FLAGS_bind), ":", absl::GetFlag(FLAGS_port)));
  absl::StatusOr<std::unique_ptr<replay::ReplayShardServer>> shard =
      replay::ReplayShardServer::Start(options, server_options, exporter->get());
  if (!shard.ok()) {
    std::cerr << "mbrl replay: " << shard.status().message() << "\n";
    return absl::IsInvalidArgument(shard.status()) ? kExitUsage : kExitFailure;
  }
  std::cout << "mbrl replay: shard " << options.shard_index << "/" << options.num_shards
            << " serving on port " << (*shard)->server().port();
  if (*exporter != nullptr) std::cout << ", metrics on port " << (*exporter)->port();
  std::cout << std::endl;

  const int signal = WaitForShutdownSignal();
  MBRL_LOG(INFO) << "mbrl replay: signal " << signal << ", shutting down";
  (*shard)->Shutdown();
  return kExitOk;
}

}  // namespace

Subcommand ReplaySubcommand() {
  std::vector<std::string> flags = {"port",
                                    "bind",
                                    "data_dir",
                                    "shard",
                                    "table",
                                    "capacity",
                                    "capacity_bytes",
                                    "samples_per_insert",
                                    "min_size_to_sample",
                                    "min_diff",
                                    "max_diff",
                                    "priority_exponent",
                                    "fsync"};
  for (const std::string& flag : ServerFlagNames()) flags.push_back(flag);
  return {
      /*name=*/"replay",
      /*arguments=*/"",
      /*summary=*/"Serve one shard of the durable replay store (gRPC ReplayShard).",
      /*details=*/
      "Stores trajectory chunks of real transitions, acknowledges each insert once it is "
      "durable in --data_dir, and serves uniform/prioritized/FIFO sampling under a "
      "samples-per-insert rate limiter and in-order scans. grpc.health.v1 reports NOT_SERVING "
      "until the log is recovered. Prints 'serving on port P' once ready; stops on SIGTERM or "
      "SIGINT.",
      /*flags=*/flags,
      /*run=*/RunReplay,
  };
}

}  // namespace mbrl::cli
