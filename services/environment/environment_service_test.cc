// The Environment service and the RemoteEnv client, end to end over loopback (port 0).
#include "services/environment/environment_service.h"

#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "actors/envs/env_spec_proto.h"
#include "actors/envs/pendulum.h"
#include "actors/envs/registry.h"
#include "actors/envs/remote_env.h"
#include "common/tensor_proto.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/channel.h"
#include "services/common/server.h"

namespace mbrl {
namespace {

using ::mbrl::testing::IsOk;
using ::mbrl::testing::StatusIs;
using ::testing::HasSubstr;

v1::EnvConfig Config(const std::string& name, int horizon, const std::string& address = "") {
  v1::EnvConfig config;
  config.set_name(name);
  config.set_horizon(horizon);
  if (!address.empty()) config.set_remote_address(address);
  return config;
}

// A server on 127.0.0.1:0 serving `name` with episodes of `horizon` steps.
struct TestServer {
  explicit TestServer(const std::string& name, int horizon,
                      EnvironmentServiceOptions options = {}) {
    const v1::EnvConfig config = Config(name, horizon);
    absl::StatusOr<std::unique_ptr<EnvironmentService>> created =
        EnvironmentService::Create([config] { return envs::MakeEnv(config); }, options);
    EXPECT_THAT(created, IsOk());
    service = std::move(*created);
    ServerOptions server_options;
    server_options.address = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<GrpcServer>> started =
        GrpcServer::Start(server_options, {{"mbrl.v1.Environment", service.get()}});
    EXPECT_THAT(started, IsOk());
    server = std::move(*started);
    server->SetServing(true);
  }
  std::string address() const { return server->address(); }

  std::unique_ptr<EnvironmentService> service;
  std::unique_ptr<GrpcServer> server;
};

std::unique_ptr<envs::Env> Remote(const std::string& name, int horizon,
                                  const std::string& address) {
  absl::StatusOr<std::unique_ptr<envs::Env>> env = envs::MakeEnv(Config(name, horizon, address));
  EXPECT_THAT(env, IsOk());
  return env.ok() ? std::move(*env) : nullptr;
}

// The remote env and a native twin see the same seeds and actions; everything must match.
void ExpectSameEpisodes(envs::Env& remote, envs::Env& native, int episodes, uint64_t seed) {
  const int obs_dim = native.spec().observation.dim, act_dim = native.spec().action.dim;
  std::vector<float> a(obs_dim), b(obs_dim);
  for (int e = 0; e < episodes; ++e) {
    ASSERT_THAT(remote.Reset(seed + e, absl::MakeSpan(a)), IsOk());
    ASSERT_THAT(native.Reset(seed + e, absl::MakeSpan(b)), IsOk());
    ASSERT_EQ(a, b);
    for (int t = 0;; ++t) {
      std::vector<float> action(act_dim);
      for (int i = 0; i < act_dim; ++i) action[i] = 3.0f * std::sin(0.37f * t + i + e);
      MBRL_ASSERT_OK_AND_ASSIGN(envs::StepResult ra, remote.Step(action, absl::MakeSpan(a)));
      MBRL_ASSERT_OK_AND_ASSIGN(envs::StepResult rb, native.Step(action, absl::MakeSpan(b)));
      ASSERT_EQ(a, b) << "episode " << e << " step " << t;
      ASSERT_EQ(ra.reward, rb.reward);
      ASSERT_EQ(ra.terminated, rb.terminated);
      ASSERT_EQ(ra.truncated, rb.truncated);
      if (ra.terminated || ra.truncated) break;
    }
  }
}

TEST(EnvironmentServiceTest, RemoteEnvStepsExactlyLikeTheNativeOne) {
  for (const std::string name : {"Pendulum", "Hopper"}) {
    SCOPED_TRACE(name);
    TestServer server(name, /*horizon=*/30);
    std::unique_ptr<envs::Env> remote = Remote(name, 30, server.address());
    ASSERT_NE(remote, nullptr);
    MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<envs::Env> native, envs::MakeEnv(Config(name, 30)));
    EXPECT_EQ(remote->spec().name, name);
    EXPECT_EQ(remote->spec().observation.low, native->spec().observation.low);
    EXPECT_EQ(remote->spec().action.high, native->spec().action.high);
    ExpectSameEpisodes(*remote, *native, /*episodes=*/3, /*seed=*/10);
  }
}

TEST(EnvironmentServiceTest, ShorterClientHorizonTruncatesLocally) {
  TestServer server("Pendulum", /*horizon=*/200);
  std::unique_ptr<envs::Env> remote = Remote("Pendulum", 5, server.address());
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<envs::Env> native,
                            envs::MakeEnv(Config("Pendulum", 5)));
  ExpectSameEpisodes(*remote, *native, /*episodes=*/4, /*seed=*/0);
}

