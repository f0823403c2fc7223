#include "services/local/local_run.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/progress.h"
#include "common/status_macros.h"
#include "google/protobuf/text_format.h"
#include "mbrl/v1/policy_learner.grpc.pb.h"
#include "services/common/channel.h"
#include "services/common/metrics.h"
#include "services/local/metrics_merge.h"
#include "services/local/process_supervisor.h"

namespace mbrl::local {
namespace {

// A free loopback TCP port for a child, which binds it a moment later. Ports are drawn from
// [20000, 32768), below Linux's default ephemeral range (32768-60999): bind(0) would hand out a
// port of that range, which any outgoing connection on the machine may take as its local port
// before the child binds it (a child that cannot bind crashes, and the supervisor gives up).
// `taken` holds this run's ports, so no two children share one.
absl::StatusOr<int> FreePort(std::set<int>& taken) {
  static std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> draw(20000, 32767);
  int error = 0;
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = draw(random);
    if (taken.count(port) > 0) continue;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::ErrnoToStatus(errno, "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    error = errno;
    close(fd);
    if (bound) {
      taken.insert(port);
      return port;
    }
  }
  return absl::ErrnoToStatus(error, "no free loopback port in [20000, 32768) after 200 tries");
}

struct Role {
  ChildSpec spec;
  int grpc_port = 0;  // 0: any (actors serve health only)
  int metrics_port = -1;
};

// Prints the rows progress.csv gains.
class ProgressTail {
 public:
  ProgressTail(std::string path, std::ostream* terminal)
      : path_(std::move(path)), terminal_(terminal) {}

  void Print() {
    if (terminal_ == nullptr) return;
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t consumed = 0;
    for (size_t end = chunk.find('\n'); end != std::string::npos;
         end = chunk.find('\n', consumed)) {
      const std::string line = chunk.substr(consumed, end - consumed);
      consumed = end + 1;
      std::vector<std::string> cells = absl::StrSplit(line, ',');
      if (format_ == nullptr) {
        absl::StatusOr<std::unique_ptr<ProgressLog>> log = ProgressLog::Create(cells, "", nullptr);
        if (log.ok()) format_ = std::move(*log);
        continue;
      }
      std::vector<double> values;
      for (const std::string& cell : cells) {
        double value;
        values.push_back(absl::SimpleAtod(cell, &value) ? value
                                                        : std::numeric_limits<double>::quiet_NaN());
      }
      if (values.size() == format_->columns().size()) {
        *terminal_ << format_->FormatLine(values) << std::endl;
      }
    }
    offset_ += consumed;
  }

 private:
  const std::string path_;
  std::ostream* const terminal_;
  size_t offset_ = 0;
  std::unique_ptr<ProgressLog> format_;
};

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }

}  // namespace

