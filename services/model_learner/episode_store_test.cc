#include "services/model_learner/episode_store.h"

#include <ATen/ATen.h>

#include <vector>

#include "common/config.h"
#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "common/testing/test_config.h"
#include "gtest/gtest.h"

namespace mbrl::model_learner {
namespace {

using ::mbrl::testing::StatusIs;

constexpr int kObs = 2;
constexpr int kAct = 1;

EpisodePlan Plan() {
  // Horizon 3; iteration 0: 2 random episodes; later iterations: 2 tasks x 1 episode.
  return *EpisodePlan::Create(testing::EffectiveTestConfig(
      "env { horizon: 3 } model { ensemble_size: 1 } mbmpo { iterations: 3 "
      "initial_random_steps: 6 meta_batch_size: 2 }"));
}

// `rows` transitions of episode `id` whose observation is (value, step) and action value;
// the last one ends the episode if `ends`.
v1::ScanResponse Scan(uint64_t id, float value, int first_step, int rows, bool ends,
                      int64_t first_key) {
  std::vector<float> observations, actions, next;
  std::vector<uint8_t> terminated(rows, 0), truncated(rows, 0);
  std::vector<int64_t> ids(rows, static_cast<int64_t>(id)), keys;
  for (int i = 0; i < rows; ++i) {
    const float step = static_cast<float>(first_step + i);
    observations.insert(observations.end(), {value, step});
    next.insert(next.end(), {value, step + 1});
    actions.push_back(value);
    keys.push_back(first_key + i);
  }
  if (ends) truncated.back() = 1;
  v1::ScanResponse response;
  v1::TransitionBatch& batch = *response.mutable_batch();
  *batch.mutable_observations() = MakeTensor<float>(observations, {rows, kObs});
  *batch.mutable_actions() = MakeTensor<float>(actions, {rows, kAct});
  *batch.mutable_next_observations() = MakeTensor<float>(next, {rows, kObs});
  *batch.mutable_rewards() = MakeTensor<float>(std::vector<float>(rows, 0.f), {rows});
  *batch.mutable_terminated() = MakeTensor<uint8_t>(terminated, {rows});
  batch.mutable_terminated()->set_dtype(v1::DTYPE_BOOL);
  *batch.mutable_truncated() = MakeTensor<uint8_t>(truncated, {rows});
  batch.mutable_truncated()->set_dtype(v1::DTYPE_BOOL);
  *batch.mutable_episode_ids() = MakeTensor<int64_t>(ids, {rows});
  *batch.mutable_keys() = MakeTensor<int64_t>(keys, {rows});
  return response;
}

// The first observation value of each row.
std::vector<float> Values(const learner::TransitionData& data) {
  std::vector<float> out;
  for (int64_t i = 0; i < data.size(); ++i) out.push_back(data.observations[i][0].item<float>());
  return out;
}

TEST(EpisodeStoreTest, CanonicalOrderAndCompleteIterations) {
  const EpisodePlan plan = Plan();
  EpisodeStore store(plan, kObs, kAct, 1000);
  // Episode 1 arrives before episode 0, and episode 0 in two pieces.
  MBRL_ASSERT_OK(store.Add(Scan(plan.EpisodeId(1), 1, 0, 3, true, 100)));
  EXPECT_EQ(store.complete_iterations(), 0);
  MBRL_ASSERT_OK(store.Add(Scan(plan.EpisodeId(0), 0, 0, 2, false, 0)));
  EXPECT_EQ(store.complete_iterations(), 0);
  MBRL_ASSERT_OK(store.Add(Scan(plan.EpisodeId(0), 0, 2, 1, true, 2)));
  EXPECT_EQ(store.complete_iterations(), 1);
  // A foreign episode sorts after the plan's; episode 3 (iteration 1) before it.
  MBRL_ASSERT_OK(store.Add(Scan(777, 9, 0, 3, true, 200)));
  MBRL_ASSERT_OK(store.Add(Scan(plan.EpisodeId(3), 3, 0, 3, true, 50)));
  EXPECT_EQ(store.complete_iterations(), 1);  // episode 2 of iteration 1 is missing
  MBRL_ASSERT_OK(store.Add(Scan(plan.EpisodeId(2), 2, 0, 3, true, 60)));
  EXPECT_EQ(store.complete_iterations(), 2);
  EXPECT_EQ(store.size(), 15);
  EXPECT_EQ(store.added(), 15u);
  const learner::TransitionData data = store.Data();
  EXPECT_EQ(Values(data), (std::vector<float>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 9, 9, 9}));
  // Steps within an episode in order.
  EXPECT_EQ(data.observations[1][1].item<float>(), 1);
  EXPECT_EQ(data.next_observations[2][1].item<float>(), 3);
}

TEST(EpisodeStoreTest, KeepsTheNewestCapacityTransitions) {
  const EpisodePlan plan = Plan();
  EpisodeStore store(plan, kObs, kAct, 4);
  for (uint64_t e = 0; e < 3; ++e) {
    MBRL_ASSERT_OK(store.Add(Scan(plan.EpisodeId(e), static_cast<float>(e), 0, 3, true, e * 3)));
  }
  EXPECT_EQ(Values(store.Data()), (std::vector<float>{1, 2, 2, 2}));
  // Episode 0 was dropped whole; its completion still counts.
  EXPECT_EQ(store.size(), 6);
  EXPECT_EQ(store.complete_iterations(), 1);
}

TEST(EpisodeStoreTest, RejectsMalformedBatchesWholly) {
  const EpisodePlan plan = Plan();
  EpisodeStore store(plan, kObs, kAct, 100);
  v1::ScanResponse bad = Scan(plan.EpisodeId(0), 0, 0, 3, true, 0);
  *bad.mutable_batch()->mutable_actions() = MakeTensor<float>({1, 2}, {2, 1});
  EXPECT_THAT(store.Add(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ScanResponse nan = Scan(plan.EpisodeId(0), std::nanf(""), 0, 3, true, 0);
  EXPECT_THAT(store.Add(nan), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store.size(), 0);
  EXPECT_EQ(store.complete_iterations(), 0);
  EXPECT_EQ(store.Data().size(), 0);
}

}  // namespace
}  // namespace mbrl::model_learner