TEST(EnvironmentServiceTest, CreateChecksNameAndHorizonAgainstTheServer) {
  TestServer server("Pendulum", /*horizon=*/50);
  EXPECT_THAT(envs::MakeEnv(Config("CartPole", 50, server.address())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("serves \"Pendulum\"")));
  EXPECT_THAT(envs::MakeEnv(Config("Pendulum", 51, server.address())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds")));
}

TEST(EnvironmentServiceTest, LocalProtocolErrorsMatchNativeEnvs) {
  TestServer server("Pendulum", /*horizon=*/50);
  std::unique_ptr<envs::Env> remote = Remote("Pendulum", 50, server.address());
  std::vector<float> obs(3);
  EXPECT_THAT(remote->Step({0.0f}, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(remote->Reset(1, absl::MakeSpan(obs)), IsOk());
  EXPECT_THAT(remote->Step({0.0f, 1.0f}, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(remote->Step({std::numeric_limits<float>::quiet_NaN()}, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(remote->Step({0.5f}, absl::MakeSpan(obs)), IsOk());  // the episode goes on
}

// Raw stub calls: what the server itself enforces, for clients in any language.
class RawSession {
 public:
  explicit RawSession(const std::string& address) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = CreateChannel(address, {});
    EXPECT_THAT(channel, IsOk());
    stub_ = v1::Environment::NewStub(*channel);
    SetTimeout(context_, absl::Seconds(20));
    stream_ = stub_->Session(&context_);
  }
  // Sends `request`; returns the reply, or the stream's final status once it ended.
  absl::StatusOr<v1::EnvResponse> Call(const v1::EnvRequest& request) {
    v1::EnvResponse response;
    if (stream_->Write(request) && stream_->Read(&response)) return response;
    stream_->WritesDone();
    grpc::Status status = stream_->Finish();
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  absl::Status Close() {
    stream_->WritesDone();
    grpc::Status status = stream_->Finish();
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }

 private:
  std::unique_ptr<v1::Environment::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::EnvRequest, v1::EnvResponse>> stream_;
};

v1::EnvRequest Reset(std::optional<uint64_t> seed) {
  v1::EnvRequest request;
  request.mutable_reset();
  if (seed) request.mutable_reset()->set_seed(*seed);
  return request;
}

v1::EnvRequest Step(std::vector<float> action, std::vector<int64_t> shape) {
  v1::EnvRequest request;
  *request.mutable_step()->mutable_action() = MakeTensor<float>(action, shape);
  return request;
}

TEST(EnvironmentServiceTest, ServerEndsBadSessionsAndStaysUp) {
  TestServer server("Pendulum", /*horizon=*/3);
  {
    RawSession session(server.address());
    EXPECT_THAT(session.Call(Step({0.0f}, {1})),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("Reset first")));
  }
  {
    RawSession session(server.address());
    ASSERT_THAT(session.Call(Reset(1)), IsOk());
    EXPECT_THAT(session.Call(Step({0.0f, 0.0f}, {2})),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("action")));
  }
  {
    RawSession session(server.address());
    ASSERT_THAT(session.Call(Reset(1)), IsOk());
    EXPECT_THAT(session.Call(Step({std::numeric_limits<float>::infinity()}, {1})),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not finite")));
  }
  {
    RawSession session(server.address());
    v1::EnvRequest wrong_dtype = Step({0.0f}, {1});
    wrong_dtype.mutable_step()->mutable_action()->set_dtype(v1::DTYPE_INT32);
    ASSERT_THAT(session.Call(Reset(1)), IsOk());
    EXPECT_THAT(session.Call(wrong_dtype), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  {
    RawSession session(server.address());
    EXPECT_THAT(session.Call(v1::EnvRequest()), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  {  // After the episode ends (3 steps), a step is refused; a reset starts a new one.
    RawSession session(server.address());
    MBRL_ASSERT_OK_AND_ASSIGN(v1::EnvResponse reset, session.Call(Reset(5)));
    EXPECT_EQ(reset.reward(), 0);
    EXPECT_FALSE(reset.truncated());
    for (int t = 0; t < 3; ++t) {
      MBRL_ASSERT_OK_AND_ASSIGN(v1::EnvResponse step, session.Call(Step({1.0f}, {1})));
      EXPECT_EQ(step.truncated(), t == 2);
      EXPECT_THAT(step.observation().shape(), ::testing::ElementsAre(3));
    }
    EXPECT_THAT(session.Call(Step({1.0f}, {1})), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  {  // Unseeded resets draw from the session's stream; the session ends cleanly.
    RawSession session(server.address());
    MBRL_ASSERT_OK_AND_ASSIGN(v1::EnvResponse first, session.Call(Reset(std::nullopt)));
    MBRL_ASSERT_OK_AND_ASSIGN(v1::EnvResponse second, session.Call(Reset(std::nullopt)));
    EXPECT_NE(first.observation().data(), second.observation().data());
    EXPECT_THAT(session.Close(), IsOk());
  }
  // Still serving.
  std::unique_ptr<envs::Env> remote = Remote("Pendulum", 3, server.address());
  std::vector<float> obs(3);
  EXPECT_THAT(remote->Reset(0, absl::MakeSpan(obs)), IsOk());
}

TEST(EnvironmentServiceTest, ManyConcurrentSessions) {
  TestServer server("HalfCheetah", /*horizon=*/25);
  constexpr int kClients = 8;
  std::vector<std::thread> clients;
  std::vector<int> failures(kClients, 0);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::unique_ptr<envs::Env> remote = Remote("HalfCheetah", 25, server.address());
      absl::StatusOr<std::unique_ptr<envs::Env>> native = envs::MakeEnv(Config("HalfCheetah", 25));
      if (remote == nullptr || !native.ok()) {
        failures[c] = 1;
        return;
      }
      ExpectSameEpisodes(*remote, **native, /*episodes=*/2, /*seed=*/100 * c);
      failures[c] = ::testing::Test::HasFailure();
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_THAT(failures, ::testing::Each(0));
  EXPECT_EQ(server.service->spec().name(), "HalfCheetah");
}

TEST(EnvironmentServiceTest, SessionsBeyondTheLimitAreResourceExhausted) {
  EnvironmentServiceOptions options;
  options.max_sessions = 2;
  TestServer server("Pendulum", /*horizon=*/10, options);
  std::vector<float> obs(3);
  std::unique_ptr<envs::Env> a = Remote("Pendulum", 10, server.address());
  std::unique_ptr<envs::Env> b = Remote("Pendulum", 10, server.address());
  std::unique_ptr<envs::Env> c = Remote("Pendulum", 10, server.address());
  ASSERT_THAT(a->Reset(1, absl::MakeSpan(obs)), IsOk());
  ASSERT_THAT(b->Reset(2, absl::MakeSpan(obs)), IsOk());
  EXPECT_EQ(server.service->active_sessions(), 2);
  EXPECT_THAT(c->Reset(3, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry later")));
  EXPECT_THAT(a->Step({0.1f}, absl::MakeSpan(obs)), IsOk());
}

TEST(EnvironmentServiceTest, VectorEnvOverRemoteSessions) {
  TestServer server("CartPole", /*horizon=*/40);
  constexpr int kEnvs = 4;
  MBRL_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<envs::VectorEnv> remote,
      envs::MakeVectorEnv(Config("CartPole", 40, server.address()), {kEnvs, 2}));
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<envs::VectorEnv> native,
                            envs::MakeVectorEnv(Config("CartPole", 40), {kEnvs, 1}));
  std::vector<float> obs_a(kEnvs * 4), obs_b(kEnvs * 4), final_a(kEnvs * 4), final_b(kEnvs * 4);
  std::vector<float> rew_a(kEnvs), rew_b(kEnvs);
  std::vector<uint8_t> term_a(kEnvs), term_b(kEnvs), trunc_a(kEnvs), trunc_b(kEnvs);
  ASSERT_THAT(remote->Reset(9, absl::MakeSpan(obs_a)), IsOk());
  ASSERT_THAT(native->Reset(9, absl::MakeSpan(obs_b)), IsOk());
  int ended = 0;
  for (int t = 0; t < 60; ++t) {
    std::vector<float> actions(kEnvs);
    for (int i = 0; i < kEnvs; ++i) actions[i] = std::sin(0.5f * t + i);
    ASSERT_THAT(
        remote->Step(actions, {absl::MakeSpan(obs_a), absl::MakeSpan(rew_a), absl::MakeSpan(term_a),
                               absl::MakeSpan(trunc_a), absl::MakeSpan(final_a)}),
        IsOk());
    ASSERT_THAT(
        native->Step(actions, {absl::MakeSpan(obs_b), absl::MakeSpan(rew_b), absl::MakeSpan(term_b),
                               absl::MakeSpan(trunc_b), absl::MakeSpan(final_b)}),
        IsOk());
    ASSERT_EQ(obs_a, obs_b) << t;
    ASSERT_EQ(term_a, term_b) << t;
    ASSERT_EQ(trunc_a, trunc_b) << t;
    for (int i = 0; i < kEnvs; ++i) ended += term_a[i] + trunc_a[i];
  }
  EXPECT_GT(ended, 0);
}

// A server that reads requests and never answers them (a hung simulator). It records the
// deadline of every call it sees.
class StallingEnvironment : public v1::Environment::CallbackService {
 public:
  grpc::ServerUnaryReactor* Spec(grpc::CallbackServerContext* context, const v1::SpecRequest*,
                                 v1::EnvSpec* response) override {
    RecordDeadline(context);
    *response = envs::EnvSpecToProto(envs::PendulumSpec(10));
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerBidiReactor<v1::EnvRequest, v1::EnvResponse>* Session(
      grpc::CallbackServerContext* context) override {
    RecordDeadline(context);
    class Silent : public grpc::ServerBidiReactor<v1::EnvRequest, v1::EnvResponse> {
     public:
      Silent() { StartRead(&request_); }
      // Never answers; keeps a read pending to learn when the client cancels or half-closes.
      void OnReadDone(bool ok) override {
        if (ok) {
          StartRead(&request_);
        } else {
          Finish(grpc::Status::OK);
        }
      }
      void OnDone() override { delete this; }

     private:
      v1::EnvRequest request_;
    };
    return new Silent;
  }
  bool every_call_had_a_deadline() {
    absl::MutexLock lock(&mu_);
    return calls_ > 0 && every_call_had_a_deadline_;
  }

 private:
  void RecordDeadline(grpc::CallbackServerContext* context) {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (context->deadline() == std::chrono::system_clock::time_point::max()) {
      every_call_had_a_deadline_ = false;
    }
  }
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool every_call_had_a_deadline_ ABSL_GUARDED_BY(mu_) = true;
};

TEST(EnvironmentServiceTest, AHungServerIsADeadlineNotAHang) {
  StallingEnvironment stalling;
  ServerOptions server_options;
  server_options.address = "127.0.0.1:0";
  MBRL_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<GrpcServer> server,
      GrpcServer::Start(server_options, {{"mbrl.v1.Environment", &stalling}}));
  envs::RemoteEnvOptions options;
  options.address = server->address();
  options.rpc_timeout = absl::Milliseconds(300);
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<envs::Env> remote,
                            envs::RemoteEnv::Create("Pendulum", 10, options));
  std::vector<float> obs(3);
  const absl::Time start = absl::Now();
  EXPECT_THAT(remote->Reset(1, absl::MakeSpan(obs)), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(remote->Step({0.0f}, absl::MakeSpan(obs)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(stalling.every_call_had_a_deadline());
}

TEST(EnvironmentServiceTest, AVanishedServerIsUnavailable) {
  auto server = std::make_unique<TestServer>("Pendulum", /*horizon=*/100);
  envs::RemoteEnvOptions options;
  options.address = server->address();
  options.rpc_timeout = absl::Seconds(5);
  options.connect_timeout = absl::Milliseconds(500);
  MBRL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<envs::Env> remote,
                            envs::RemoteEnv::Create("Pendulum", 100, options));
  std::vector<float> obs(3);
  ASSERT_THAT(remote->Reset(1, absl::MakeSpan(obs)), IsOk());
  ASSERT_THAT(remote->Step({1.0f}, absl::MakeSpan(obs)), IsOk());
  server->server->Shutdown(absl::ZeroDuration());
  server.reset();
  const absl::Status step = remote->Step({1.0f}, absl::MakeSpan(obs)).status();
  EXPECT_FALSE(step.ok());
  EXPECT_THAT(step.code(),
              ::testing::AnyOf(absl::StatusCode::kUnavailable, absl::StatusCode::kCancelled));
  EXPECT_THAT(remote->Reset(2, absl::MakeSpan(obs)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(envs::RemoteEnv::Create("Pendulum", 100, options),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(EnvironmentServiceTest, MetricsCountSessionsAndSteps) {
  TestServer server("Pendulum", /*horizon=*/10);
  {
    std::unique_ptr<envs::Env> remote = Remote("Pendulum", 10, server.address());
    std::vector<float> obs(3);
    ASSERT_THAT(remote->Reset(1, absl::MakeSpan(obs)), IsOk());
    for (int t = 0; t < 4; ++t) ASSERT_THAT(remote->Step({0.0f}, absl::MakeSpan(obs)), IsOk());
  }
  std::map<std::string, double> values;
  for (const prometheus::MetricFamily& family : server.service->metrics()->Collect()) {
    if (!family.metric.empty()) {
      values[family.name] = family.type == prometheus::MetricType::Counter
                                ? family.metric[0].counter.value
                                : family.metric[0].gauge.value;
    }
  }
  EXPECT_EQ(values["mbrl_env_steps_total"], 4);
  EXPECT_EQ(values["mbrl_env_resets_total"], 1);
  EXPECT_EQ(values["mbrl_env_sessions_total"], 1);
  EXPECT_TRUE(values.count("mbrl_rpc_latency_seconds"));
}

}  // namespace
}  // namespace mbrl
