#include "actors/envs/remote_env.h"

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "actors/envs/env_spec_proto.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/tensor_proto.h"
#include "grpcpp/support/client_callback.h"
#include "services/common/retry.h"
#include "services/common/status_util.h"

namespace mbrl::envs {

// One Session stream driven synchronously: Exchange writes a request and waits for its reply.
// Uses gRPC's callback API so that a wait can time out (a synchronous Read cannot).
class RemoteEnv::SessionCall final
    : public grpc::ClientBidiReactor<v1::EnvRequest, v1::EnvResponse> {
 public:
  SessionCall(v1::Environment::Stub& stub, absl::Time deadline) {
    SetDeadline(context_, deadline);
    stub.async()->Session(&context_, this);
    StartCall();
  }

  // Half-closes (or cancels, if a reply is outstanding or the server does not finish within
  // `grace`) and waits until gRPC is done with the call.
  void End(absl::Duration grace) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!done_) {
      if (idle_ && !writes_done_) {
        writes_done_ = true;
        mu_.Unlock();
        StartWritesDone();
        mu_.Lock();
      }
      if (!mu_.AwaitWithTimeout(absl::Condition(&done_), grace)) {
        mu_.Unlock();
        context_.TryCancel();
        mu_.Lock();
      }
    }
    mu_.Await(absl::Condition(&done_));  // always comes after TryCancel
  }

  ~SessionCall() override { End(absl::Seconds(1)); }

  // Sends `request` and waits up to `timeout` for its reply. Errors: the status the stream
  // ended with (converted), DEADLINE_EXCEEDED after `timeout` (the call is then cancelled).
  absl::StatusOr<v1::EnvResponse> Exchange(const v1::EnvRequest& request, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (done_ || !idle_) return Failure();
      idle_ = false;
      write_done_ = read_done_ = false;
      request_ = request;
    }
    StartWrite(&request_);
    StartRead(&response_);
    absl::MutexLock lock(&mu_);
    const auto replied = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return (write_done_ && read_done_) || done_;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&replied), timeout)) {
      mu_.Unlock();
      context_.TryCancel();
      mu_.Lock();
      return absl::DeadlineExceededError(absl::StrCat(
          "no reply from the environment server within ", absl::FormatDuration(timeout)));
    }
    if (!(write_ok_ && read_ok_)) {
      // The stream ended: its status explains why; wait for it (it follows the failed read).
      mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
      return Failure();
    }
    idle_ = true;
    return response_;
  }

 private:
  // The error of a stream that cannot carry another exchange.
  absl::Status Failure() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (done_ && !status_.ok()) return FromGrpcStatus(status_);
    return absl::InternalError(done_ ? "the environment server ended the session without a reply"
                                     : "the session is broken (an earlier call failed)");
  }

  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    write_done_ = true;
    write_ok_ = ok;
  }
  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    read_done_ = true;
    read_ok_ = ok;
  }
  void OnWritesDoneDone(bool ok) override {}
  void OnDone(const grpc::Status& status) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }

  grpc::ClientContext context_;
  v1::EnvRequest request_;
  v1::EnvResponse response_;

  absl::Mutex mu_;
  bool idle_ ABSL_GUARDED_BY(mu_) = true;  // no exchange in progress, none failed
  bool write_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_ok_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<Env>> RemoteEnv::Create(const std::string& expected_name,
                                                       int max_episode_steps,
                                                       const RemoteEnvOptions& options) {
  MBRL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                        CreateChannel(options.address, options.channel));
  std::unique_ptr<v1::Environment::Stub> stub = v1::Environment::NewStub(channel);
  RetryOptions retry;
  retry.total_timeout = options.connect_timeout;
  MBRL_ASSIGN_OR_RETURN(
      const v1::EnvSpec proto, Retry(retry, [&]() -> absl::StatusOr<v1::EnvSpec> {
        grpc::ClientContext context;
        SetTimeout(context, options.rpc_timeout);
        v1::EnvSpec reply;
        MBRL_RETURN_IF_ERROR(FromGrpcStatus(stub->Spec(&context, v1::SpecRequest(), &reply)));
        return reply;
      }));
  absl::StatusOr<EnvSpec> spec = EnvSpecFromProto(proto);
  if (!spec.ok()) {
    return absl::InternalError(absl::StrCat("environment server at ", options.address,
                                            " sent an invalid spec: ", spec.status().message()));
  }
  if (spec->name != expected_name) {
    return absl::InvalidArgumentError(absl::StrCat("the environment server at ", options.address,
                                                   " serves \"", spec->name, "\", not \"",
                                                   expected_name, "\""));
  }
  if (max_episode_steps > spec->max_episode_steps) {
    return absl::InvalidArgumentError(
        absl::StrCat("horizon ", max_episode_steps, " exceeds the episode length ",
                     spec->max_episode_steps, " of the environment server at ", options.address));
  }
  spec->max_episode_steps = max_episode_steps;
  return std::unique_ptr<Env>(new RemoteEnv(*std::move(spec), options, std::move(channel)));
}

