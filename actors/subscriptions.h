// The actors' subscriptions to the learners: WatchPolicy (keyed by revision) and WatchModel
// (keyed by version), each a SnapshotSubscriber (services/common/snapshot_subscriber.h) that
// resubscribes with backoff.
#ifndef MBRL_ACTORS_SUBSCRIPTIONS_H_
#define MBRL_ACTORS_SUBSCRIPTIONS_H_

#include <memory>

#include "mbrl/v1/model_learner.grpc.pb.h"
#include "mbrl/v1/policy_learner.grpc.pb.h"
#include "services/common/snapshot_subscriber.h"

namespace mbrl::actors {

using PolicySubscriber = SnapshotSubscriber<v1::PolicySnapshot>;
using ModelSubscriber = SnapshotSubscriber<v1::ModelSnapshot>;

inline std::unique_ptr<PolicySubscriber> SubscribeToPolicies(
    std::shared_ptr<v1::PolicyLearner::StubInterface> stub,
    SnapshotSubscriberOptions options = {}) {
  return std::make_unique<PolicySubscriber>(
      "policy learner",
      [stub](grpc::ClientContext* context, uint64_t known) {
        v1::WatchPolicyRequest request;
        request.set_known_revision(known);
        return stub->WatchPolicy(context, request);
      },
      [](const v1::PolicySnapshot& snapshot) { return snapshot.revision(); }, options);
}

inline std::unique_ptr<ModelSubscriber> SubscribeToModels(
    std::shared_ptr<v1::ModelLearner::StubInterface> stub, SnapshotSubscriberOptions options = {}) {
  return std::make_unique<ModelSubscriber>(
      "model learner",
      [stub](grpc::ClientContext* context, uint64_t known) {
        v1::WatchModelRequest request;
        request.set_known_version(known);
        return stub->WatchModel(context, request);
      },
      [](const v1::ModelSnapshot& snapshot) { return snapshot.version(); }, options);
}

}  // namespace mbrl::actors

#endif  // MBRL_ACTORS_SUBSCRIPTIONS_H_
