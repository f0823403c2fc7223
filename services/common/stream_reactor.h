// The one reactor base for streaming responses with the gRPC callback API: a guarded queue of
// outgoing messages, one write in flight at a time, and a single place that decides when the
// call may be finished.
//
//   class MyWatch : public ServerStreamReactor<Update> {
//     void OnStreamCancelled() override { registry_->Remove(this); Close(grpc::Status::OK); }
//   };
//   reactor->Send(update);                 // from any thread, never blocks
//   reactor->Close(grpc::Status::OK);      // finishes after the queued messages are written
//
// Contract:
// - Send() and Close() are thread-safe, never block, and may be called from reactions (they
//   start the gRPC write or finish outside the reactor's lock).
// - Messages are written in Send() order; at most one write is in flight (gRPC's rule).
// - Backpressure: Send() never refuses for being full; callers bound what they queue (e.g. by
//   pulling the next message in OnQueueDrained()). queued() says how many are waiting.
// - When the client cancels or a write fails, OnStreamCancelled() is called exactly once
//   (without the lock). Queued messages are dropped, Send() returns false from then on, and the
//   subclass must call Close() once it holds no external registration that could still call
//   into the reactor. The call is finished only by Close(): every subclass calls it exactly
//   when nothing else will touch the reactor, because OnDone() deletes it.
// - Callbacks that other threads may run into the reactor (a table's completion, a timer) take
//   a reference: Ref() before handing the callback out, Unref() as its last statement (or when
//   it is cancelled and will never run). The reactor is deleted when gRPC is done with it
//   (OnDone) and the last reference is gone, so such a callback never runs on a deleted one.
// - OnStreamDone() runs once gRPC is done with the call (after the last reaction).
#ifndef MBRL_SERVICES_COMMON_STREAM_REACTOR_H_
#define MBRL_SERVICES_COMMON_STREAM_REACTOR_H_

#include <atomic>
#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace mbrl {

// `ReactorBase` is grpc::ServerWriteReactor<Response> or grpc::ServerBidiReactor<Req, Response>.
template <class ReactorBase, class Response>
class QueuedWriteReactor : public ReactorBase {
 public:
  QueuedWriteReactor() = default;
  QueuedWriteReactor(const QueuedWriteReactor&) = delete;
  QueuedWriteReactor& operator=(const QueuedWriteReactor&) = delete;

  // Queues `response` for writing. False (and the message is dropped) once the stream is
  // closing, cancelled or broken.
  bool Send(Response response) ABSL_LOCKS_EXCLUDED(mu_) {
    const Response* to_write = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (closing_ || cancelled_) return false;
      queue_.push_back(std::move(response));
      if (!writing_) {
        writing_ = true;
        to_write = &queue_.front();  // deque references survive push_back / pop_front
      }
    }
    if (to_write != nullptr) this->StartWrite(to_write);
    return true;
  }

  // Ends the stream with `status` once every queued message was written (at once if the stream
  // was cancelled: the client is gone). Only the first call counts.
  void Close(grpc::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    bool finish_now = false;
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return;
      closing_ = true;
      status_ = std::move(status);
      finish_now = !writing_;
    }
    if (finish_now) FinishOnce();
  }

  // Messages queued and not yet written (including the one being written).
  size_t queued() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }

 protected:
  // The queue became empty after a successful write (and Close() was not called): a good
  // moment to produce the next message. Called without the lock, from a reaction.
  virtual void OnQueueDrained() {}
  // The client cancelled or a write failed. Called once, without the lock. The subclass must
  // call Close() (now or later).
  virtual void OnStreamCancelled() = 0;
  // The call is over; the reactor is deleted right after.
  virtual void OnStreamDone() {}

  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    const Response* next = nullptr;
    bool finish_now = false;
    bool drained = false;
    bool newly_cancelled = false;
    {
      absl::MutexLock lock(&mu_);
      queue_.pop_front();
      if (!ok && !cancelled_) {
        cancelled_ = true;
        newly_cancelled = true;
      }
      if (cancelled_) queue_.clear();
      if (!queue_.empty()) {
        next = &queue_.front();
      } else {
        writing_ = false;
        finish_now = closing_;
        drained = !closing_ && !cancelled_;
      }
    }
    if (next != nullptr) this->StartWrite(next);
    if (newly_cancelled) OnStreamCancelled();
    if (finish_now) FinishOnce();
    if (drained) OnQueueDrained();
  }

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return;  // a failed write reported it already
      cancelled_ = true;
      // The message being written (if any) completes with ok=false; drop the rest now.
      if (writing_) {
        queue_.erase(queue_.begin() + 1, queue_.end());
      } else {
        queue_.clear();
      }
    }
    OnStreamCancelled();
  }

  void OnDone() override {
    OnStreamDone();
    Unref();  // gRPC's reference
  }

  void FinishOnce() ABSL_LOCKS_EXCLUDED(mu_) {
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
      status = cancelled_ ? grpc::Status::CANCELLED : status_;
    }
    this->Finish(std::move(status));
  }

  std::atomic<int> refs_{1};  // gRPC's, plus one per outstanding external callback
  mutable absl::Mutex mu_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;    // queue_.front() is being written
  bool closing_ ABSL_GUARDED_BY(mu_) = false;    // Close() was called
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;  // the client cancelled or a write failed
  bool finished_ ABSL_GUARDED_BY(mu_) = false;   // Finish() was called
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

// A server-streaming RPC's reactor.
template <class Response>
using ServerStreamReactor = QueuedWriteReactor<grpc::ServerWriteReactor<Response>, Response>;

// A bidirectional RPC's reactor: reads are the subclass's (StartRead / OnReadDone); it must call
// Close() only when no read is in flight.
template <class Request, class Response>
using BidiStreamReactor = QueuedWriteReactor<grpc::ServerBidiReactor<Request, Response>, Response>;

}  // namespace mbrl

#endif  // MBRL_SERVICES_COMMON_STREAM_REACTOR_H_
