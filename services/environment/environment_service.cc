#include "services/environment/environment_service.h"

#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "actors/envs/env_spec_proto.h"
#include "actors/envs/random.h"
#include "common/status_macros.h"
#include "common/tensor_proto.h"
#include "services/common/status_util.h"
#include "services/common/stream_reactor.h"

namespace mbrl {

class EnvironmentService::Metrics final : public prometheus::Collectable {
 public:
  explicit Metrics(const EnvironmentService* service)
      : service_(service), rpc_("mbrl.v1.Environment", {"Spec", "Session"}) {}

  RpcMetrics& rpc() { return rpc_; }
  std::atomic<uint64_t> steps{0};
  std::atomic<uint64_t> resets{0};

  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily active =
        GaugeFamily("mbrl_env_sessions_active", "Environment sessions open now.");
    AddSample(active, service_->active_sessions());
    prometheus::MetricFamily sessions =
        CounterFamily("mbrl_env_sessions_total", "Environment sessions opened.");
    AddSample(sessions, static_cast<double>(service_->sessions_started_.load()));
    prometheus::MetricFamily step_count =
        CounterFamily("mbrl_env_steps_total", "Environment steps served.");
    AddSample(step_count, static_cast<double>(steps.load()));
    prometheus::MetricFamily reset_count =
        CounterFamily("mbrl_env_resets_total", "Environment resets served.");
    AddSample(reset_count, static_cast<double>(resets.load()));
    std::vector<prometheus::MetricFamily> families = rpc_.Collect();
    for (prometheus::MetricFamily* family : {&active, &sessions, &step_count, &reset_count}) {
      families.push_back(std::move(*family));
    }
    return families;
  }

 private:
  const EnvironmentService* const service_;
  RpcMetrics rpc_;
};

// One Session stream: reads a request, answers it, and reads the next only once the answer was
// written. Deletes itself when the call is done (QueuedWriteReactor::OnDone).
class EnvironmentService::SessionReactor final
    : public BidiStreamReactor<v1::EnvRequest, v1::EnvResponse> {
 public:
  SessionReactor(EnvironmentService* service, std::unique_ptr<envs::Env> env, uint64_t seed)
      : service_(service),
        env_(std::move(env)),
        random_(seed),
        observation_(env_->spec().observation.dim) {
    StartNextRead();
  }

  // Ends a session that could not start (no env, too many sessions).
  static SessionReactor* Rejected(EnvironmentService* service, grpc::Status status) {
    auto* reactor = new SessionReactor(service);
    reactor->Close(std::move(status));
    return reactor;
  }

 private:
  explicit SessionReactor(EnvironmentService* service) : service_(service), random_(0) {}

  void StartNextRead() ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return;
      read_in_flight_ = true;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      read_in_flight_ = false;
    }
    if (!ok) {  // the client half-closed (or the call was cancelled: Close reports that)
      Close(grpc::Status::OK);
      return;
    }
    ScopedLatency latency(service_->metrics_->rpc().method("Session"));
    v1::EnvResponse response;
    const absl::Status status = Handle(request_, &response);
    if (!status.ok()) {
      Close(ToGrpcStatus(status));
      return;
    }
    Send(std::move(response));
  }

  void OnQueueDrained() override { StartNextRead(); }

  void OnStreamCancelled() override ABSL_LOCKS_EXCLUDED(mu_) {
    bool close_now;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      close_now = !read_in_flight_;  // else OnReadDone(false) closes
    }
    if (close_now) Close(grpc::Status::CANCELLED);
  }

  void OnStreamDone() override {
    if (env_ != nullptr) service_->active_sessions_.fetch_sub(1);
  }

  absl::Status Handle(const v1::EnvRequest& request, v1::EnvResponse* response) {
    const envs::EnvSpec& spec = env_->spec();
    switch (request.request_case()) {
      case v1::EnvRequest::kReset: {
        const uint64_t seed =
            request.reset().has_seed() ? request.reset().seed() : random_.NextBits();
        MBRL_RETURN_IF_ERROR(env_->Reset(seed, absl::MakeSpan(observation_)));
        service_->metrics_->resets.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      case v1::EnvRequest::kStep: {
        const v1::Tensor& action = request.step().action();
        MBRL_RETURN_IF_ERROR(CheckTensor(action, "action", v1::DTYPE_FLOAT32, {spec.action.dim}));
        MBRL_ASSIGN_OR_RETURN(absl::Span<const float> values, TensorData<float>(action, "action"));
        MBRL_ASSIGN_OR_RETURN(const envs::StepResult result,
                              env_->Step(values, absl::MakeSpan(observation_)));
        response->set_reward(result.reward);
        response->set_terminated(result.terminated);
        response->set_truncated(result.truncated);
        service_->metrics_->steps.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      default:
        return absl::InvalidArgumentError("EnvRequest has neither reset nor step");
    }
    *response->mutable_observation() =
        MakeTensor<float>(observation_, {static_cast<int64_t>(observation_.size())});
    return absl::OkStatus();
  }

  EnvironmentService* const service_;
  const std::unique_ptr<envs::Env> env_;
  envs::EnvRandom random_;
  std::vector<float> observation_;
  v1::EnvRequest request_;  // written by the read in flight

  absl::Mutex mu_;
  bool read_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<std::unique_ptr<EnvironmentService>> EnvironmentService::Create(
    EnvFactory make_env, const EnvironmentServiceOptions& options) {
  if (options.max_sessions < 1) {
    return absl::InvalidArgumentError("environment service: max_sessions must be >= 1");
  }
  MBRL_ASSIGN_OR_RETURN(std::unique_ptr<envs::Env> env, make_env());
  return std::unique_ptr<EnvironmentService>(
      new EnvironmentService(std::move(make_env), options, envs::EnvSpecToProto(env->spec())));
}

EnvironmentService::EnvironmentService(EnvFactory make_env,
                                       const EnvironmentServiceOptions& options, v1::EnvSpec spec)
    : make_env_(std::move(make_env)),
      options_(options),
      spec_(std::move(spec)),
      metrics_(std::make_shared<Metrics>(this)) {}

std::shared_ptr<prometheus::Collectable> EnvironmentService::metrics() const { return metrics_; }

grpc::ServerUnaryReactor* EnvironmentService::Spec(grpc::CallbackServerContext* context,
                                                   const v1::SpecRequest* request,
                                                   v1::EnvSpec* response) {
  ScopedLatency latency(metrics_->rpc().method("Spec"));
  *response = spec_;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerBidiReactor<v1::EnvRequest, v1::EnvResponse>* EnvironmentService::Session(
    grpc::CallbackServerContext* context) {
  if (active_sessions_.fetch_add(1) >= options_.max_sessions) {
    active_sessions_.fetch_sub(1);
    return SessionReactor::Rejected(
        this, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           absl::StrCat("environment server: all ", options_.max_sessions,
                                        " sessions are in use; retry later")));
  }
  absl::StatusOr<std::unique_ptr<envs::Env>> env = make_env_();
  if (!env.ok()) {
    active_sessions_.fetch_sub(1);
    return SessionReactor::Rejected(this, ToGrpcStatus(env.status()));
  }
  const uint64_t session = sessions_started_.fetch_add(1);
  return new SessionReactor(this, std::move(*env), envs::MixSeed(options_.seed, session));
}

}  // namespace mbrl
