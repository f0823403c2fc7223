"""The roles contract in machine-readable form, for the deploy checks: the subcommands, the
flags each accepts, the conventional ports, and the metrics each role exports (README
"Metrics"). The manifests, the rules and the dashboard are checked against this; the live
checks (tests/metrics_scrape_test.py) check the roles against it.
"""

GRPC_PORT = 50051
METRICS_PORT = 8080

SHARED_SERVER_FLAGS = {"port", "metrics_port", "tls_cert", "tls_key", "tls_ca", "threads"}

# subcommand -> (required flags, optional flags) besides SHARED_SERVER_FLAGS.
ROLE_FLAGS = {
    "replay": ({"data_dir", "shard"}, set()),
    "model-learner": ({"config", "replay", "checkpoint_dir"}, set()),
    "policy-learner": ({"config", "checkpoint_dir"}, set()),
    "env-actor": ({"config", "replay", "policy_learner"}, {"actor_id"}),
    "imagine": ({"config", "replay", "model_learner", "policy_learner"}, {"actor_id"}),
    "env-server": ({"env"}, set()),
}

# The role a peer flag dials: `--replay=...` makes a role a client of the replay shards.
PEER_FLAGS = {"replay": "replay", "model_learner": "model-learner", "policy_learner": "policy-learner"}


class Metric:
    def __init__(self, name, type_, roles, labels=None, optional_labels=()):
        self.name = name
        self.type = type_  # counter | gauge | histogram
        self.roles = tuple(roles)  # the roles that must export it
        self.labels = dict(labels or {})  # label -> allowed values (None: any)
        self.optional_labels = set(optional_labels)

    def series_names(self):
        """The names of the series this metric shows up as in the exposition format."""
        if self.type == "histogram":
            return {self.name + "_bucket", self.name + "_sum", self.name + "_count"}
        return {self.name}


METRICS = {m.name: m for m in [
    Metric("mbrl_env_steps_total", "counter", ["env-actor", "imagine"],
           {"source": {"real", "imagined"}}),
    Metric("mbrl_episode_return", "histogram", ["env-actor"], {"source": {"real", "eval"}}),
    Metric("mbrl_model_version", "gauge", ["model-learner", "imagine"]),
    Metric("mbrl_policy_version", "gauge", ["policy-learner", "env-actor", "imagine"]),
    Metric("mbrl_policy_lag_versions", "histogram", ["policy-learner", "env-actor"]),
    Metric("mbrl_model_loss", "gauge", ["model-learner"], {"split": {"train", "validation"}}),
    Metric("mbrl_policy_kl", "gauge", ["policy-learner"]),
    Metric("mbrl_iteration_seconds", "histogram", ["model-learner", "policy-learner"]),
    Metric("mbrl_replay_items", "gauge", ["replay"]),
    Metric("mbrl_replay_bytes", "gauge", ["replay"]),
    Metric("mbrl_replay_inserts_total", "counter", ["replay"]),
    Metric("mbrl_replay_samples_total", "counter", ["replay"]),
    Metric("mbrl_replay_rate_limiter_blocked_seconds_total", "counter", ["replay"]),
    # RPC latency of every server; the name is the one services/common/metrics.h exports.
    Metric("mbrl_rpc_latency_seconds", "histogram", ["replay", "model-learner", "policy-learner"],
           {"method": None}, optional_labels={"service", "code"}),
]}

# Series every scrape has besides the roles' own (Prometheus adds them per target).
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def series_to_metric(series_name):
    """The contract metric a series belongs to (histogram suffixes stripped), or None."""
    for metric in METRICS.values():
        if series_name in metric.series_names():
            return metric
    return None
