#include "services/replay/replay_service.h"

#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/tensor_proto.h"
#include "services/common/status_util.h"
#include "services/common/stream_reactor.h"
#include "services/replay/chunk_validation.h"

namespace mbrl::replay {
namespace {

constexpr char kServiceName[] = "mbrl.v1.ReplayShard";
// Messages a Sample or Scan stream prepares ahead of the client.
constexpr size_t kMaxQueuedMessages = 2;

absl::Status NotReady(const ReplayShardOptions& options, bool closed) {
  return absl::UnavailableError(
      absl::StrCat("replay shard ", options.shard_index, "/", options.num_shards,
                   closed ? " is shutting down" : " is recovering its data", "; retry"));
}

}  // namespace

// ---- Insert: bidirectional, one durable acknowledgement per request, in request order ----

class ReplayShardService::InsertReactor final
    : public BidiStreamReactor<v1::InsertRequest, v1::InsertResponse> {
 public:
  InsertReactor(ReplayShardService* service, LatencyHistogram* latency)
      : service_(service), latency_(latency) {
    if (!service_->ready() || !service_->RegisterInsertStream(this)) {
      Close(ToGrpcStatus(NotReady(service_->options(), service_->state_->closed)));
      return;
    }
    registered_ = true;
    reading_ = true;
    StartRead(&request_);
  }

  // The shard is shutting down: answer what is in flight, then end the stream with
  // UNAVAILABLE (even with a read pending) so the client reconnects instead of holding the
  // server's shutdown up until its grace period ends.
  void EndForShutdown() {
    {
      absl::MutexLock lock(&mu_);
      server_closing_ = true;
    }
    MaybeFinish();
  }

 private:
  // One request, answered (ready) or waiting for its table.
  struct Slot {
    absl::Time start;
    Table* table = nullptr;
    uint64_t ticket = 0;
    bool ready = false;
    v1::InsertResponse response;
  };

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed, or the call is over
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
        reads_done_ = true;
      }
      MaybeFinish();
      return;
    }
    v1::InsertRequest request = std::move(request_);
    request_.Clear();
    absl::StatusOr<Table*> table = service_->ValidateInsert(request);
    Slot* slot;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      slot = &slots_.emplace_back();  // deque: the address stays valid until popped
      slot->start = absl::Now();
      slot->response.set_request_id(request.request_id());
      if (!table.ok()) {
        slot->ready = true;
        *slot->response.mutable_status() = ToRpcStatus(table.status());
        latency_->Observe(absl::ZeroDuration());
      } else {
        slot->table = *table;
        slot->ticket = slot->table->NewTicket();
        ++outstanding_;
      }
    }
    if (table.ok()) {
      std::vector<v1::TrajectoryChunk> chunks(
          std::make_move_iterator(request.mutable_chunks()->begin()),
          std::make_move_iterator(request.mutable_chunks()->end()));
      Ref();  // for the table's callback
      slot->table->Insert(slot->ticket, std::move(chunks),
                          [this, slot](const InsertOutcome& outcome) {
                            OnInserted(slot, outcome);
                            Unref();
                          });
    }
    Flush();
    MaybeReadNext();
  }

  void OnInserted(Slot* slot, const InsertOutcome& outcome) {
    {
      absl::MutexLock lock(&mu_);
      v1::InsertResponse& response = slot->response;
      *response.mutable_status() = ToRpcStatus(outcome.status);
      response.set_stored_chunks(outcome.stored_chunks);
      response.set_duplicate_chunks(outcome.duplicate_chunks);
      response.set_end_sequence(outcome.end_sequence);
      slot->ready = true;
      --outstanding_;
      latency_->Observe(absl::Now() - slot->start);
    }
    Flush();
    MaybeReadNext();
    MaybeFinish();
  }

  // Moves answered requests, in order, to the write queue. One thread flushes at a time, so
  // concurrent answers cannot overtake each other.
  void Flush() {
    absl::MutexLock lock(&mu_);
    if (flushing_) {
      flush_again_ = true;
      return;
    }
    flushing_ = true;
    do {
      flush_again_ = false;
      std::vector<v1::InsertResponse> answered;
      while (!slots_.empty() && slots_.front().ready) {
        answered.push_back(std::move(slots_.front().response));
        slots_.pop_front();
      }
      mu_.Unlock();
      for (v1::InsertResponse& response : answered) Send(std::move(response));
      mu_.Lock();
    } while (flush_again_);
    flushing_ = false;
  }

  void OnQueueDrained() override {
    MaybeReadNext();
    MaybeFinish();
  }

  // Reads the next request unless `max_inflight_inserts` are unanswered or unwritten.
  void MaybeReadNext() {
    bool start_read = false;
    {
      absl::MutexLock lock(&mu_);
      if (reading_ || reads_done_ || server_closing_ || finishing_) return;
      if (cancelled_) {
        reads_done_ = true;  // no more reads: the call is over
      } else if (slots_.size() + queued() >= service_->options().max_inflight_inserts) {
        return;
      } else {
        reading_ = true;
        start_read = true;
      }
    }
    if (start_read) {
      StartRead(&request_);
    } else {
      MaybeFinish();
    }
  }

  void OnStreamCancelled() override {
    std::vector<Slot*> waiting;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      if (!reading_) reads_done_ = true;
      for (Slot& slot : slots_) {
        if (!slot.ready) waiting.push_back(&slot);
      }
    }
    // Requests still queued in their table are dropped; the others finish on their own.
    for (Slot* slot : waiting) {
      if (slot->table->CancelInsert(slot->ticket)) {
        {
          absl::MutexLock lock(&mu_);
          slot->ready = true;
          --outstanding_;
        }
        Unref();  // its callback will never run
      }
    }
    Flush();  // Send() drops everything now; this only empties `slots_`
    MaybeFinish();
  }

  // Ends the call once the client stopped sending (or the shard is shutting down) and every
  // request read was answered.
  void MaybeFinish() {
    grpc::Status status = grpc::Status::OK;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_ || !(reads_done_ || server_closing_) || outstanding_ > 0 || !slots_.empty()) {
        return;
      }
      finishing_ = true;
      if (!reads_done_) {
        status = ToGrpcStatus(NotReady(service_->options(), /*closed=*/true));
      }
    }
    Close(status);  // after the queued responses are written
  }

  void OnStreamDone() override {
    if (registered_) service_->UnregisterInsertStream(this);
  }

  ReplayShardService* const service_;
  LatencyHistogram* const latency_;
  bool registered_ = false;
  v1::InsertRequest request_;  // the read in flight writes here

  absl::Mutex mu_;
  std::deque<Slot> slots_ ABSL_GUARDED_BY(mu_);
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // slots waiting for their table
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;
  bool flush_again_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool server_closing_ ABSL_GUARDED_BY(mu_) = false;
};

