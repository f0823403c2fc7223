// The server side of WatchModel / WatchPolicy: the current snapshot of a learner and the open
// Watch streams it is published to.
//
//   SnapshotPublisher<v1::ModelSnapshot> publisher(
//       [](const v1::ModelSnapshot& s) { return s.version(); });
//   // in the service: return publisher.Watch(request->known_version());
//   publisher.Publish(std::make_shared<const v1::ModelSnapshot>(std::move(snapshot)));
//
// Contract of every Watch stream: if the current snapshot's key (version or revision) is above
// the subscriber's known key, it is sent at once; after that, the newest snapshot each time one
// is published. At most one snapshot is queued per stream: a slow subscriber skips to the
// newest instead of queueing every one (snapshots are large). Keys must increase from publish
// to publish. Shutdown() ends every stream with UNAVAILABLE (resubscribe).
//
// Thread-safety: every method is thread-safe and non-blocking; Publish() may be called from any
// thread. Lock order: the publisher's mutex, then a stream's.
#ifndef MBRL_SERVICES_COMMON_SNAPSHOT_PUBLISHER_H_
#define MBRL_SERVICES_COMMON_SNAPSHOT_PUBLISHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "services/common/stream_reactor.h"

namespace mbrl {

template <class Snapshot>
class SnapshotPublisher {
 public:
  using KeyFn = std::function<uint64_t(const Snapshot&)>;

  explicit SnapshotPublisher(KeyFn key) : key_(std::move(key)) {}
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;
  // Shutdown() must have been called (the server shut down) before destruction.
  ~SnapshotPublisher() = default;

  // Makes `snapshot` the current one and offers it to every open stream.
  void Publish(std::shared_ptr<const Snapshot> snapshot) ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<WatchReactor*> watchers;
    {
      absl::MutexLock lock(&mu_);
      latest_ = snapshot;
      watchers = ReferencedWatchers();
    }
    // Sends happen without any lock (gRPC may run reactions before StartWrite returns).
    for (WatchReactor* watcher : watchers) {
      watcher->Offer(snapshot);
      watcher->Release();
    }
  }

  // The current snapshot (null before the first Publish).
  std::shared_ptr<const Snapshot> Latest() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return latest_;
  }

  // The reactor of one Watch call from a subscriber that holds `known_key`.
  grpc::ServerWriteReactor<Snapshot>* Watch(uint64_t known_key) ABSL_LOCKS_EXCLUDED(mu_) {
    auto* watcher = new WatchReactor(this, known_key);
    std::shared_ptr<const Snapshot> latest;
    bool shut_down;
    {
      absl::MutexLock lock(&mu_);
      shut_down = shut_down_;
      if (!shut_down) watchers_.insert(watcher);
      latest = latest_;
    }
    if (shut_down) {
      watcher->Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
    } else {
      watcher->Offer(latest);
    }
    return watcher;
  }

  // Ends every stream with UNAVAILABLE and answers later Watch calls the same way. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<WatchReactor*> watchers;
    {
      absl::MutexLock lock(&mu_);
      shut_down_ = true;
      watchers = ReferencedWatchers();
      watchers_.clear();
    }
    for (WatchReactor* watcher : watchers) {
      watcher->Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
      watcher->Release();
    }
  }

  // Open streams (for tests).
  size_t watchers() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return watchers_.size();
  }

 private:
  class WatchReactor final : public ServerStreamReactor<Snapshot> {
   public:
    WatchReactor(SnapshotPublisher* publisher, uint64_t known_key)
        : publisher_(publisher), sent_key_(known_key) {}

    // Sends `snapshot` if it is newer than what this stream sent and no write is in flight;
    // otherwise looks again once the write in flight is done. Call without locks held.
    void Offer(const std::shared_ptr<const Snapshot>& snapshot) ABSL_LOCKS_EXCLUDED(mu_) {
      if (snapshot == nullptr) return;
      const uint64_t key = publisher_->key_(*snapshot);
      {
        absl::MutexLock lock(&mu_);
        if (key <= sent_key_) return;
        if (writing_) {
          pending_ = true;
          return;
        }
        writing_ = true;
        sent_key_ = key;
      }
      if (!this->Send(*snapshot)) {
        absl::MutexLock lock(&mu_);
        writing_ = false;
      }
    }

    // A reference that keeps the reactor alive while the publisher uses it outside its lock.
    void Hold() { this->Ref(); }
    void Release() { this->Unref(); }

   private:
    void OnMessageWritten() override ABSL_LOCKS_EXCLUDED(mu_) {
      bool pending;
      {
        absl::MutexLock lock(&mu_);
        writing_ = false;
        pending = pending_;
        pending_ = false;
      }
      if (pending) Offer(publisher_->Latest());
    }

    void OnStreamCancelled() override {
      {
        absl::MutexLock lock(&publisher_->mu_);
        publisher_->watchers_.erase(this);
      }
      this->Close(grpc::Status::OK);
    }

    SnapshotPublisher* const publisher_;
    absl::Mutex mu_;
    uint64_t sent_key_ ABSL_GUARDED_BY(mu_);
    bool writing_ ABSL_GUARDED_BY(mu_) = false;
    bool pending_ ABSL_GUARDED_BY(mu_) = false;
  };

  // The open streams, each with a reference the caller releases.
  std::vector<WatchReactor*> ReferencedWatchers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<WatchReactor*> watchers(watchers_.begin(), watchers_.end());
    for (WatchReactor* watcher : watchers) watcher->Hold();
    return watchers;
  }

  const KeyFn key_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> latest_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<WatchReactor*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_SNAPSHOT_PUBLISHER_H_
