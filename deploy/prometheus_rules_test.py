#!/usr/bin/python3
"""The Prometheus side of deploy/: `promtool check rules` and `promtool test rules` (the unit
tests of every recording and alert rule) pass; the scrape config passes `promtool check config`;
every rule reads only contract metrics with contract labels; the Operator's PrometheusRule and
dashboard ConfigMap are in sync with their sources; the issue's recording rules and alerts
exist."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
DEPLOY = os.path.join(RUNFILES, "deploy")
sys.path.insert(0, os.path.join(DEPLOY, "checks"))

from metric_refs import CheckExpression, ContractMetricsOf, LoadRecordingRules  # noqa: E402

RULE_FILES = sorted(glob.glob(os.path.join(DEPLOY, "prometheus", "rules", "*.yml")))


def promtool(*args, stdin=None):
    binary = shutil.which("promtool")
    if binary is None:
        raise AssertionError("promtool is missing: Debian package `prometheus` (./mbrl setup)")
    return subprocess.run([binary, *args], capture_output=True, text=True, input=stdin)


def all_rules():
    for path in RULE_FILES:
        with open(path) as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    yield os.path.basename(path), rule


class PrometheusTest(unittest.TestCase):
    def test_rule_files_pass_promtool_check(self):
        self.assertEqual(len(RULE_FILES), 2)
        result = promtool("check", "rules", *RULE_FILES)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_rule_unit_tests_pass(self):
        result = promtool("test", "rules", os.path.join(DEPLOY, "prometheus", "tests", "rules_test.yml"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)

    def test_scrape_config_passes_promtool_check(self):
        # Debian's Prometheus is built without Kubernetes discovery: check everything else
        # (relabelling, rule files) with the discovery replaced by a static target.
        with open(os.path.join(DEPLOY, "prometheus", "prometheus.yml")) as f:
            config = yaml.safe_load(f)
        (job,) = config["scrape_configs"]
        self.assertEqual(job.pop("kubernetes_sd_configs"), [{"role": "pod"}])
        job["static_configs"] = [{"targets": ["127.0.0.1:8080"]}]
        self.assertEqual(config["rule_files"], ["rules/recording.yml", "rules/alerts.yml"])
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
            shutil.copytree(os.path.join(DEPLOY, "prometheus", "rules"), os.path.join(tmp, "rules"))
            path = os.path.join(tmp, "prometheus.yml")
            with open(path, "w") as f:
                yaml.safe_dump(config, f)
            result = promtool("check", "config", path)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        targets = {r.get("target_label"): r["source_labels"] for r in job["relabel_configs"]}
        self.assertEqual(targets["component"], ["__meta_kubernetes_pod_label_app_kubernetes_io_component"])
        self.assertIn("namespace", targets)

    def test_rules_read_only_contract_metrics(self):
        recording = LoadRecordingRules(RULE_FILES)
        errors = []
        for path, rule in all_rules():
            errors += CheckExpression(rule["expr"], recording,
                                      f"{path}: {rule.get('record') or rule.get('alert')}")
        self.assertEqual(errors, [], "\n".join(errors))

    def test_issue_rules_exist(self):
        recording = LoadRecordingRules(RULE_FILES)
        alerts = {rule["alert"]: rule for _, rule in all_rules() if "alert" in rule}
        # Real and imagined steps/s, and policy lag quantiles.
        self.assertEqual(ContractMetricsOf("namespace_source:mbrl_env_steps:rate1m", recording),
                         {"mbrl_env_steps_total"})
        lag = [r for _, r in all_rules() if r.get("record", "").startswith(
            "namespace_component:mbrl_policy_lag_versions:quantile")]
        self.assertEqual({r["labels"]["quantile"] for r in lag}, {"0.5", "0.9", "0.99"})
        # No policy progress, replay shard down, rate limiter starving, NaN losses.
        for name, metric in [("MbrlPolicyVersionStalled", "mbrl_policy_version"),
                             ("MbrlReplayRateLimiterStarving",
                              "mbrl_replay_rate_limiter_blocked_seconds_total"),
                             ("MbrlModelLossNotFinite", "mbrl_model_loss"),
                             ("MbrlPolicyKlNotFinite", "mbrl_policy_kl")]:
            self.assertEqual(ContractMetricsOf(alerts[name]["expr"], recording), {metric}, name)
        self.assertIn('up{component="replay"}', alerts["MbrlReplayShardDown"]["expr"])
        for alert in alerts.values():
            self.assertIn(alert["labels"]["severity"], {"warning", "critical"})
            self.assertTrue(alert["annotations"]["summary"] and alert["annotations"]["description"])

    def test_operator_objects_are_generated_from_the_sources(self):
        generate = os.path.join(DEPLOY, "k8s", "components", "prometheus-operator", "generate.py")
        result = subprocess.run([sys.executable, generate, "--check"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(os.path.dirname(generate), "prometheus-rule.yaml")) as f:
            groups = yaml.safe_load(f)["spec"]["groups"]
        self.assertEqual([g["name"] for g in groups],
                         [g["name"] for path in RULE_FILES
                          for g in yaml.safe_load(open(path))["groups"]])


if __name__ == "__main__":
    unittest.main()