// ---- Sample: server stream of batches, one drawn at a time ----

class ReplayShardService::SampleReactor final : public ServerStreamReactor<v1::SampleResponse> {
 public:
  SampleReactor(const ReplayShardService* service, const v1::SampleRequest& request,
                LatencyHistogram* latency)
      : latency_(latency), num_batches_(request.num_batches()) {
    absl::Status status = Configure(*service, request);
    if (!status.ok()) {
      Close(ToGrpcStatus(status));
      return;
    }
    RequestBatch();
  }

 private:
  absl::Status Configure(const ReplayShardService& service, const v1::SampleRequest& request) {
    MBRL_ASSIGN_OR_RETURN(table_, service.FindTable(request.table()));
    const uint32_t max_batch = service.options().max_sample_batch;
    if (request.batch_size() < 1 || request.batch_size() > max_batch) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch_size must be in [1, ", max_batch, "], got ", request.batch_size()));
    }
    spec_.batch_size = request.batch_size();
    switch (request.sampler()) {
      case v1::SampleRequest::SAMPLER_UNSPECIFIED:
      case v1::SampleRequest::UNIFORM:
        spec_.sampler = v1::SampleRequest::UNIFORM;
        break;
      case v1::SampleRequest::PRIORITIZED:
      case v1::SampleRequest::FIFO:
        spec_.sampler = request.sampler();
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("unknown sampler ", static_cast<int>(request.sampler())));
    }
    const double alpha = table_->options().priority_exponent;
    if (request.priority_exponent() != 0 && request.priority_exponent() != alpha) {
      return absl::InvalidArgumentError(absl::StrCat(
          "table '", table_->name(), "' samples with priority_exponent ", alpha,
          " (fixed per table); leave it 0 or set ", alpha, ", got ", request.priority_exponent()));
    }
    timeout_ = request.rate_limiter_timeout_ms() > 0
                   ? absl::Milliseconds(request.rate_limiter_timeout_ms())
                   : service.options().default_rate_limiter_timeout;
    return absl::OkStatus();
  }

  void RequestBatch() {
    uint64_t ticket;
    {
      absl::MutexLock lock(&mu_);
      if (drawing_ || ended_ || cancelled_) return;
      if (num_batches_ > 0 && drawn_ >= num_batches_) return;
      if (queued() >= kMaxQueuedMessages) return;
      drawing_ = true;
      ++drawn_;
      ticket = ticket_ = table_->NewTicket();
      start_ = absl::Now();
    }
    Ref();  // for the table's callback
    table_->Sample(ticket, spec_, absl::Now() + timeout_,
                   [this](absl::StatusOr<v1::SampleResponse> batch) {
                     OnBatch(std::move(batch));
                     Unref();
                   });
  }

  void OnBatch(absl::StatusOr<v1::SampleResponse> batch) {
    bool cancelled;
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      drawing_ = false;
      latency_->Observe(absl::Now() - start_);
      cancelled = cancelled_;
      last = !batch.ok() || (num_batches_ > 0 && drawn_ == num_batches_);
      ended_ = ended_ || last;
    }
    if (cancelled) {
      CloseIfIdle();
    } else if (!batch.ok()) {
      Close(ToGrpcStatus(batch.status()));
    } else {
      Send(*std::move(batch));
      if (last) {
        Close(grpc::Status::OK);
      } else {
        RequestBatch();
      }
    }
  }

  void OnQueueDrained() override { RequestBatch(); }

  void OnStreamCancelled() override {
    bool drawing;
    uint64_t ticket;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      drawing = drawing_;
      ticket = ticket_;
    }
    if (drawing && table_->CancelSample(ticket)) {
      {
        absl::MutexLock lock(&mu_);
        drawing_ = false;
      }
      Unref();  // its callback will never run
    }
    CloseIfIdle();
  }

  // After cancellation: finish once no table callback can still arrive.
  void CloseIfIdle() {
    {
      absl::MutexLock lock(&mu_);
      if (drawing_) return;
    }
    Close(grpc::Status::CANCELLED);
  }

  LatencyHistogram* const latency_;
  const uint32_t num_batches_;
  Table* table_ = nullptr;
  SampleSpec spec_;
  absl::Duration timeout_;

  absl::Mutex mu_;
  bool drawing_ ABSL_GUARDED_BY(mu_) = false;  // a table Sample call is pending
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t drawn_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t ticket_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time start_ ABSL_GUARDED_BY(mu_);
};

