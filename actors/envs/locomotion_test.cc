#include "actors/envs/locomotion.h"

#include <mujoco/mujoco.h>

#include <cmath>
#include <vector>

#include "actors/envs/embedded_models.h"
#include "actors/envs/mujoco_model.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mbrl::envs {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

std::unique_ptr<LocomotionEnv> Make(const std::string& name, int horizon = 200) {
  absl::StatusOr<std::unique_ptr<Env>> env = LocomotionEnv::Create(name, horizon);
  EXPECT_THAT(env, IsOk());
  return std::unique_ptr<LocomotionEnv>(static_cast<LocomotionEnv*>(env->release()));
}

TEST(LocomotionTest, EveryModelIsEmbeddedAndCompiles) {
  std::vector<std::string> files;
  for (const EmbeddedFile& file : EmbeddedModels()) files.emplace_back(file.name);
  EXPECT_THAT(files,
              ::testing::ElementsAre("ant.xml", "half_cheetah.xml", "hopper.xml",
                                     "inverted_pendulum.xml", "swimmer.xml", "walker2d.xml"));
  for (const std::string& file : files) {
    EXPECT_THAT(SharedMujocoModel(file), IsOk()) << file;
  }
  EXPECT_THAT(SharedMujocoModel("cheetah.xml"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LocomotionEnv::Create("Cheetah", 10), StatusIs(absl::StatusCode::kNotFound));
}

struct Expected {
  std::string name;
  int nq, nv, nu, obs_dim;
  double timestep;
  float action_bound;
};

// The benchmark morphologies: degrees of freedom, actuators, observation sizes, time steps.
TEST(LocomotionTest, SpecsAndModelsAreTheBenchmarks) {
  for (const Expected& e : std::vector<Expected>{
           {"HalfCheetah", 9, 9, 6, 17, 0.01, 1},
           {"Hopper", 6, 6, 3, 11, 0.002, 1},
           {"Walker2d", 9, 9, 6, 17, 0.002, 1},
           {"Swimmer", 5, 5, 2, 8, 0.01, 1},
           {"Ant", 15, 14, 8, 27, 0.01, 1},
           {"InvertedPendulum", 2, 2, 1, 4, 0.02, 3},
       }) {
    SCOPED_TRACE(e.name);
    std::unique_ptr<LocomotionEnv> env = Make(e.name);
    ASSERT_NE(env, nullptr);
    EXPECT_EQ(env->model()->nq, e.nq);
    EXPECT_EQ(env->model()->nv, e.nv);
    EXPECT_EQ(env->model()->nu, e.nu);
    EXPECT_DOUBLE_EQ(env->model()->opt.timestep, e.timestep);
    EXPECT_EQ(env->spec().observation.dim, e.obs_dim);
    EXPECT_EQ(env->spec().action.dim, e.nu);
    EXPECT_THAT(env->spec().action.low, ::testing::Each(-e.action_bound));
    EXPECT_THAT(env->spec().action.high, ::testing::Each(e.action_bound));
  }
  const mjModel* cheetah = Make("HalfCheetah")->model();
  double mass = 0;
  for (int b = 0; b < cheetah->nbody; ++b) mass += cheetah->body_mass[b];
  EXPECT_NEAR(mass, 14.0, 1e-9);
  EXPECT_THAT(std::vector<double>(cheetah->actuator_gear, cheetah->actuator_gear + 6 * 6),
              ::testing::IsSupersetOf({120.0, 90.0, 60.0, 30.0}));
}

// One env step is exactly frame_skip raw mj_steps of the same model from the same state, and
// the observation and reward are read from the resulting state as documented.
TEST(LocomotionTest, StepIsFrameSkipRawStepsWithTheDocumentedObservationAndReward) {
  for (const auto& [name, frame_skip, qpos_skip] : std::vector<std::tuple<std::string, int, int>>{
           {"HalfCheetah", 5, 1}, {"Hopper", 4, 1}, {"Swimmer", 4, 2}, {"Ant", 5, 2}}) {
    SCOPED_TRACE(name);
    std::unique_ptr<LocomotionEnv> env = Make(name);
    const mjModel* model = env->model();
    const int obs_dim = env->spec().observation.dim, nu = model->nu;
    std::vector<float> obs(obs_dim);
    ASSERT_THAT(env->Reset(42, absl::MakeSpan(obs)), IsOk());
    mjData* raw = mj_makeData(model);
    for (int t = 0; t < 30; ++t) {
      // Copy the full simulator state (including warm starts) into the raw twin.
      mj_copyData(raw, model, env->data());
      std::vector<float> action(nu);
      for (int i = 0; i < nu; ++i) action[i] = std::sin(0.3 * t + i);
      MBRL_ASSERT_OK_AND_ASSIGN(StepResult result, env->Step(action, absl::MakeSpan(obs)));
      for (int i = 0; i < nu; ++i) raw->ctrl[i] = action[i];
      for (int k = 0; k < frame_skip; ++k) mj_step(model, raw);
      double action_norm2 = 0;
      for (float a : action) action_norm2 += static_cast<double>(a) * a;
      for (int i = qpos_skip; i < model->nq; ++i) {
        ASSERT_EQ(obs[i - qpos_skip], static_cast<float>(raw->qpos[i])) << "t " << t;
      }
      for (int i = 0; i < model->nv; ++i) {
        const double qvel = name == "Hopper" ? std::clamp(raw->qvel[i], -10.0, 10.0) : raw->qvel[i];
        ASSERT_EQ(obs[model->nq - qpos_skip + i], static_cast<float>(qvel)) << "t " << t;
      }
      const double ctrl_cost = name == "HalfCheetah" ? 0.1
                               : name == "Hopper"    ? 1e-3
                               : name == "Swimmer"   ? 1e-4
                                                     : 5e-3;
      const double alive = name == "Hopper" || name == "Ant" ? 1.0 : 0.0;
      const double velocity = static_cast<float>(
          name == "Hopper" ? std::clamp(raw->qvel[0], -10.0, 10.0) : raw->qvel[0]);
      EXPECT_NEAR(result.reward, velocity + alive - ctrl_cost * action_norm2, 1e-9) << "t " << t;
      if (result.terminated) break;
    }
    mj_deleteData(raw);
  }
}

// Reset restores only mj_step's inputs (not the whole mjData buffer, as mj_resetData does):
// after any history, the episode is the one a freshly mj_resetData'd simulator would produce.
TEST(LocomotionTest, ResetIsAsGoodAsMjResetData) {
  std::unique_ptr<LocomotionEnv> env = Make("HalfCheetah");
  const mjModel* model = env->model();
  std::vector<float> obs(17);
  ASSERT_THAT(env->Reset(1, absl::MakeSpan(obs)), IsOk());
  for (int t = 0; t < 50; ++t) {
    ASSERT_THAT(env->Step(std::vector<float>(6, 1.0f), absl::MakeSpan(obs)), IsOk());
  }
  ASSERT_THAT(env->Reset(2, absl::MakeSpan(obs)), IsOk());
  mjData* fresh = mj_makeData(model);
  mj_resetData(model, fresh);
  std::copy_n(env->data()->qpos, model->nq, fresh->qpos);
  std::copy_n(env->data()->qvel, model->nv, fresh->qvel);
  mj_forward(model, fresh);
  for (int t = 0; t < 40; ++t) {
    std::vector<float> action(6);
    for (int i = 0; i < 6; ++i) action[i] = std::cos(0.7 * t + i);
    ASSERT_THAT(env->Step(action, absl::MakeSpan(obs)), IsOk());
    for (int i = 0; i < 6; ++i) fresh->ctrl[i] = action[i];
    for (int k = 0; k < 5; ++k) mj_step(model, fresh);
    for (int i = 0; i < model->nq; ++i) ASSERT_EQ(env->data()->qpos[i], fresh->qpos[i]) << t;
    for (int i = 0; i < model->nv; ++i) ASSERT_EQ(env->data()->qvel[i], fresh->qvel[i]) << t;
  }
  mj_deleteData(fresh);
}

TEST(LocomotionTest, ResetNoiseHasTheDocumentedScale) {
  std::unique_ptr<LocomotionEnv> hopper = Make("Hopper");
  std::vector<float> obs(11);
  double max_qpos = 0, max_qvel = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    ASSERT_THAT(hopper->Reset(seed, absl::MakeSpan(obs)), IsOk());
    for (int i = 0; i < 6; ++i) {
      max_qpos = std::max(max_qpos, std::abs(hopper->data()->qpos[i] - hopper->model()->qpos0[i]));
      max_qvel = std::max(max_qvel, std::abs(hopper->data()->qvel[i]));
    }
  }
  EXPECT_LE(max_qpos, 0.005);
  EXPECT_GT(max_qpos, 0.004);
  EXPECT_LE(max_qvel, 0.005);
  EXPECT_NEAR(obs[0], 1.25, 0.006);  // the height: qpos[1] = rootz, around its ref 1.25
}

