#!/usr/bin/python3
"""The Grafana dashboard (deploy/grafana/mbrl.json): well-formed, every query is valid PromQL
(promtool parses it), reads only metrics the roles export (the roles contract) or recording
rules of deploy/prometheus/rules, and the panels cover what issue 7 asks for."""
import glob
import json
import os
import re
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
# Grafana's variables, replaced by values of the right kind before PromQL parsing.
VARIABLES = {"$__rate_interval": "5m", "$namespace": ".*"}


def load_dashboard():
    with open(os.path.join(DEPLOY, "grafana", "mbrl.json")) as f:
        return json.load(f)


def queries(dashboard):
    """(panel title, expr) of every target of every panel."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def substitute(expr):
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    if "$" in expr:
        raise AssertionError(f"unknown Grafana variable in {expr!r}")
    return expr


class DashboardTest(unittest.TestCase):
    def setUp(self):
        self.dashboard = load_dashboard()
        self.recording = LoadRecordingRules(RULE_FILES)

    def test_structure(self):
        d = self.dashboard
        self.assertEqual(d["uid"], "mbrl-training")
        self.assertTrue(d["title"])
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        variables = {v["name"]: v for v in d["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        cells = set()
        for panel in d["panels"]:
            grid = panel["gridPos"]
            self.assertLessEqual(grid["x"] + grid["w"], 24, panel["title"])
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    self.assertNotIn((x, y), cells, f"panel {panel['title']!r} overlaps another")
                    cells.add((x, y))
            if panel["type"] == "row":
                continue
            self.assertTrue(panel["targets"], panel["title"])
            self.assertEqual(panel["datasource"]["uid"], "${datasource}", panel["title"])
            for target in panel["targets"]:
                self.assertEqual(target["datasource"]["uid"], "${datasource}", panel["title"])
            self.assertTrue(panel.get("description"), f"panel {panel['title']!r} has no description")

    def test_queries_are_valid_promql(self):
        # promtool parses expressions when it checks rules: one recording rule per query.
        rules = [{"record": f"dashboard:query:{i}", "expr": substitute(expr)}
                 for i, (_, expr) in enumerate(queries(self.dashboard))]
        variable = self.dashboard["templating"]["list"][1]["query"]["query"]
        match = re.fullmatch(r"label_values\((.*), namespace\)", variable)
        self.assertIsNotNone(match, variable)
        rules.append({"record": "dashboard:variable:namespace", "expr": match.group(1)})
        with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=os.environ.get("TEST_TMPDIR")) as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
            f.flush()
            result = subprocess.run([shutil.which("promtool") or "promtool", "check", "rules", f.name],
                                    capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_queries_read_only_contract_metrics(self):
        errors = []
        for title, expr in queries(self.dashboard):
            errors += CheckExpression(substitute(expr), self.recording, f"panel {title!r}")
        self.assertEqual(errors, [], "\n".join(errors))

    def test_covers_the_issue(self):
        used = set()
        for _, expr in queries(self.dashboard):
            used |= ContractMetricsOf(substitute(expr), self.recording)
        wanted = {
            "returns": {"mbrl_episode_return"},
            "steps/s by source": {"mbrl_env_steps_total"},
            "model losses per split": {"mbrl_model_loss"},
            "policy/model versions and lag": {"mbrl_policy_version", "mbrl_model_version",
                                              "mbrl_policy_lag_versions"},
            "replay size and throughput": {"mbrl_replay_items", "mbrl_replay_bytes",
                                           "mbrl_replay_inserts_total", "mbrl_replay_samples_total"},
            "RPC latency quantiles": {"mbrl_rpc_latency_seconds"},
        }
        for what, metrics in wanted.items():
            self.assertLessEqual(metrics, used, f"the dashboard shows no {what}")

    def test_checker_rejects_unknown_metrics(self):
        # The reference check must be able to fail.
        errors = CheckExpression('rate(mbrl_env_step_total{source="real"}[5m])', self.recording, "x")
        self.assertEqual(len(errors), 1, errors)
        errors = CheckExpression('mbrl_model_loss{split="test"}', self.recording, "x")
        self.assertEqual(len(errors), 1, errors)


if __name__ == "__main__":
    unittest.main()