// ---- Scan: server stream of every durable transition since a sequence number ----

class ReplayShardService::ScanReactor final : public ServerStreamReactor<v1::ScanResponse> {
 public:
  ScanReactor(const ReplayShardService* service, const v1::ScanRequest& request,
              LatencyHistogram* latency)
      : latency_(latency), follow_(request.follow()), cursor_(request.start_sequence()) {
    absl::Status status = Configure(*service, request);
    if (!status.ok()) {
      Close(ToGrpcStatus(status));
      return;
    }
    Pump();
  }

 private:
  absl::Status Configure(const ReplayShardService& service, const v1::ScanRequest& request) {
    MBRL_ASSIGN_OR_RETURN(table_, service.FindTable(request.table()));
    const uint32_t max_batch = service.options().max_scan_batch;
    if (request.max_batch_transitions() > max_batch) {
      return absl::InvalidArgumentError(absl::StrCat("max_batch_transitions must be <= ", max_batch,
                                                     ", got ", request.max_batch_transitions()));
    }
    max_batch_ = request.max_batch_transitions() > 0 ? request.max_batch_transitions()
                                                     : service.options().default_scan_batch;
    return absl::OkStatus();
  }

  // Sends what is there (at most kMaxQueuedMessages ahead of the client), then waits for data
  // (follow) or ends. One thread pumps at a time; a concurrent call makes it go round again.
  void Pump() {
    {
      absl::MutexLock lock(&mu_);
      if (pumping_) {
        pump_again_ = true;
        return;
      }
      pumping_ = true;
    }
    while (true) {
      PumpOnce();
      absl::MutexLock lock(&mu_);
      if (!pump_again_) {
        pumping_ = false;
        return;
      }
      pump_again_ = false;
    }
  }