TEST(LocomotionTest, HopperFallsAndTerminatesWithoutControl) {
  std::unique_ptr<LocomotionEnv> hopper = Make("Hopper", /*horizon=*/1000);
  std::vector<float> obs(11);
  ASSERT_THAT(hopper->Reset(1, absl::MakeSpan(obs)), IsOk());
  for (int t = 0; t < 1000; ++t) {
    MBRL_ASSERT_OK_AND_ASSIGN(StepResult result,
                              hopper->Step({0.0f, 0.0f, 0.0f}, absl::MakeSpan(obs)));
    if (result.terminated) {
      EXPECT_TRUE(obs[0] <= 0.7 || std::abs(obs[1]) >= 0.2) << obs[0] << " " << obs[1];
      return;
    }
  }
  FAIL() << "an uncontrolled hopper never fell";
}

TEST(LocomotionTest, TerminationPredicates) {
  const LocomotionTask& hopper = *FindLocomotionTask("Hopper");
  std::vector<float> s(11, 0.0f);
  s[0] = 1.2f;
  EXPECT_FALSE(LocomotionTerminated(hopper, s));
  s[0] = 0.7f;
  EXPECT_TRUE(LocomotionTerminated(hopper, s));
  s[0] = 1.2f;
  s[1] = -0.2f;
  EXPECT_TRUE(LocomotionTerminated(hopper, s));
  s[1] = 0.0f;
  s[10] = 100.0f;
  EXPECT_TRUE(LocomotionTerminated(hopper, s));
  s[10] = 0.0f;
  s[2] = 150.0f;  // index 2 is outside the |s[3:]| < 100 check
  EXPECT_FALSE(LocomotionTerminated(hopper, s));

  const LocomotionTask& walker = *FindLocomotionTask("Walker2d");
  std::vector<float> w(17, 0.0f);
  w[0] = 1.3f;
  EXPECT_FALSE(LocomotionTerminated(walker, w));
  w[0] = 2.0f;
  EXPECT_TRUE(LocomotionTerminated(walker, w));
  w[0] = 1.3f;
  w[1] = 1.0f;
  EXPECT_TRUE(LocomotionTerminated(walker, w));

  const LocomotionTask& ant = *FindLocomotionTask("Ant");
  std::vector<float> a(27, 0.0f);
  a[0] = 0.2f;
  EXPECT_FALSE(LocomotionTerminated(ant, a));
  a[0] = 1.01f;
  EXPECT_TRUE(LocomotionTerminated(ant, a));
  a[0] = 0.5f;
  a[20] = std::nanf("");
  EXPECT_TRUE(LocomotionTerminated(ant, a));

  const LocomotionTask& pendulum = *FindLocomotionTask("InvertedPendulum");
  EXPECT_FALSE(LocomotionTerminated(pendulum, std::vector<float>{0.5f, 0.19f, 3, 3}));
  EXPECT_TRUE(LocomotionTerminated(pendulum, std::vector<float>{0.5f, -0.21f, 3, 3}));
  EXPECT_FALSE(
      LocomotionTerminated(*FindLocomotionTask("HalfCheetah"), std::vector<float>(17, 1e6f)));
}

TEST(LocomotionTest, RewardIsClippedWhereMbMpoClipsIt) {
  const LocomotionTask& cheetah = *FindLocomotionTask("HalfCheetah");
  std::vector<float> s(17, 0.0f);
  s[8] = 5000.0f;
  EXPECT_EQ(LocomotionReward(cheetah, std::vector<float>(6, 0.0f), s), 1000.0);
  s[8] = 2.0f;
  EXPECT_NEAR(LocomotionReward(cheetah, std::vector<float>(6, 1.0f), s), 2.0 - 0.6, 1e-12);
  const LocomotionTask& walker = *FindLocomotionTask("Walker2d");
  std::vector<float> w(17, 0.0f);
  w[8] = 5000.0f;
  EXPECT_NEAR(LocomotionReward(walker, std::vector<float>(6, 0.0f), w), 5001.0, 1e-9);
}

}  // namespace
}  // namespace mbrl::envs
