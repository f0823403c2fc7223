#include "services/common/health_service.h"

#include <string>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "services/common/stream_reactor.h"

namespace mbrl {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

namespace {

HealthCheckResponse MakeResponse(HealthService::ServingStatus status) {
  HealthCheckResponse response;
  response.set_status(status);
  return response;
}

}  // namespace

class HealthService::WatchReactor final : public ServerStreamReactor<HealthCheckResponse> {
 public:
  WatchReactor(HealthService* owner, std::string service)
      : owner_(owner), service_(std::move(service)) {}

  const std::string& service() const { return service_; }

 private:
  void OnStreamCancelled() override {
    owner_->RemoveWatcher(service_, this);
    Close(grpc::Status::OK);
  }

  HealthService* const owner_;
  const std::string service_;
};

HealthService::HealthService() { serving_[""] = false; }

HealthService::~HealthService() {
  absl::MutexLock lock(&mu_);
  for (const auto& [service, watchers] : watchers_) {
    MBRL_CHECK(watchers.empty()) << "HealthService destroyed while Watch streams of '" << service
                                 << "' are open; shut the server down first";
  }
}

HealthService::ServingStatus HealthService::StatusLocked(absl::string_view service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

HealthService::ServingStatus HealthService::GetStatus(absl::string_view service) const {
  absl::MutexLock lock(&mu_);
  return StatusLocked(service);
}

void HealthService::SetServing(absl::string_view service, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  const ServingStatus before = StatusLocked(service);
  serving_[service] = serving;
  const ServingStatus after = StatusLocked(service);
  if (before == after) return;
  auto it = watchers_.find(service);
  if (it == watchers_.end()) return;
  // Send() never blocks and never calls back into this service.
  for (WatchReactor* watcher : it->second) watcher->Send(MakeResponse(after));
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [service, serving] : serving_) serving = false;
  for (auto& [service, watchers] : watchers_) {
    for (WatchReactor* watcher : watchers) {
      watcher->Send(MakeResponse(StatusLocked(service)));
      watcher->Close(grpc::Status::OK);
    }
  }
  // The reactors are no longer registered: a later OnStreamCancelled finds nothing to remove.
  watchers_.clear();
}

void HealthService::RemoveWatcher(const std::string& service, WatchReactor* watcher) {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(service);
  if (it == watchers_.end()) return;
  it->second.erase(watcher);
  if (it->second.empty()) watchers_.erase(it);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const ServingStatus status = GetStatus(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    // At most 200 characters of the name: the message travels in (size-limited) metadata.
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 "unknown service '" + request->service().substr(0, 200) + "'"));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request) {
  auto* reactor = new WatchReactor(this, request->service());
  absl::MutexLock lock(&mu_);
  reactor->Send(MakeResponse(StatusLocked(reactor->service())));
  if (shut_down_) {
    reactor->Close(grpc::Status::OK);
  } else {
    watchers_[reactor->service()].insert(reactor);
  }
  return reactor;
}

}  // namespace mbrl