RemoteEnv::RemoteEnv(EnvSpec spec, RemoteEnvOptions options, std::shared_ptr<grpc::Channel> channel)
    : Env(std::move(spec)),
      options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(v1::Environment::NewStub(channel_)) {}

RemoteEnv::~RemoteEnv() = default;

absl::StatusOr<v1::EnvResponse> RemoteEnv::Exchange(const v1::EnvRequest& request,
                                                    absl::Span<float> observation) {
  absl::StatusOr<v1::EnvResponse> response = session_->Exchange(request, options_.rpc_timeout);
  if (response.ok()) {
    absl::Status valid = CheckTensor(response->observation(), "observation", v1::DTYPE_FLOAT32,
                                     {static_cast<int64_t>(observation.size())});
    if (valid.ok()) {
      absl::StatusOr<absl::Span<const float>> values =
          TensorData<float>(response->observation(), "observation");
      if (values.ok()) {
        std::copy(values->begin(), values->end(), observation.begin());
        return response;
      }
      valid = values.status();
    }
    response = absl::InternalError(absl::StrCat("environment server at ", options_.address,
                                                " broke the protocol: ", valid.message()));
  }
  session_.reset();  // a failed session cannot continue
  return absl::Status(response.status().code(), absl::StrCat(spec().name, " at ", options_.address,
                                                             ": ", response.status().message()));
}

absl::Status RemoteEnv::TryReset(uint64_t seed, absl::Span<float> observation) {
  if (session_ != nullptr && absl::Now() + options_.rpc_timeout >= session_deadline_) {
    session_.reset();  // about to expire: start the episode on a fresh stream
  }
  if (session_ == nullptr) {
    session_deadline_ = absl::Now() + options_.session_timeout;
    session_ = std::make_unique<SessionCall>(*stub_, session_deadline_);
  }
  v1::EnvRequest request;
  request.mutable_reset()->set_seed(seed);
  return Exchange(request, observation).status();
}

absl::StatusOr<double> RemoteEnv::TryStep(absl::Span<const float> action,
                                          absl::Span<float> observation, bool* terminated) {
  if (session_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec().name, " at ", options_.address, ": no session; Reset first"));
  }
  v1::EnvRequest request;
  *request.mutable_step()->mutable_action() =
      MakeTensor<float>(action, {static_cast<int64_t>(action.size())});
  MBRL_ASSIGN_OR_RETURN(const v1::EnvResponse response, Exchange(request, observation));
  if (response.truncated() && elapsed_steps() + 1 < spec().max_episode_steps) {
    session_.reset();
    return absl::InternalError(absl::StrCat(
        spec().name, " at ", options_.address, ": the server truncated the episode after ",
        elapsed_steps() + 1, " steps, before its declared episode length"));
  }
  *terminated = response.terminated();
  return response.reward();
}

void RemoteEnv::DoReset(uint64_t seed, absl::Span<float> observation) {
  MBRL_LOG(FATAL) << "RemoteEnv::DoReset is never called (TryReset is overridden)";
}

double RemoteEnv::DoStep(absl::Span<const float> action, absl::Span<float> observation,
                         bool* terminated) {
  MBRL_LOG(FATAL) << "RemoteEnv::DoStep is never called (TryStep is overridden)";
  return 0;
}

}  // namespace mbrl::envs
