#!/usr/bin/python3
"""Live metrics checks on loopback: each role in ROLES is started as a real `mbrl` process, its
/metrics output must pass `promtool check metrics` and export the roles contract's metrics for
that role (deploy/checks/contract.py); then a real Prometheus server (Debian's `prometheus`)
scrapes every target with the recording and alert rules of deploy/prometheus/rules, and each
role's recording rule in RECORDING_RULE must return a non-empty result.

The CONTRACT_FIXTURE target is an exporter written here that serves every contract metric the
way the roles must: it keeps the Prometheus pipeline (scrape labels, every recording rule over
real scraped data) covered while roles are missing, and stays as a reference afterwards.

Adding a role is one line in ROLES (and one in RECORDING_RULE); EXERCISE may give it some
work first (replay: real Insert and Sample calls over gRPC from Python stubs generated here).
"""
import glob
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
sys.path.insert(0, os.path.join(RUNFILES, "deploy", "checks"))

from contract import METRICS  # noqa: E402

MBRL = os.path.join(RUNFILES, "cli", "mbrl")
RULES_DIR = os.path.join(RUNFILES, "deploy", "prometheus", "rules")
NAMESPACE = "mbrl-test"
DEADLINE_SECONDS = 90


def short_config(tmp):
    """A small MB-MPO Pendulum experiment (written into tmp) that keeps running for minutes."""
    path = os.path.join(tmp, "short.textproto")
    with open(path, "w") as f:
        f.write('name: "metrics_scrape" env { name: "Pendulum" horizon: 50 }\n'
                "model { ensemble_size: 2 hidden_units: 16 max_epochs: 5 }\n"
                "policy { hidden_units: 8 }\n"
                "mbmpo { iterations: 1000 initial_random_steps: 100 meta_batch_size: 2\n"
                "        imagined_trajectories_per_task: 2 meta_steps_per_iteration: 2 }\n"
                "evaluation { episodes: 1 }\n"
                "topology { replay_shards: 1 env_actors: 1 envs_per_actor: 2\n"
                "           imagination_actors: 1 learner_threads: 1 }\n")
    return path


# An address nothing listens on: a role whose peers are missing must still serve its metrics.
NO_PEER = "127.0.0.1:1"

# role -> its command line (after `mbrl`) given a scratch directory, a gRPC port and a metrics
# port. Every role of the roles contract is to be listed here once it exists.
ROLES = {
    "replay": lambda tmp, port, metrics_port: [
        "replay", f"--data_dir={tmp}/replay", "--shard=0/1", f"--port={port}",
        f"--metrics_port={metrics_port}"],
    "model-learner": lambda tmp, port, metrics_port: [
        "model-learner", f"--config={short_config(tmp)}", f"--replay={NO_PEER}",
        f"--checkpoint_dir={tmp}/checkpoint", f"--port={port}", f"--metrics_port={metrics_port}"],
    "policy-learner": lambda tmp, port, metrics_port: [
        "policy-learner", f"--config={short_config(tmp)}", f"--checkpoint_dir={tmp}/checkpoint",
        f"--port={port}", f"--metrics_port={metrics_port}"],
    "env-actor": lambda tmp, port, metrics_port: [
        "env-actor", f"--config={short_config(tmp)}", f"--replay={NO_PEER}",
        f"--policy_learner={NO_PEER}", f"--port={port}", f"--metrics_port={metrics_port}"],
    "imagine": lambda tmp, port, metrics_port: [
        "imagine", f"--config={short_config(tmp)}", f"--replay={NO_PEER}",
        f"--model_learner={NO_PEER}", f"--policy_learner={NO_PEER}", f"--port={port}",
        f"--metrics_port={metrics_port}"],
    "local": lambda tmp, port, metrics_port: [
        "local", f"--config={short_config(tmp)}", f"--out={tmp}/run",
        f"--metrics_port={metrics_port}"],
}
# role -> a recording rule over its metrics that must return a non-empty result.
RECORDING_RULE = {
    "replay": "namespace:mbrl_replay_items:sum",
    "model-learner": "namespace_component:mbrl_iteration_seconds:mean5m",
    "policy-learner": "namespace_component:mbrl_policy_lag_versions:quantile5m",
    "env-actor": "namespace_source:mbrl_env_steps:rate1m",
    "imagine": "namespace_source:mbrl_env_steps:rate1m",
    "local": "namespace_source:mbrl_env_steps:rate1m",
    "contract-fixture": "namespace_source:mbrl_env_steps:rate1m",
}