absl::StatusOr<LocalSummary> RunLocal(const LocalOptions& options) {
  const absl::Time start = absl::Now();
  const v1::ExperimentConfig& config = options.config;
  const std::string& out = options.out_dir;
  for (const std::string& dir : {out, out + "/logs", out + "/replay", out + "/checkpoints"}) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", dir, ": ", error.message()));
    }
  }
  const std::string config_path = out + "/config.textproto";
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  MBRL_RETURN_IF_ERROR(WriteFileAtomically(config_path, text));

  // The topology.
  const v1::TopologyConfig& topology = config.topology();
  const bool metrics = options.metrics_port >= 0;
  std::vector<Role> roles;
  std::set<int> ports_taken;
  auto add = [&](std::string name, std::vector<std::string> args, bool serves) -> absl::Status {
    Role role;
    role.spec.name = name;
    role.spec.log_path = out + "/logs/" + name + ".log";
    role.spec.argv = {options.binary};
    for (std::string& arg : args) role.spec.argv.push_back(std::move(arg));
    if (serves) {
      MBRL_ASSIGN_OR_RETURN(role.grpc_port, FreePort(ports_taken));
    }
    role.spec.argv.push_back("--bind=127.0.0.1");
    role.spec.argv.push_back(absl::StrCat("--port=", role.grpc_port));
    if (metrics) {
      MBRL_ASSIGN_OR_RETURN(role.metrics_port, FreePort(ports_taken));
      role.spec.argv.push_back(absl::StrCat("--metrics_port=", role.metrics_port));
    }
    roles.push_back(std::move(role));
    return absl::OkStatus();
  };
  const uint32_t shards = topology.replay_shards();
  std::vector<std::string> replay_addresses;
  for (uint32_t i = 0; i < shards; ++i) {
    MBRL_RETURN_IF_ERROR(add(absl::StrCat("replay-", i),
                             {"replay", absl::StrCat("--data_dir=", out, "/replay/shard-", i),
                              absl::StrCat("--shard=", i, "/", shards)},
                             true));
    replay_addresses.push_back(Address(roles.back().grpc_port));
  }
  const std::string replay_flag = "--replay=" + absl::StrJoin(replay_addresses, ",");
  const std::string config_flag = "--config=" + config_path;
  MBRL_RETURN_IF_ERROR(add("model-learner",
                           {"model-learner", config_flag, replay_flag,
                            "--checkpoint_dir=" + out + "/checkpoints/model-learner"},
                           true));
  roles.back().spec.nice = options.model_learner_nice;
  const std::string model_learner = Address(roles.back().grpc_port);
  MBRL_RETURN_IF_ERROR(add("policy-learner",
                           {"policy-learner", config_flag, "--out=" + out,
                            "--checkpoint_dir=" + out + "/checkpoints/policy-learner"},
                           true));
  const int policy_port = roles.back().grpc_port;
  const std::string policy_learner = Address(policy_port);
  std::vector<std::string> actors, learners = {"policy-learner", "model-learner"}, replays;
  for (uint32_t j = 0; j < topology.env_actors(); ++j) {
    const std::string name = absl::StrCat("env-actor-", j);
    MBRL_RETURN_IF_ERROR(add(name,
                             {"env-actor", config_flag, replay_flag,
                              "--policy_learner=" + policy_learner, "--actor_id=" + name},
                             false));
    actors.push_back(name);
  }
  for (uint32_t j = 0; j < topology.imagination_actors(); ++j) {
    const std::string name = absl::StrCat("imagine-", j);
    MBRL_RETURN_IF_ERROR(
        add(name,
            {"imagine", config_flag, replay_flag, "--model_learner=" + model_learner,
             "--policy_learner=" + policy_learner, "--actor_id=" + name},
            false));
    actors.push_back(name);
  }
  for (uint32_t i = 0; i < shards; ++i) replays.push_back(absl::StrCat("replay-", i));

  // Metrics: the children's, merged.
  std::unique_ptr<MetricsExporter> exporter;
  if (metrics) {
    std::vector<int> ports;
    for (const Role& role : roles) ports.push_back(role.metrics_port);
    MBRL_ASSIGN_OR_RETURN(exporter,
                          MetricsExporter::Create(absl::StrCat("0.0.0.0:", options.metrics_port)));
    exporter->Register(std::make_shared<MergedMetrics>([ports] { return ports; }));
  }

  std::ostream* terminal = options.terminal;
  if (terminal != nullptr) {
    *terminal << "mbrl local: " << (config.has_mbmpo() ? "MB-MPO" : "ME-TRPO") << " on "
              << config.env().name() << ", "
              << (config.schedule() == v1::ExperimentConfig::ASYNC ? "ASYNC" : "SYNC") << ", "
              << shards << " replay shard(s), " << topology.env_actors() << " env actor(s), "
              << topology.imagination_actors() << " imagination actor(s); output " << out
              << ", logs in " << out << "/logs";
    if (exporter != nullptr) *terminal << ", metrics on port " << exporter->port();
    *terminal << std::endl;
  }

  ProcessSupervisor supervisor;
  for (const Role& role : roles) MBRL_RETURN_IF_ERROR(supervisor.Start(role.spec));
  std::map<std::string, pid_t> written_pids;
  auto write_roles = [&] {
    std::map<std::string, pid_t> pids;
    std::string listing;
    for (const Role& role : roles) {
      pids[role.spec.name] = supervisor.pid(role.spec.name);
      absl::StrAppend(&listing, role.spec.name, " ", pids[role.spec.name], " ", role.grpc_port, " ",
                      role.metrics_port, "\n");
    }
    if (pids == written_pids) return;
    written_pids = pids;
    if (absl::Status status = WriteFileAtomically(out + "/roles.txt", listing); !status.ok()) {
      MBRL_LOG(WARNING) << "local: " << status;
    }
  };
  write_roles();

  auto stub = v1::PolicyLearner::NewStub(*CreateChannel(policy_learner, ChannelOptions()));
  ProgressTail progress(out + "/progress.csv", terminal);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  LocalSummary summary;
  v1::PolicyLearnerStatusResponse status;
  absl::Time next_status = absl::Now();
  absl::Status failure;
  while (true) {
    failure = supervisor.Poll();
    if (!failure.ok()) break;
    write_roles();
    progress.Print();
    if (absl::Now() >= next_status) {
      next_status = absl::Now() + absl::Seconds(1);
      grpc::ClientContext context;
      SetTimeout(context, absl::Seconds(2));
      v1::PolicyLearnerStatusResponse response;
      if (stub->Status(&context, v1::PolicyLearnerStatusRequest(), &response).ok()) {
        status = response;
        if (status.finished()) {
          summary.stopped_by = status.stopped_by();
          break;
        }
      }
    }
    const timespec wait = {0, 200 * 1000 * 1000};
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    if (signal > 0) {
      MBRL_LOG(INFO) << "local: signal " << signal << ", stopping every role";
      summary.stopped_by = "signal";
      break;
    }
  }
  supervisor.Terminate(actors, absl::Seconds(30));
  supervisor.Terminate(learners, absl::Seconds(30));
  supervisor.Terminate(replays, absl::Seconds(30));
  progress.Print();
  if (!failure.ok()) return failure;
  summary.iterations = static_cast<int64_t>(status.progress_rows());
  summary.real_steps = static_cast<int64_t>(status.real_steps());
  summary.imagined_steps = static_cast<int64_t>(status.imagined_steps());
  summary.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace mbrl::local
