#include "actors/envs/parallel_runner.h"

namespace mbrl::envs {

ParallelRunner::ParallelRunner(int num_threads) {
  for (int chunk = 1; chunk < num_threads; ++chunk) {
    workers_.emplace_back([this, chunk] { WorkerLoop(chunk); });
  }
}

ParallelRunner::~ParallelRunner() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void ParallelRunner::Run(const std::function<void(int chunk)>& fn) {
  if (workers_.empty()) {
    fn(0);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    job_ = &fn;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  fn(0);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* pending) { return *pending == 0; }, &pending_));
  job_ = nullptr;
}

void ParallelRunner::WorkerLoop(int chunk) {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int)>* job;
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this, &seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return shutting_down_ || generation_ != seen;
      };
      mu_.Await(absl::Condition(&ready));
      if (shutting_down_) return;
      seen = generation_;
      job = job_;
    }
    (*job)(chunk);
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

ChunkRange SplitRange(int count, int chunks, int chunk) {
  const int base = count / chunks, extra = count % chunks;
  const int begin = chunk * base + (chunk < extra ? chunk : extra);
  return {begin, begin + base + (chunk < extra ? 1 : 0)};
}

}  // namespace mbrl::envs