def python_protos(out_dir):
    """Generates and imports the mbrl.v1 Python modules (protoc + grpc_python_plugin)."""
    proto_root = os.path.join(RUNFILES, "proto")
    subprocess.run(
        ["protoc", f"--proto_path={proto_root}", "--proto_path=/usr/include",
         f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        + sorted(glob.glob(os.path.join(proto_root, "mbrl/v1/*.proto"))), check=True)
    sys.path.insert(0, out_dir)
    from mbrl.v1 import replay_pb2, replay_pb2_grpc, tensor_pb2, trajectory_pb2
    return replay_pb2, replay_pb2_grpc, tensor_pb2, trajectory_pb2


def exercise_replay(tmp, grpc_address):
    """Inserts 3 episodes of 50 Pendulum-shaped steps and samples from them."""
    import grpc
    import struct
    replay_pb2, replay_pb2_grpc, tensor_pb2, trajectory_pb2 = python_protos(tmp)

    def tensor(dtype, code, shape, values):
        return tensor_pb2.Tensor(dtype=dtype, shape=shape,
                                 data=struct.pack(f"<{len(values)}{code}", *values))

    f32, boolean = tensor_pb2.DTYPE_FLOAT32, tensor_pb2.DTYPE_BOOL
    steps = 50
    requests = []
    for episode in range(3):
        chunk = trajectory_pb2.TrajectoryChunk(
            episode_id=0x9E3779B97F4A7C15 + episode, chunk_index=0, first_step=0,
            actor_id="metrics-test", env_name="Pendulum",
            observations=tensor(f32, "f", [steps + 1, 3], [0.01 * i for i in range(3 * (steps + 1))]),
            actions=tensor(f32, "f", [steps, 1], [0.5] * steps),
            rewards=tensor(f32, "f", [steps], [-1.0] * steps),
            terminated=tensor(boolean, "?", [steps], [False] * steps),
            truncated=tensor(boolean, "?", [steps], [False] * (steps - 1) + [True]))
        requests.append(replay_pb2.InsertRequest(request_id=episode, chunks=[chunk]))
    with grpc.insecure_channel(grpc_address) as channel:
        stub = replay_pb2_grpc.ReplayShardStub(channel)
        responses = list(stub.Insert(iter(requests), timeout=30))
        assert [r.status.code for r in responses] == [0, 0, 0], responses
        batches = list(stub.Sample(replay_pb2.SampleRequest(batch_size=16, num_batches=4),
                                   timeout=30))
        assert len(batches) == 4, batches
        info = stub.Info(replay_pb2.InfoRequest(), timeout=30)
        assert info.transitions == 3 * steps, info


# role -> work to give it once it serves (tmp dir, "host:grpc_port").
EXERCISE = {"replay": exercise_replay}
# role -> a recording rule that is positive only if that work was counted.
EXERCISED_RULE = {"replay": "namespace:mbrl_replay_inserts:rate1m"}


def free_port():
    # For flags that need a number up front; the window until the role binds it is tiny, and a
    # collision makes the role fail to start with a clear error (not a false pass).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def logs_of(workdir):
    """The last lines of every log under `workdir` (a role's, and `mbrl local`'s children's)."""
    parts = []
    for path in sorted(glob.glob(os.path.join(workdir, "**", "*.txt"), recursive=True) +
                       glob.glob(os.path.join(workdir, "**", "*.log"), recursive=True)):
        with open(path, errors="replace") as f:
            parts.append(f"==== {path}\n" + "".join(f.readlines()[-20:]))
    return "\n".join(parts)


def contract_metrics(role):
    """The contract's metrics that `role` must export (`local` and the fixture: all of them)."""
    return [m for m in METRICS.values()
            if role in m.roles or role in ("local", "contract-fixture")]


def serves_metrics(reply, role):
    """Whether an HTTP (status, body) reply of `role`'s /metrics is complete enough to check:
    a 200, and for `local` a # TYPE line of every contract family."""
    status, text = reply
    if status != 200 or role != "local":
        return status == 200
    types = set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))
    return all(m.name in types for m in contract_metrics(role))


def wait_until(what, predicate, process=None, deadline=DEADLINE_SECONDS):
    """Polls `predicate` (bounded by `deadline` seconds); fails if `process` exits meanwhile."""
    end = time.monotonic() + deadline
    last_error = None
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        try:
            result = predicate()
            if result:
                return result
        except (OSError, ValueError) as error:  # not up yet
            last_error = error
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {deadline} s (last error: {last_error})")