  void PumpOnce() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (waiting_ || ended_ || cancelled_) return;
      }
      if (queued() >= kMaxQueuedMessages) return;
      const absl::Time start = absl::Now();
      v1::ScanResponse response = table_->Read(cursor_, max_batch_);
      if (response.end_sequence() > response.first_sequence()) {
        cursor_ = response.end_sequence();
        latency_->Observe(absl::Now() - start);
        Send(std::move(response));
        continue;
      }
      // Caught up.
      uint64_t ticket = 0;
      {
        absl::MutexLock lock(&mu_);
        if (!follow_) {
          ended_ = true;
        } else {
          waiting_ = true;
          ticket = ticket_ = table_->NewTicket();
        }
      }
      if (!follow_) {
        Close(grpc::Status::OK);
        return;
      }
      Ref();  // for the table's callback
      table_->WaitForData(ticket, cursor_, [this](const absl::Status& status) {
        OnData(status);
        Unref();
      });
      return;
    }
  }

  void OnData(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      waiting_ = false;
      if (!status.ok()) ended_ = true;
    }
    if (!status.ok()) {
      Close(ToGrpcStatus(status));
      return;
    }
    if (cancelled()) {
      CloseIfIdle();
      return;
    }
    Pump();
  }

  void OnQueueDrained() override { Pump(); }

  void OnStreamCancelled() override {
    bool waiting;
    uint64_t ticket;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      waiting = waiting_;
      ticket = ticket_;
    }
    if (waiting && table_->CancelWait(ticket)) {
      {
        absl::MutexLock lock(&mu_);
        waiting_ = false;
      }
      Unref();  // its callback will never run
    }
    CloseIfIdle();
  }

  void CloseIfIdle() {
    {
      absl::MutexLock lock(&mu_);
      if (waiting_) return;
    }
    Close(grpc::Status::CANCELLED);
  }

  LatencyHistogram* const latency_;
  const bool follow_;
  Table* table_ = nullptr;
  uint32_t max_batch_ = 0;
  uint64_t cursor_;  // touched only by the pumping thread

  absl::Mutex mu_;
  bool pumping_ ABSL_GUARDED_BY(mu_) = false;
  bool pump_again_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;  // registered with WaitForData
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t ticket_ ABSL_GUARDED_BY(mu_) = 0;
};

// ---- The service ----

