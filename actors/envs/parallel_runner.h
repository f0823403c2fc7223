// A fixed set of threads that run one function on every chunk index in parallel: the vector
// env's way to step disjoint ranges of its environments on several cores.
#ifndef MBRL_ACTORS_ENVS_PARALLEL_RUNNER_H_
#define MBRL_ACTORS_ENVS_PARALLEL_RUNNER_H_

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mbrl::envs {

// Run(fn) calls fn(0), ..., fn(num_threads - 1), each on its own thread (fn(0) on the caller),
// and returns when all have returned. The num_threads - 1 worker threads live as long as the
// runner and are joined by its destructor. Run is not reentrant and must be called from one
// thread at a time; fn must not throw.
class ParallelRunner {
 public:
  explicit ParallelRunner(int num_threads);
  ~ParallelRunner();
  ParallelRunner(const ParallelRunner&) = delete;
  ParallelRunner& operator=(const ParallelRunner&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  void Run(const std::function<void(int chunk)>& fn);

 private:
  void WorkerLoop(int chunk);

  absl::Mutex mu_;
  const std::function<void(int)>* job_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

// The half-open range [begin, end) of `chunk` when `count` items are split into `chunks`
// contiguous ranges whose sizes differ by at most one.
struct ChunkRange {
  int begin;
  int end;
};
ChunkRange SplitRange(int count, int chunks, int chunk);

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_PARALLEL_RUNNER_H_
