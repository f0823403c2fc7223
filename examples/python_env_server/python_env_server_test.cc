// Steps the Python-defined environment of env_server.py from C++, through RemoteEnv and through
// raw stub calls: the way users plug in their own simulators, end to end.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "actors/envs/registry.h"
#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mbrl/v1/environment.grpc.pb.h"
#include "services/common/channel.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;

std::string Runfile(const std::string& path) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") + "/" + path;
}

// Runs env_server.py --port 0 for the whole suite and reads the port it prints.
class PythonEnvServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    const std::string script = Runfile("examples/python_env_server/env_server.py");
    const std::string proto_root = Runfile("proto");
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      // The script's #!/usr/bin/python3: Debian's interpreter, which has python3-grpcio.
      execl(script.c_str(), script.c_str(), "--port", "0", "--host", "127.0.0.1",
            "--proto_root", proto_root.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    // Read "PORT <n>\n", waiting at most 60 s (protoc runs first).
    std::string line;
    pollfd fd{out[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos) {
      ASSERT_EQ(poll(&fd, 1, 60000), 1) << "no port from env_server.py within 60 s";
      char buffer[64];
      const ssize_t n = read(out[0], buffer, sizeof(buffer));
      ASSERT_GT(n, 0) << "env_server.py exited before serving";
      line.append(buffer, n);
    }
    close(out[0]);
    ASSERT_EQ(line.rfind("PORT ", 0), 0u) << line;
    address_ = "127.0.0.1:" + line.substr(5, line.find('\n') - 5);
  }

  static void TearDownTestSuite() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }

  static std::unique_ptr<envs::Env> Remote(int horizon) {
    v1::EnvConfig config;
    config.set_name("PyPointMass");
    config.set_horizon(horizon);
    config.set_remote_address(address_);
    absl::StatusOr<std::unique_ptr<envs::Env>> env = envs::MakeEnv(config);
    EXPECT_THAT(env, IsOk());
    return env.ok() ? std::move(*env) : nullptr;
  }

  static pid_t pid_;
  static std::string address_;
};

pid_t PythonEnvServerTest::pid_ = -1;
std::string PythonEnvServerTest::address_;

TEST_F(PythonEnvServerTest, SpecComesFromPython) {
  std::unique_ptr<envs::Env> env = Remote(100);
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->spec().name, "PyPointMass");
  EXPECT_EQ(env->spec().observation.dim, 4);
  EXPECT_EQ(env->spec().action.dim, 2);
  EXPECT_THAT(env->spec().action.low, ::testing::Each(-1.0f));
  EXPECT_THAT(env->spec().observation.high, ::testing::Each(INFINITY));
}

// The Python dynamics, recomputed here from each observation.
TEST_F(PythonEnvServerTest, StepsFollowThePythonDynamics) {
  std::unique_ptr<envs::Env> env = Remote(100);
  ASSERT_NE(env, nullptr);
  std::vector<float> obs(4);
  ASSERT_THAT(env->Reset(7, absl::MakeSpan(obs)), IsOk());
  EXPECT_LE(std::abs(obs[0]), 1.0f);
  EXPECT_EQ(obs[2], 0.0f);
  std::vector<float> again(4);
  std::unique_ptr<envs::Env> twin = Remote(100);
  ASSERT_THAT(twin->Reset(7, absl::MakeSpan(again)), IsOk());
  EXPECT_EQ(obs, again);  // same seed, same start
  for (int t = 0; t < 20; ++t) {
    const std::vector<float> action = {std::sin(0.3f * t), 2.0f};  // the 2 is clipped to 1
    double vx = obs[2] + 0.1 * (action[0] - 0.5 * obs[2]);
    double vy = obs[3] + 0.1 * (1.0 - 0.5 * obs[3]);
    double x = obs[0] + 0.1 * vx, y = obs[1] + 0.1 * vy;
    MBRL_ASSERT_OK_AND_ASSIGN(envs::StepResult result, env->Step(action, absl::MakeSpan(obs)));
    EXPECT_NEAR(obs[0], x, 1e-5);
    EXPECT_NEAR(obs[1], y, 1e-5);
    EXPECT_NEAR(obs[2], vx, 1e-5);
    EXPECT_NEAR(obs[3], vy, 1e-5);
    EXPECT_NEAR(result.reward, -std::hypot(x, y), 1e-5);
    EXPECT_EQ(result.terminated, std::hypot(x, y) < 0.05);
    if (result.terminated) break;
  }
}