class ReplayShardService::TableMetrics final : public prometheus::Collectable {
 public:
  explicit TableMetrics(std::shared_ptr<State> state) : state_(std::move(state)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto items = GaugeFamily("mbrl_replay_items", "Transitions stored in the table.");
    auto chunks = GaugeFamily("mbrl_replay_chunks", "Trajectory chunks stored in the table.");
    auto bytes = GaugeFamily("mbrl_replay_bytes", "Payload bytes stored in the table.");
    auto capacity = GaugeFamily("mbrl_replay_capacity_items",
                                "Transitions the table keeps before evicting (0 = no limit).");
    auto inserts =
        CounterFamily("mbrl_replay_inserts_total", "Transitions stored since the shard started.");
    auto samples =
        CounterFamily("mbrl_replay_samples_total", "Transitions sampled since the shard started.");
    auto blocked = CounterFamily(
        "mbrl_replay_rate_limiter_blocked_seconds_total",
        "Seconds inserts (op=insert) or samples (op=sample) waited on the rate limiter.");
    auto wal_bytes = CounterFamily("mbrl_replay_wal_written_bytes_total",
                                   "Bytes written to the write-ahead log.");
    auto wal_syncs = CounterFamily("mbrl_replay_wal_syncs_total",
                                   "Group commits (fdatasync calls) of the write-ahead log.");
    auto recovery = GaugeFamily("mbrl_replay_recovery_seconds",
                                "Seconds the table took to recover its log at startup.");
    auto dropped = GaugeFamily("mbrl_replay_recovery_dropped_bytes",
                               "Corrupt or torn log bytes dropped (never served) at startup.");
    auto ready = GaugeFamily("mbrl_replay_ready", "1 once the shard recovered and serves.");
    const std::string shard = std::to_string(state_->options.shard_index);
    const bool is_ready = state_->ready.load(std::memory_order_acquire);
    AddSample(ready, is_ready ? 1 : 0, {{"shard", shard}});
    if (is_ready) {
      for (const std::unique_ptr<Table>& table : state_->tables) {
        const TableStats stats = table->Stats();
        const MetricLabels labels = {{"shard", shard}, {"table", table->name()}};
        AddSample(items, stats.transitions, labels);
        AddSample(chunks, stats.chunks, labels);
        AddSample(bytes, stats.bytes, labels);
        AddSample(capacity, table->options().capacity_transitions, labels);
        AddSample(inserts, stats.inserted_transitions, labels);
        AddSample(samples, stats.sampled_transitions, labels);
        AddSample(blocked, stats.insert_blocked_seconds,
                  {{"shard", shard}, {"table", table->name()}, {"op", "insert"}});
        AddSample(blocked, stats.sample_blocked_seconds,
                  {{"shard", shard}, {"table", table->name()}, {"op", "sample"}});
        AddSample(wal_bytes, stats.wal_bytes, labels);
        AddSample(wal_syncs, stats.wal_syncs, labels);
        AddSample(recovery, absl::ToDoubleSeconds(stats.recovery.elapsed), labels);
        AddSample(dropped, stats.recovery.dropped_bytes, labels);
      }
    }
    return {items,   chunks,    bytes,     capacity, inserts, samples,
            blocked, wal_bytes, wal_syncs, recovery, dropped, ready};
  }

 private:
  const std::shared_ptr<State> state_;
};

ReplayShardService::ReplayShardService(ReplayShardOptions options)
    : state_(std::make_shared<State>(std::move(options))),
      rpc_metrics_(std::make_shared<RpcMetrics>(
          kServiceName,
          std::vector<std::string>{"Insert", "Sample", "Scan", "UpdatePriorities", "Info"})) {}

ReplayShardService::~ReplayShardService() { Close(); }

absl::Status ReplayShardService::Recover() {
  MBRL_CHECK(!ready() && state_->tables.empty()) << "Recover() called twice";
  const absl::Time start = absl::Now();
  std::vector<std::unique_ptr<Table>> tables;
  for (TableOptions table_options : state_->options.tables) {
    for (const std::unique_ptr<Table>& other : tables) {
      if (other->name() == table_options.name) {
        return absl::InvalidArgumentError(
            absl::StrCat("two tables are named '", table_options.name, "'"));
      }
    }
    if (!state_->options.data_dir.empty()) {
      table_options.wal.directory = state_->options.data_dir + "/" + table_options.name;
    }
    MBRL_ASSIGN_OR_RETURN(std::unique_ptr<Table> table, Table::Create(std::move(table_options)));
    tables.push_back(std::move(table));
  }
  state_->tables = std::move(tables);
  state_->ready.store(true, std::memory_order_release);
  MBRL_LOG(INFO) << "replay shard " << state_->options.shard_index << "/"
                 << state_->options.num_shards << " ready after "
                 << absl::ToDoubleSeconds(absl::Now() - start) << " s of recovery ("
                 << (state_->options.data_dir.empty() ? "in memory only, not durable"
                                                      : "durable in " + state_->options.data_dir)
                 << ")";
  return absl::OkStatus();
}

void ReplayShardService::Close() {
  state_->closed.store(true);
  if (ready()) {
    for (const std::unique_ptr<Table>& table : state_->tables) table->Close();
  }
  // Every insert request is answered by now (closed tables answer at once); end the streams.
  absl::MutexLock lock(&streams_mu_);
  for (InsertReactor* stream : insert_streams_) stream->EndForShutdown();
}

