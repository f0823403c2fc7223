// `mbrl bench replay`: insert and sample throughput of durable replay shards on loopback,
// against raw gRPC streaming of the same bytes measured in the same run.
//
// For every chunk size (transitions per chunk, HalfCheetah-size transitions: 17 + 6 + 17 + 1 +
// 1 floats) and shard count:
//   1. insert: one Insert stream per shard, `window` requests in flight, each request holding
//      chunks of `transitions_per_request` transitions in total, every chunk of a fresh episode
//      (nothing is a duplicate); acknowledged = durable (fdatasync'd, unless `fsync` is off).
//   2. raw insert: the same requests, serialized into RawSink.Sink (a bytes payload, acked on
//      read, no work behind it) on the same stream pattern.
//   3. sample: one endless Sample stream per shard (UNIFORM batches of `sample_batch`).
//   4. raw sample: RawSink.Source streaming a real SampleResponse's bytes again and again.
// Rates are transitions (and MB) per second of wall time; client and server share the machine.
#ifndef MBRL_BENCH_REPLAY_REPLAY_BENCH_H_
#define MBRL_BENCH_REPLAY_REPLAY_BENCH_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace mbrl::bench {

struct ReplayBenchOptions {
  // Wall time of each measurement.
  double seconds = 3.0;
  std::vector<int> chunk_sizes = {100, 1000};
  std::vector<int> shard_counts = {1, 2};
  // Transitions per insert request (chunks per request = max(1, this / chunk size)).
  int transitions_per_request = 1000;
  // Requests in flight per stream (keep <= the shard's max_inflight_inserts).
  int window = 16;
  int sample_batch = 256;
  bool fsync = true;
  // Where the shards keep their logs; "" = a fresh directory under $TMPDIR (or /tmp), removed
  // afterwards.
  std::string data_dir;
};

// Ordered name=value results: the goal figures first (insert_transitions_per_s and
// sample_transitions_per_s: the slowest one-shard configuration; insert_vs_raw_grpc and
// sample_vs_raw_grpc: the lowest ratio of any configuration), then every configuration's.
using ReplayBenchResults = std::vector<std::pair<std::string, double>>;

// Runs every measurement, writing a line per measurement to `log`. INVALID_ARGUMENT for bad
// options; INTERNAL/UNAVAILABLE if a shard fails or an insert is not acknowledged.
absl::StatusOr<ReplayBenchResults> RunReplayBench(const ReplayBenchOptions& options,
                                                  std::ostream& log);

}  // namespace mbrl::bench

#endif  // MBRL_BENCH_REPLAY_REPLAY_BENCH_H_
