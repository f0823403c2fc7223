#!/usr/bin/python3
"""`kubectl kustomize` renders every overlay, and every rendered object passes the offline checks
of deploy/checks/k8s_check.py; the experiment ConfigMap passes `mbrl config check` and agrees
with the replay topology; the checker itself rejects each kind of broken manifest."""
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
sys.path.insert(0, os.path.join(RUNFILES, "deploy", "checks"))

import k8s_check  # noqa: E402

OVERLAYS = {
    # overlay -> (replay shards, whether it carries the Prometheus Operator objects)
    "local-small": (2, False),
    "cluster": (4, True),
    "cluster-tls": (4, True),
}
MBRL = os.path.join(RUNFILES, "cli", "mbrl")
_K8S_COPY = []


def k8s_tree():
    """A real copy of deploy/k8s: kustomize refuses the symlinks Bazel's runfiles are made of."""
    if not _K8S_COPY:
        root = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        _K8S_COPY.append(shutil.copytree(os.path.join(RUNFILES, "deploy", "k8s"),
                                         os.path.join(root, "k8s")))
    return _K8S_COPY[0]


def render(overlay):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise AssertionError("kubectl is not installed (it comes with the machine image; see "
                             "README 'Run on Kubernetes')")
    path = os.path.join(k8s_tree(), "overlays", overlay)
    result = subprocess.run([kubectl, "kustomize", path], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {overlay} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def binary_flags():
    """{subcommand: flags its --help lists} for every role subcommand the built binary has."""
    overview = subprocess.run([MBRL, "--help"], capture_output=True, text=True).stdout
    flags = {}
    for role in k8s_check.ROLE_FLAGS:
        if re.search(rf"^  {re.escape(role)} ", overview, re.MULTILINE):
            help_text = subprocess.run([MBRL, role, "--help"], capture_output=True, text=True,
                                       check=True).stdout
            flags[role] = set(re.findall(r"^  --([a-z_]+) \(default", help_text, re.MULTILINE))
    return flags


def find(objects, kind, name):
    for obj in objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise KeyError(f"{kind}/{name}")


def workload(objects, name):
    return next(o for o in objects
                if o["kind"] in ("StatefulSet", "Deployment") and o["metadata"]["name"] == name)


class OverlayTest(unittest.TestCase):
    rendered = {}

    @classmethod
    def setUpClass(cls):
        cls.rendered = {overlay: render(overlay) for overlay in OVERLAYS}

    def test_every_object_is_valid(self):
        for overlay, objects in self.rendered.items():
            with self.subTest(overlay=overlay):
                errors = k8s_check.Validate(objects, namespace="mbrl")
                self.assertEqual(errors, [], f"{overlay}:\n" + "\n".join(errors))

    def test_roles_that_exist_accept_the_manifests_flags(self):
        # The roles built so far are checked against their real --help; the others against the
        # contract (test_every_object_is_valid). Each role must accept its contract flags too.
        accepted = binary_flags()
        self.assertIn("replay", accepted)
        for role, flags in accepted.items():
            required, optional = k8s_check.ROLE_FLAGS[role]
            self.assertLessEqual(required | {"port", "metrics_port", "tls_cert", "tls_key",
                                             "tls_ca"}, flags, f"mbrl {role} --help")
        for overlay, objects in self.rendered.items():
            with self.subTest(overlay=overlay):
                errors = k8s_check.Validate(objects, namespace="mbrl", accepted_flags=accepted)
                self.assertEqual(errors, [], f"{overlay}:\n" + "\n".join(errors))

    def test_roles_and_kinds(self):
        for overlay, (shards, operator) in OVERLAYS.items():
            objects = self.rendered[overlay]
            with self.subTest(overlay=overlay):
                self.assertEqual(find(objects, "StatefulSet", "replay")["spec"]["replicas"], shards)
                for name in ("model-learner", "policy-learner"):
                    self.assertEqual(find(objects, "StatefulSet", name)["spec"]["replicas"], 1)
                for name in ("env-actor", "imagine"):
                    find(objects, "Deployment", name)
                    find(objects, "HorizontalPodAutoscaler", name)
                kinds = {o["kind"] for o in objects}
                self.assertEqual({"PodMonitor", "ServiceMonitor", "PrometheusRule"} <= kinds,
                                 operator)
                self.assertIn("NetworkPolicy", kinds)
                self.assertIn("PodDisruptionBudget", kinds)

    def test_experiment_config_is_valid_and_matches_topology(self):
        for overlay, (shards, _) in OVERLAYS.items():
            objects = self.rendered[overlay]
            with self.subTest(overlay=overlay):
                replay = workload(objects, "replay")
                env = {e["name"]: e for e in replay["spec"]["template"]["spec"]["containers"][0]["env"]}
                topology = env["MBRL_REPLAY_SHARDS"]["valueFrom"]["configMapKeyRef"]["name"]
                self.assertEqual(find(objects, "ConfigMap", topology)["data"]["replay_shards"],
                                 str(shards))
                learner = workload(objects, "model-learner")
                volume = next(v for v in learner["spec"]["template"]["spec"]["volumes"]
                              if v["name"] == "experiment")
                config = find(objects, "ConfigMap", volume["configMap"]["name"])
                text = config["data"]["experiment.textproto"]
                with tempfile.NamedTemporaryFile("w", suffix=".textproto",
                                                 dir=os.environ.get("TEST_TMPDIR")) as f:
                    f.write(text)
                    f.flush()
                    result = subprocess.run([MBRL, "config", "check", "--print", f.name],
                                            capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn(f"replay_shards: {shards}\n", result.stdout)
                self.assertIn("schedule: ASYNC\n", result.stdout)

    def test_tls_overlay_wires_the_secret_into_every_role(self):
        for obj in self.rendered["cluster-tls"]:
            if obj["kind"] not in ("StatefulSet", "Deployment"):
                continue
            pod = obj["spec"]["template"]["spec"]
            container = pod["containers"][0]
            with self.subTest(workload=obj["metadata"]["name"]):
                self.assertIn("--tls_ca=/etc/mbrl/tls/ca.crt", container["args"])
                secret = [v for v in pod["volumes"] if "secret" in v]
                self.assertEqual(secret[0]["secret"]["secretName"], "mbrl-tls")
                self.assertIn("/etc/mbrl/tls", [m["mountPath"] for m in container["volumeMounts"]])
                self.assertNotIn("grpc", container["readinessProbe"])  # probes cannot speak TLS
        for obj in self.rendered["cluster"]:
            if obj["kind"] in ("StatefulSet", "Deployment"):
                args = obj["spec"]["template"]["spec"]["containers"][0]["args"]
                self.assertFalse([a for a in args if a.startswith("--tls")])

    def test_images_are_pinned_in_overlays(self):
        for overlay, objects in self.rendered.items():
            for obj in objects:
                if obj["kind"] in ("StatefulSet", "Deployment"):
                    image = obj["spec"]["template"]["spec"]["containers"][0]["image"]
                    self.assertNotRegex(image, r"(:latest|^[^:]*)$", f"{overlay}: {image}")


class CheckerRejectsBrokenManifestsTest(unittest.TestCase):
    """Each mutation of a valid render must produce an error that names the problem."""

    @classmethod
    def setUpClass(cls):
        cls.valid = render("cluster")
        assert k8s_check.Validate(cls.valid, namespace="mbrl") == []

    def assertRejected(self, mutate, pattern):
        objects = copy.deepcopy(self.valid)
        mutate(objects)
        errors = k8s_check.Validate(objects, namespace="mbrl")
        self.assertTrue(any(re.search(pattern, e) for e in errors),
                        f"no error matches /{pattern}/; errors: {errors}")

    def container(self, objects, name):
        return workload(objects, name)["spec"]["template"]["spec"]["containers"][0]

    def test_unknown_field(self):
        def mutate(objects):
            c = self.container(objects, "replay")
            c["readinesProbe"] = c.pop("readinessProbe")
        self.assertRejected(mutate, r"StatefulSet/replay: .*unknown field 'readinesProbe'")

    def test_wrong_type(self):
        def mutate(objects):
            self.container(objects, "imagine")["ports"][0]["containerPort"] = "50051"
        self.assertRejected(mutate, r"containerPort: expected int")

    def test_missing_required_field(self):
        def mutate(objects):
            del workload(objects, "replay")["spec"]["serviceName"]
        self.assertRejected(mutate, r"missing required field serviceName")

    def test_selector_does_not_match_labels(self):
        def mutate(objects):
            workload(objects, "env-actor")["spec"]["selector"]["matchLabels"][
                "app.kubernetes.io/component"] = "env-actors"
        self.assertRejected(mutate, r"Deployment/env-actor: spec.selector does not match")

    def test_service_selects_nothing(self):
        def mutate(objects):
            find(objects, "Service", "policy-learner")["spec"]["selector"][
                "app.kubernetes.io/component"] = "policy"
        self.assertRejected(mutate, r"Service/policy-learner: its selector matches no pods")

    def test_probe_on_metrics_port(self):
        def mutate(objects):
            self.container(objects, "model-learner")["livenessProbe"]["grpc"]["port"] = 8080
        self.assertRejected(mutate, r"livenessProbe must probe the gRPC port")

    def test_missing_startup_probe(self):
        def mutate(objects):
            del self.container(objects, "replay")["startupProbe"]
        self.assertRejected(mutate, r"StatefulSet/replay: container mbrl: no startupProbe")

    def test_root_user(self):
        def mutate(objects):
            workload(objects, "imagine")["spec"]["template"]["spec"]["securityContext"][
                "runAsUser"] = 0
        self.assertRejected(mutate, r"Deployment/imagine: pod securityContext must")

    def test_writable_root_filesystem(self):
        def mutate(objects):
            self.container(objects, "env-actor")["securityContext"]["readOnlyRootFilesystem"] = False
        self.assertRejected(mutate, r"root filesystem read-only")

    def test_missing_limits(self):
        def mutate(objects):
            del self.container(objects, "policy-learner")["resources"]["limits"]["memory"]
        self.assertRejected(mutate, r"no resources.limits.memory")

    def test_request_above_limit(self):
        def mutate(objects):
            self.container(objects, "replay")["resources"]["requests"]["memory"] = "64Gi"
        self.assertRejected(mutate, r"memory request 64Gi exceeds its limit")

    def test_unmounted_pvc_template(self):
        def mutate(objects):
            c = self.container(objects, "model-learner")
            c["volumeMounts"] = [m for m in c["volumeMounts"] if m["name"] != "checkpoints"]
        self.assertRejected(mutate, r"volumeClaimTemplate 'checkpoints' is not mounted")

    def test_shard_count_disagrees_with_addresses(self):
        def mutate(objects):
            workload(objects, "replay")["spec"]["replicas"] = 5
        self.assertRejected(mutate, r"--replay resolves to .*replay-3.replay:50051', want .*replay-4")

    def test_flag_not_in_contract(self):
        def mutate(objects):
            self.container(objects, "policy-learner")["args"].append("--replay=replay-0.replay:50051")
        self.assertRejected(mutate, r"`mbrl policy-learner` does not accept --replay")

    def test_missing_required_flag(self):
        def mutate(objects):
            c = self.container(objects, "imagine")
            c["args"] = [a for a in c["args"] if not a.startswith("--model_learner")]
        self.assertRejected(mutate, r"`mbrl imagine` needs --model_learner")

    def test_undefined_env_reference(self):
        def mutate(objects):
            c = self.container(objects, "env-actor")
            c["env"] = [e for e in c["env"] if e["name"] != "MBRL_REPLAY"]
        self.assertRejected(mutate, r"uses \$\(MBRL_REPLAY\)")

    def test_network_policy_missing_edge(self):
        def mutate(objects):
            policy = find(objects, "NetworkPolicy", "model-learner-grpc")
            policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"][
                "app.kubernetes.io/component"] = "env-actor"
        self.assertRejected(mutate, r"imagine dials model-learner but no policy allows it")
        self.assertRejected(mutate, r"allows env-actor -> model-learner gRPC, which no flag needs")

    def test_network_policy_open_to_everyone(self):
        def mutate(objects):
            policy = find(objects, "NetworkPolicy", "replay-grpc")
            del policy["spec"]["ingress"][0]["from"]
        self.assertRejected(mutate, r"NetworkPolicy/replay-grpc: an ingress rule without `from`")

    def test_no_default_deny(self):
        def mutate(objects):
            objects.remove(find(objects, "NetworkPolicy", "mbrl-default-deny-ingress"))
        self.assertRejected(mutate, r"no default-deny ingress NetworkPolicy")

    def test_hpa_on_a_statefulset(self):
        def mutate(objects):
            ref = find(objects, "HorizontalPodAutoscaler", "imagine")["spec"]["scaleTargetRef"]
            ref["kind"], ref["name"] = "StatefulSet", "replay"
        self.assertRejected(mutate, r"scales a StatefulSet")

    def test_replicas_fight_the_hpa(self):
        def mutate(objects):
            workload(objects, "env-actor")["spec"]["replicas"] = 4
        self.assertRejected(mutate, r"HorizontalPodAutoscaler/env-actor: Deployment/env-actor sets replicas")

    def test_pdb_selects_nothing(self):
        def mutate(objects):
            find(objects, "PodDisruptionBudget", "replay")["spec"]["selector"]["matchLabels"][
                "app.kubernetes.io/component"] = "shard"
        self.assertRejected(mutate, r"PodDisruptionBudget/replay: its selector matches no pods")

    def test_pod_scraped_twice(self):
        def mutate(objects):
            monitor = find(objects, "PodMonitor", "mbrl-actors")
            monitor["spec"]["selector"]["matchExpressions"][1]["values"].append("replay")
        self.assertRejected(mutate, r"StatefulSet/replay: scraped by .*want exactly one monitor")

    def test_missing_configmap_key(self):
        def mutate(objects):
            for obj in objects:
                if obj["kind"] == "ConfigMap" and "replay_shards" in obj.get("data", {}):
                    del obj["data"]["replay_shards"]
        self.assertRejected(mutate, r"has no key 'replay_shards'")

    def test_wrong_namespace(self):
        def mutate(objects):
            find(objects, "Service", "replay")["metadata"]["namespace"] = "default"
        self.assertRejected(mutate, r"Service/replay: namespace is 'default'")


if __name__ == "__main__":
    unittest.main()