def listening_port(pid):
    """The TCP port a process listens on (read from /proc: no race, no log parsing)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        match = re.match(r"socket:\[(\d+)\]", target)
        if match:
            inodes.add(match.group(1))
    for table in (f"/proc/{pid}/net/tcp", f"/proc/{pid}/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                    return int(fields[1].split(":")[1], 16)
    return None


class ContractFixture:
    """Serves every contract metric over HTTP, changing between scrapes as a running system's."""

    def __init__(self):
        self.scrapes = 0
        fixture = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = fixture.exposition().encode()
                self.send_response(200 if self.path == "/metrics" else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def exposition(self):
        self.scrapes += 1
        n = self.scrapes
        lines = []
        for metric in METRICS.values():
            lines.append(f"# HELP {metric.name} {metric.name} (contract fixture)")
            lines.append(f"# TYPE {metric.name} {metric.type}")
            label_sets = [{}]
            for label, values in metric.labels.items():
                values = sorted(values) if values else ["/mbrl.v1.ReplayShard/Insert"]
                label_sets = [dict(s, **{label: v}) for s in label_sets for v in values]
            for labels in label_sets:
                text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
                if metric.type == "histogram":
                    cumulative = 0
                    for bound in ("0.5", "1", "2", "4", "+Inf"):
                        cumulative += n
                        sep = "," if text else ""
                        lines.append(f'{metric.name}_bucket{{{text}{sep}le="{bound}"}} {cumulative}')
                    # Returns may be negative (Pendulum); other histograms observe positive values.
                    sign = -1.0 if metric.name == "mbrl_episode_return" else 1.0
                    lines.append(f"{metric.name}_sum{{{text}}} {sign * 3.0 * n}")
                    lines.append(f"{metric.name}_count{{{text}}} {cumulative}")
                else:
                    value = 100 * n if metric.type == "counter" else n
                    lines.append(f"{metric.name}{{{text}}} {value}" if text else f"{metric.name} {value}")
        return "\n".join(lines) + "\n"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class MetricsScrapeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.processes = []
        cls.targets = {}  # role -> "127.0.0.1:port" of /metrics
        cls.grpc_addresses = {}
        cls.fixture = ContractFixture()
        cls.targets["contract-fixture"] = f"127.0.0.1:{cls.fixture.port}"
        for role, command in ROLES.items():
            grpc_port, metrics_port = free_port(), free_port()
            workdir = os.path.join(cls.tmp, role)
            os.makedirs(workdir)
            log = open(os.path.join(workdir, "log.txt"), "w")
            process = subprocess.Popen([MBRL, *command(workdir, grpc_port, metrics_port)],
                                       cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
            cls.processes.append(process)
            cls.targets[role] = f"127.0.0.1:{metrics_port}"
            # `mbrl local` serves /metrics at once, but its children's families appear only as
            # each child comes up: wait for all of them (the other roles: for an answer).
            try:
                wait_until(f"{role} serves its metrics", lambda: serves_metrics(
                    http_get(f"http://{cls.targets[role]}/metrics"), role), process)
            except AssertionError as error:
                raise AssertionError(f"{error}\n{logs_of(workdir)}") from None
            cls.grpc_addresses[role] = f"127.0.0.1:{grpc_port}"
        cls.prometheus = cls.start_prometheus()
        # The work starts once Prometheus has scraped each role, so that rates see it happen.
        for role, exercise in EXERCISE.items():
            wait_until(f"Prometheus scrapes {role}", lambda: cls.query_class(
                f'up{{component="{role}"}} == 1'))
            exercise(os.path.join(cls.tmp, role), cls.grpc_addresses[role])

    @classmethod
    def start_prometheus(cls):
        binary = shutil.which("prometheus")
        if binary is None:
            raise AssertionError("prometheus is missing: Debian package `prometheus` (./mbrl setup)")
        config = os.path.join(cls.tmp, "prometheus.yml")
        with open(config, "w") as f:
            json.dump({  # JSON is YAML
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [os.path.join(RULES_DIR, name) for name in sorted(os.listdir(RULES_DIR))],
                "scrape_configs": [{
                    "job_name": "mbrl",
                    "static_configs": [
                        {"targets": [address], "labels": {"component": role, "namespace": NAMESPACE}}
                        for role, address in cls.targets.items()],
                }],
            }, f)
        log = open(os.path.join(cls.tmp, "prometheus.log"), "w")
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={cls.tmp}/tsdb",
             "--web.listen-address=127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT)
        cls.processes.append(process)
        port = wait_until("prometheus listens", lambda: listening_port(process.pid), process)
        cls.prometheus_url = f"http://127.0.0.1:{port}"
        wait_until("prometheus is ready",
                   lambda: http_get(f"{cls.prometheus_url}/-/ready")[0] == 200, process)
        return process

    @classmethod
    def tearDownClass(cls):
        for process in reversed(cls.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in cls.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        cls.fixture.stop()

    @classmethod
    def query_class(cls, expr):
        url = f"{cls.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        _, body = http_get(url)
        reply = json.loads(body)
        if reply["status"] != "success":
            raise AssertionError(f"query {expr!r} failed: {body}")
        return reply["data"]["result"]

    def query(self, expr):
        return self.query_class(expr)

    def test_metrics_pass_promtool_and_the_contract(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing: Debian package `prometheus`")
        for role, address in self.targets.items():
            with self.subTest(role=role):
                _, text = http_get(f"http://{address}/metrics")
                result = subprocess.run([promtool, "check", "metrics"], input=text,
                                        capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, f"{role}: {result.stdout}{result.stderr}")
                types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))
                for metric in contract_metrics(role):
                    self.assertEqual(types.get(metric.name), metric.type,
                                     f"{role} must export {metric.name} as a {metric.type}")
                    for label, values in metric.labels.items():
                        seen = set(re.findall(rf'^{metric.name}(?:_bucket|_sum|_count)?\{{[^}}]*'
                                              rf'{label}="([^"]*)"', text, re.MULTILINE))
                        self.assertTrue(seen, f"{role}: {metric.name} has no {label} label")
                        if values:
                            self.assertLessEqual(seen, values, f"{role}: {metric.name}{{{label}}}")

    def test_prometheus_scrapes_every_target_and_records_rules(self):
        for role in self.targets:
            with self.subTest(role=role):
                wait_until(f"Prometheus scrapes {role}", lambda: [
                    r for r in self.query(f'up{{component="{role}"}} == 1')])
                rule = RECORDING_RULE[role]
                result = wait_until(f"{rule} has a result for {role}", lambda: [
                    r for r in self.query(f'{rule}{{namespace="{NAMESPACE}"}}')])
                self.assertEqual(result[0]["metric"]["namespace"], NAMESPACE)
        for role, rule in EXERCISED_RULE.items():
            with self.subTest(role=role, rule=rule):
                wait_until(f"{rule} > 0 after {role} worked", lambda: self.query(
                    f'{rule}{{namespace="{NAMESPACE}"}} > 0'))
        # The RPC latency rule sees the replay calls made above (per method).
        latency = ('namespace_component_method:mbrl_rpc_latency_seconds:quantile5m'
                   f'{{namespace="{NAMESPACE}",component="replay",quantile="0.99"}}')
        try:
            wait_until("RPC latency quantiles for replay", lambda: {
                r["metric"]["method"] for r in self.query(f"{latency} > 0")} >= {"Insert", "Sample"})
        except AssertionError as error:
            raise AssertionError(f"{error}; {latency} = {self.query(latency)}; raw: "
                                 f"{self.query('mbrl_rpc_latency_seconds_count')}") from None

    def test_every_recording_rule_evaluates_over_the_fixture(self):
        # The fixture exports every contract metric, so every recording rule has data; each must
        # produce a finite value (a broken rule yields nothing or NaN).
        names = set()
        for name in sorted(os.listdir(RULES_DIR)):
            with open(os.path.join(RULES_DIR, name)) as f:
                names |= set(re.findall(r"^\s*- record: (\S+)$", f.read(), re.MULTILINE))
        self.assertGreater(len(names), 5)
        for name in sorted(names):
            with self.subTest(rule=name):
                result = wait_until(f"{name} evaluates", lambda: [
                    r for r in self.query(f'{name}{{namespace="{NAMESPACE}"}}')
                    if r["value"][1] not in ("NaN", "+Inf", "-Inf")])
                self.assertTrue(result)
        # And nothing alerts on a healthy system.
        firing = self.query('ALERTS{alertstate="firing"}')
        self.assertEqual(firing, [])


if __name__ == "__main__":
    unittest.main()
