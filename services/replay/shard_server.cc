#include "services/replay/shard_server.h"

#include "common/status_macros.h"
#include "mbrl/v1/replay.grpc.pb.h"

namespace mbrl::replay {

absl::StatusOr<std::unique_ptr<ReplayShardServer>> ReplayShardServer::Start(
    const ReplayShardOptions& shard_options, const ServerOptions& server_options,
    MetricsExporter* exporter) {
  std::unique_ptr<ReplayShardServer> shard(new ReplayShardServer());
  shard->service_ = std::make_unique<ReplayShardService>(shard_options);
  MBRL_ASSIGN_OR_RETURN(shard->server_,
                        GrpcServer::Start(server_options, {{v1::ReplayShard::service_full_name(),
                                                            shard->service_.get()}}));
  if (exporter != nullptr) {
    exporter->Register(shard->service_->rpc_metrics());
    exporter->Register(shard->service_->table_metrics());
  }
  MBRL_RETURN_IF_ERROR(shard->service_->Recover());
  shard->server_->SetServing(true);
  return shard;
}

void ReplayShardServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->SetServing(false);
  service_->Close();
  server_->Shutdown(grace);
}

}  // namespace mbrl::replay