TEST_F(PythonEnvServerTest, EpisodesAreTruncatedAtTheHorizon) {
  std::unique_ptr<envs::Env> env = Remote(5);
  ASSERT_NE(env, nullptr);
  std::vector<float> obs(4);
  for (int episode = 0; episode < 2; ++episode) {
    ASSERT_THAT(env->Reset(episode, absl::MakeSpan(obs)), IsOk());
    for (int t = 0; t < 5; ++t) {
      MBRL_ASSERT_OK_AND_ASSIGN(envs::StepResult result,
                                env->Step({0.0f, 0.0f}, absl::MakeSpan(obs)));
      EXPECT_EQ(result.truncated, t == 4);
    }
    EXPECT_THAT(env->Step({0.0f, 0.0f}, absl::MakeSpan(obs)),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

// What the Python server enforces on its own (a client in any language could send these).
TEST_F(PythonEnvServerTest, PythonServerRejectsOutOfProtocolRequests) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = CreateChannel(address_, {});
  ASSERT_THAT(channel, IsOk());
  auto stub = v1::Environment::NewStub(*channel);
  const auto session = [&](std::vector<v1::EnvRequest> requests) {
    grpc::ClientContext context;
    SetTimeout(context, absl::Seconds(30));
    auto stream = stub->Session(&context);
    v1::EnvResponse response;
    for (const v1::EnvRequest& request : requests) {
      if (!stream->Write(request) || !stream->Read(&response)) break;
    }
    stream->WritesDone();
    return stream->Finish().error_code();
  };
  v1::EnvRequest reset;
  reset.mutable_reset()->set_seed(1);
  const auto step = [](std::vector<float> action) {
    v1::EnvRequest request;
    *request.mutable_step()->mutable_action() =
        MakeTensor<float>(action, {static_cast<int64_t>(action.size())});
    return request;
  };
  EXPECT_EQ(session({step({0, 0})}), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(session({reset, step({0, 0, 0})}), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(session({reset, step({0, std::numeric_limits<float>::quiet_NaN()})}),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(session({reset, step({0.5f, 0.5f}), reset, step({0, 0})}), grpc::StatusCode::OK);
}

TEST_F(PythonEnvServerTest, VectorEnvOverPythonSessions) {
  v1::EnvConfig config;
  config.set_name("PyPointMass");
  config.set_horizon(10);
  config.set_remote_address(address_);
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<envs::VectorEnv> env,
                            envs::MakeVectorEnv(config, {/*num_envs=*/4, /*num_threads=*/2}));
  std::vector<float> obs(16), final_obs(16), rewards(4);
  std::vector<uint8_t> terminated(4), truncated(4);
  ASSERT_THAT(env->Reset(3, absl::MakeSpan(obs)), IsOk());
  int truncations = 0;
  for (int t = 0; t < 25; ++t) {
    ASSERT_THAT(env->Step(std::vector<float>(8, 0.1f),
                          {absl::MakeSpan(obs), absl::MakeSpan(rewards), absl::MakeSpan(terminated),
                           absl::MakeSpan(truncated), absl::MakeSpan(final_obs)}),
                IsOk());
    for (uint8_t x : truncated) truncations += x;
  }
  EXPECT_EQ(truncations, 4 * 2);  // every env truncated at steps 10 and 20
}

}  // namespace
}  // namespace mbrl
