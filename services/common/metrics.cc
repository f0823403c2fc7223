#include "services/common/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "common/version.h"
#include "prometheus/gauge.h"
#include "prometheus/text_serializer.h"

namespace mbrl {

namespace {

// "host:port" / "[v6]:port" -> (host, port).
bool SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return false;
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return !host->empty();
}

void SendAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // the scraper went away
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Create(
    const std::string& address) {
  std::string host, port;
  if (!SplitHostPort(address, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address must be host:port, got '", address, "'"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &resolved) != 0 || resolved == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "' is not a numeric host:port"));
  }
  std::unique_ptr<MetricsExporter> exporter(new MetricsExporter());
  const int fd = socket(resolved->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  const bool listening =
      fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
      bind(fd, resolved->ai_addr, resolved->ai_addrlen) == 0 && listen(fd, 16) == 0;
  freeaddrinfo(resolved);
  if (fd >= 0) exporter->listen_fd_ = fd;  // closed by the destructor
  if (!listening) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on '", address, "': ", std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  exporter->port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (pipe2(exporter->wake_fds_, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  exporter->registry_ = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge()
      .Name("mbrl_build_info")
      .Help("Always 1; the labels name the running build.")
      .Register(*exporter->registry_)
      .Add({{"version", kMbrlVersion}, {"protocol", kProtocolPackage}})
      .Set(1);
  exporter->collectables_.push_back(exporter->registry_);
  MetricsExporter* raw = exporter.get();
  exporter->thread_ = std::thread([raw] { raw->Serve(); });
  return exporter;
}

MetricsExporter::~MetricsExporter() {
  if (thread_.joinable()) {
    const char stop = 'x';
    while (write(wake_fds_[1], &stop, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  for (int fd : {listen_fd_, wake_fds_[0], wake_fds_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void MetricsExporter::Register(std::shared_ptr<prometheus::Collectable> collectable) {
  absl::MutexLock lock(&mu_);
  collectables_.push_back(std::move(collectable));
}

std::string MetricsExporter::Render() const {
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  {
    absl::MutexLock lock(&mu_);
    collectables = collectables_;
  }
  std::vector<prometheus::MetricFamily> families;
  for (const auto& collectable : collectables) {
    for (prometheus::MetricFamily& family : collectable->Collect()) {
      families.push_back(std::move(family));
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

void MetricsExporter::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      MBRL_LOG(ERROR) << "metrics exporter: poll failed: " << std::strerror(errno);
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int connection = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    Answer(connection);
    close(connection);
  }
}

void MetricsExporter::Answer(int connection) const {
  timeval timeout{/*tv_sec=*/5, /*tv_usec=*/0};
  setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  // Read the request head (up to 8 KiB); only its first line matters.
  std::string request;
  char buffer[2048];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
    const ssize_t n = recv(connection, buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    request.append(buffer, static_cast<size_t>(n));
  }
  const std::string line = request.substr(0, request.find("\r\n"));
  const std::vector<std::string> words = absl::StrSplit(line, ' ');
  auto respond = [connection](absl::string_view status, absl::string_view type,
                              absl::string_view body) {
    SendAll(connection, absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", type,
                                     "\r\nContent-Length: ", body.size(),
                                     "\r\nConnection: close\r\n\r\n", body));
  };
  if (words.size() != 3 || words[0] != "GET") {
    respond("405 Method Not Allowed", "text/plain", "only GET /metrics\n");
  } else if (words[1] != "/metrics" && !absl::StartsWith(words[1], "/metrics?")) {
    respond("404 Not Found", "text/plain", "metrics are at /metrics\n");
  } else {
    respond("200 OK", "text/plain; version=0.0.4; charset=utf-8", Render());
  }
}

std::vector<double> DefaultLatencyBuckets() {
  return {50e-6, 100e-6, 250e-6, 500e-6, 1e-3,   2.5e-3, 5e-3, 10e-3,
          25e-3, 50e-3,  100e-3, 250e-3, 500e-3, 1.0,    2.5,  10.0};
}

LatencyHistogram::LatencyHistogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 1; i < upper_bounds_.size(); ++i) {
    MBRL_CHECK(upper_bounds_[i - 1] < upper_bounds_[i]) << "bucket bounds must increase";
  }
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void LatencyHistogram::Observe(double seconds) {
  const size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), seconds) - upper_bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  const double nanos = std::clamp(seconds * 1e9, -9e18, 9e18);
  sum_nanos_.fetch_add(static_cast<int64_t>(std::llround(nanos)), std::memory_order_relaxed);
}

uint64_t LatencyHistogram::count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
  }
  return total;
}

prometheus::ClientMetric::Histogram LatencyHistogram::Snapshot() const {
  prometheus::ClientMetric::Histogram histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound =
        i < upper_bounds_.size() ? upper_bounds_[i] : std::numeric_limits<double>::infinity();
    histogram.bucket.push_back(bucket);
  }
  histogram.sample_count = cumulative;
  histogram.sample_sum = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) * 1e-9;
  return histogram;
}

RpcMetrics::RpcMetrics(std::string service, const std::vector<std::string>& methods)
    : service_(std::move(service)) {
  for (const std::string& name : methods) {
    histograms_.emplace_back(name, std::make_unique<LatencyHistogram>());
  }
}

LatencyHistogram& RpcMetrics::method(absl::string_view method) {
  for (auto& [name, histogram] : histograms_) {
    if (name == method) return *histogram;
  }
  MBRL_LOG(FATAL) << "RpcMetrics of " << service_ << " has no method '" << method << "'";
  abort();
}

std::vector<prometheus::MetricFamily> RpcMetrics::Collect() const {
  prometheus::MetricFamily family;
  family.name = "mbrl_rpc_latency_seconds";
  family.help =
      "Time from a request to its response: a unary call's duration, or per message on a "
      "stream (e.g. an insert request to its durable acknowledgement).";
  family.type = prometheus::MetricType::Histogram;
  for (const auto& [name, histogram] : histograms_) {
    prometheus::ClientMetric metric;
    metric.label = {{"method", name}, {"service", service_}};
    metric.histogram = histogram->Snapshot();
    family.metric.push_back(std::move(metric));
  }
  return {std::move(family)};
}

prometheus::MetricFamily GaugeFamily(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  return family;
}

prometheus::MetricFamily CounterFamily(std::string name, std::string help) {
  prometheus::MetricFamily family = GaugeFamily(std::move(name), std::move(help));
  family.type = prometheus::MetricType::Counter;
  return family;
}

void AddSample(prometheus::MetricFamily& family, double value, const MetricLabels& labels) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
  if (family.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

}  // namespace mbrl