bool ReplayShardService::RegisterInsertStream(InsertReactor* stream) {
  absl::MutexLock lock(&streams_mu_);
  if (state_->closed.load()) return false;
  insert_streams_.insert(stream);
  return true;
}

void ReplayShardService::UnregisterInsertStream(InsertReactor* stream) {
  absl::MutexLock lock(&streams_mu_);
  insert_streams_.erase(stream);
}

std::shared_ptr<prometheus::Collectable> ReplayShardService::table_metrics() const {
  return std::make_shared<TableMetrics>(state_);
}

absl::StatusOr<Table*> ReplayShardService::FindTable(const std::string& name) const {
  if (!ready() || state_->closed.load()) return NotReady(state_->options, state_->closed.load());
  const std::string& wanted = name.empty() ? std::string(kRealTable) : name;
  for (const std::unique_ptr<Table>& table : state_->tables) {
    if (table->name() == wanted) return table.get();
  }
  return absl::NotFoundError(absl::StrCat("replay shard ", state_->options.shard_index,
                                          " has no table '", wanted.substr(0, 100), "'"));
}

absl::StatusOr<Table*> ReplayShardService::ValidateInsert(const v1::InsertRequest& request) const {
  const size_t bytes = request.ByteSizeLong();
  if (bytes > state_->options.max_request_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("insert request of ", bytes, " bytes exceeds the limit of ",
                     state_->options.max_request_bytes, " bytes; send fewer chunks per request"));
  }
  MBRL_ASSIGN_OR_RETURN(Table * table, FindTable(request.table()));
  for (const v1::TrajectoryChunk& chunk : request.chunks()) {
    MBRL_RETURN_IF_ERROR(ValidateChunk(chunk).status());
  }
  return table;
}

grpc::ServerBidiReactor<v1::InsertRequest, v1::InsertResponse>* ReplayShardService::Insert(
    grpc::CallbackServerContext* context) {
  return new InsertReactor(this, &rpc_metrics_->method("Insert"));
}

grpc::ServerWriteReactor<v1::SampleResponse>* ReplayShardService::Sample(
    grpc::CallbackServerContext* context, const v1::SampleRequest* request) {
  return new SampleReactor(this, *request, &rpc_metrics_->method("Sample"));
}

grpc::ServerWriteReactor<v1::ScanResponse>* ReplayShardService::Scan(
    grpc::CallbackServerContext* context, const v1::ScanRequest* request) {
  return new ScanReactor(this, *request, &rpc_metrics_->method("Scan"));
}

grpc::ServerUnaryReactor* ReplayShardService::UpdatePriorities(
    grpc::CallbackServerContext* context, const v1::UpdatePrioritiesRequest* request,
    v1::UpdatePrioritiesResponse* response) {
  ScopedLatency latency(rpc_metrics_->method("UpdatePriorities"));
  auto update = [&]() -> absl::Status {
    MBRL_ASSIGN_OR_RETURN(Table * table, FindTable(request->table()));
    MBRL_ASSIGN_OR_RETURN(absl::Span<const int64_t> keys,
                          TensorData<int64_t>(request->keys(), "keys"));
    MBRL_ASSIGN_OR_RETURN(absl::Span<const double> priorities,
                          TensorData<double>(request->priorities(), "priorities"));
    if (request->keys().shape_size() != 1 || request->priorities().shape_size() != 1) {
      return absl::InvalidArgumentError("keys and priorities must be 1-D");
    }
    MBRL_ASSIGN_OR_RETURN(*response, table->UpdatePriorities(keys, priorities));
    return absl::OkStatus();
  };
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(update()));
  return reactor;
}

grpc::ServerUnaryReactor* ReplayShardService::Info(grpc::CallbackServerContext* context,
                                                   const v1::InfoRequest* request,
                                                   v1::InfoResponse* response) {
  ScopedLatency latency(rpc_metrics_->method("Info"));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Table*> table = FindTable(request->table());
  if (table.ok()) {
    (*table)->FillInfo(response);
    response->set_shard_index(state_->options.shard_index);
    response->set_num_shards(state_->options.num_shards);
    response->set_max_inflight_inserts(state_->options.max_inflight_inserts);
  }
  reactor->Finish(ToGrpcStatus(table.status()));
  return reactor;
}

}  // namespace mbrl::replay
