// The client side of WatchModel / WatchPolicy: a background thread that keeps one Watch stream
// open to a learner, holds the newest snapshot received, and resubscribes with backoff when the
// stream ends (the learner restarted, the network failed, the stream's deadline passed).
//
//   SnapshotSubscriber<v1::PolicySnapshot> policies(
//       "policy learner",
//       [stub](grpc::ClientContext* context, uint64_t known) {
//         v1::WatchPolicyRequest request;
//         request.set_known_revision(known);
//         return stub->WatchPolicy(context, request);
//       },
//       [](const v1::PolicySnapshot& s) { return s.revision(); });
//   std::shared_ptr<const v1::PolicySnapshot> p = policies.WaitNewer(0, absl::Seconds(5));
//
// Every stream carries a deadline (`stream_lifetime`; a new stream continues after it) and the
// channel's keepalive detects a vanished peer. Thread-safety: every method is thread-safe.
#ifndef MBRL_SERVICES_COMMON_SNAPSHOT_SUBSCRIBER_H_
#define MBRL_SERVICES_COMMON_SNAPSHOT_SUBSCRIBER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"
#include "services/common/channel.h"
#include "services/common/retry.h"

namespace mbrl {

struct SnapshotSubscriberOptions {
  // Deadline of each Watch stream; a new stream follows at once.
  absl::Duration stream_lifetime = absl::Minutes(10);
  // Delay between failed (re)subscriptions.
  BackoffOptions backoff = {absl::Milliseconds(100), absl::Seconds(3), 2.0, 0.2};
};

template <class Snapshot>
class SnapshotSubscriber {
 public:
  // Opens a Watch stream on `context` for a subscriber holding `known_key`.
  using OpenFn = std::function<std::unique_ptr<grpc::ClientReaderInterface<Snapshot>>(
      grpc::ClientContext* context, uint64_t known_key)>;
  using KeyFn = std::function<uint64_t(const Snapshot&)>;

  // Starts subscribing at once. `name` is for logs.
  SnapshotSubscriber(std::string name, OpenFn open, KeyFn key,
                     SnapshotSubscriberOptions options = {})
      : name_(std::move(name)),
        open_(std::move(open)),
        key_(std::move(key)),
        options_(options),
        thread_([this] { Run(); }) {}

  SnapshotSubscriber(const SnapshotSubscriber&) = delete;
  SnapshotSubscriber& operator=(const SnapshotSubscriber&) = delete;
  ~SnapshotSubscriber() {
    Stop();
    thread_.join();
  }

  // Cancels the stream and stops resubscribing; waiters return. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }

  // The newest snapshot received (null before the first).
  std::shared_ptr<const Snapshot> Latest() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return latest_;
  }

  // Blocks until a snapshot with key above `after` is held, Stop(), or `timeout`; returns the
  // newest snapshot (null if none, and possibly not newer than `after` after a timeout).
  std::shared_ptr<const Snapshot> WaitNewer(uint64_t after, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto newer = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return stopped_ || (latest_ != nullptr && key_(*latest_) > after);
    };
    mu_.AwaitWithTimeout(absl::Condition(&newer), timeout);
    return latest_;
  }

  // Streams opened so far (the first one included).
  int subscriptions() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return subscriptions_;
  }

 private:
  void Run() {
    Backoff backoff(options_.backoff, RandomSeed());
    while (true) {
      grpc::ClientContext context;
      SetTimeout(context, options_.stream_lifetime);
      uint64_t known = 0;
      {
        absl::MutexLock lock(&mu_);
        if (stopped_) return;
        context_ = &context;
        ++subscriptions_;
        if (latest_ != nullptr) known = key_(*latest_);
      }
      std::unique_ptr<grpc::ClientReaderInterface<Snapshot>> reader = open_(&context, known);
      auto snapshot = std::make_shared<Snapshot>();
      bool received = false;
      while (reader->Read(snapshot.get())) {
        received = true;
        absl::MutexLock lock(&mu_);
        if (latest_ == nullptr || key_(*snapshot) > key_(*latest_)) latest_ = snapshot;
        snapshot = std::make_shared<Snapshot>();
      }
      const grpc::Status status = reader->Finish();
      {
        absl::MutexLock lock(&mu_);
        context_ = nullptr;
        if (stopped_) return;
      }
      if (received) backoff.Reset();
      if (status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED || !received) {
        MBRL_LOG(INFO) << name_ << ": watch stream ended (" << status.error_code() << " "
                       << status.error_message() << "); resubscribing";
      }
      const absl::Duration delay =
          status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && received
              ? absl::ZeroDuration()
              : backoff.NextDelay();
      absl::MutexLock lock(&mu_);
      auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopped_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopped), delay);
      if (stopped_) return;
    }
  }

  const std::string name_;
  const OpenFn open_;
  const KeyFn key_;
  const SnapshotSubscriberOptions options_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> latest_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  int subscriptions_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: starts after every other member is initialised
};

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_SNAPSHOT_SUBSCRIBER_H_
