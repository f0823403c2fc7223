// RemoteEnv: an Env stepped through the Environment service at an address (`mbrl env-server`,
// or a simulator in another language such as examples/python_env_server), used exactly like a
// native env. MakeEnv returns one when EnvConfig.remote_address is set.
//
// Each episode runs on a Session stream: Reset opens a new stream if there is none (or the last
// one failed) and sends a reset on it; Step sends a step and waits for its reply. Every call has
// a deadline: the Spec call and each reply wait at most `rpc_timeout`, and a Session stream
// lives at most `session_timeout` (Reset opens a fresh one when it has expired). The channel
// keeps its HTTP/2 keepalive (services/common/channel.h), so a vanished server is detected on an
// idle stream too.
//
// Errors: Reset and Step return the env's protocol errors as a native env does
// (INVALID_ARGUMENT, FAILED_PRECONDITION, checked locally before anything is sent), and
// otherwise the failure of the remote call: UNAVAILABLE (server down or unreachable: Reset
// again to retry on a new session), DEADLINE_EXCEEDED (no reply within rpc_timeout), or the
// code the server ended the session with; INTERNAL if the server breaks the protocol (a reply of
// the wrong shape, a reply missing). After such a failure the episode is over.
//
// Not thread-safe (one thread steps an env, as for every Env).
#ifndef MBRL_ACTORS_ENVS_REMOTE_ENV_H_
#define MBRL_ACTORS_ENVS_REMOTE_ENV_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actors/envs/interface.h"
#include "grpcpp/channel.h"
#include "mbrl/v1/environment.grpc.pb.h"
#include "services/common/channel.h"

namespace mbrl::envs {

struct RemoteEnvOptions {
  // host:port of the Environment service.
  std::string address;
  ChannelOptions channel;
  // Deadline of the Spec call and of each reset/step reply.
  absl::Duration rpc_timeout = absl::Seconds(10);
  // Create retries an UNAVAILABLE Spec call (server not up yet) for this long.
  absl::Duration connect_timeout = absl::Seconds(30);
  // Deadline of one Session stream.
  absl::Duration session_timeout = absl::Hours(24);
};

class RemoteEnv final : public Env {
 public:
  // Fetches the served env's spec. `expected_name` (EnvConfig.name) must equal the served env's
  // name, and `max_episode_steps` (EnvConfig.horizon) must not exceed the server's: otherwise
  // INVALID_ARGUMENT. Errors of the Spec call as described above; INTERNAL for an invalid spec.
  static absl::StatusOr<std::unique_ptr<Env>> Create(const std::string& expected_name,
                                                     int max_episode_steps,
                                                     const RemoteEnvOptions& options);
  // Ends the open session (half-close, then cancel if the server does not finish in time).
  ~RemoteEnv() override;

 protected:
  absl::Status TryReset(uint64_t seed, absl::Span<float> observation) override;
  absl::StatusOr<double> TryStep(absl::Span<const float> action, absl::Span<float> observation,
                                 bool* terminated) override;
  // Never called (TryReset / TryStep are overridden).
  void DoReset(uint64_t seed, absl::Span<float> observation) override;
  double DoStep(absl::Span<const float> action, absl::Span<float> observation,
                bool* terminated) override;

 private:
  class SessionCall;

  RemoteEnv(EnvSpec spec, RemoteEnvOptions options, std::shared_ptr<grpc::Channel> channel);
  // Sends `request` on the session and checks the reply's observation.
  absl::StatusOr<v1::EnvResponse> Exchange(const v1::EnvRequest& request,
                                           absl::Span<float> observation);

  const RemoteEnvOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Environment::Stub> stub_;
  std::unique_ptr<SessionCall> session_;
  absl::Time session_deadline_;
};

}  // namespace mbrl::envs

#endif  // MBRL_ACTORS_ENVS_REMOTE_ENV_H_
