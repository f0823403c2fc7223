"""Checks that PromQL expressions (rules, dashboard queries) read only metrics of the roles
contract (deploy/checks/contract.py) or recording rules built from them, with label matchers the
contract allows.

    rules = LoadRecordingRules(["deploy/prometheus/rules/recording.yml", ...])
    errors = CheckExpression(expr, rules, where="panel 'Returns'")
    metrics = ContractMetricsOf(expr, rules)   # e.g. {"mbrl_env_steps_total"}
"""
import yaml

from contract import METRICS, ROLE_FLAGS, SCRAPE_SERIES, series_to_metric
from promql import LabelMatchers, SeriesNames

# Labels every scrape config of deploy/ attaches to a target.
TARGET_LABELS = {"namespace", "component", "pod", "instance", "job"}


def LoadRecordingRules(paths):
    """{recorded name: [expressions]} of every recording rule in the rule files."""
    rules = {}
    for path in paths:
        with open(path) as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    if "record" in rule:
                        rules.setdefault(rule["record"], []).append(rule["expr"])
    return rules


def CheckExpression(expr, recording_rules, where):
    errors = []
    for name in sorted(SeriesNames(expr)):
        if name not in recording_rules and name not in SCRAPE_SERIES and series_to_metric(name) is None:
            errors.append(f"{where}: {name!r} is neither a metric of the roles contract nor a "
                          "recording rule")
    for metric_name, label, operator, value in LabelMatchers(expr):
        if metric_name is None or metric_name in recording_rules:
            continue
        if label == "component" and operator == "=" and value not in ROLE_FLAGS:
            errors.append(f"{where}: component={value!r} is not a role")
        metric = series_to_metric(metric_name)
        if metric is None:
            continue
        if label == "le" and metric.type == "histogram" and metric_name.endswith("_bucket"):
            continue
        if label not in metric.labels and label not in metric.optional_labels \
                and label not in TARGET_LABELS:
            errors.append(f"{where}: {metric.name} has no label {label!r}")
        allowed = metric.labels.get(label)
        if allowed is not None and operator == "=" and value not in allowed:
            errors.append(f"{where}: {metric.name}{{{label}={value!r}}}: the contract's values "
                          f"are {sorted(allowed)}")
    return errors


def ContractMetricsOf(expr, recording_rules, _seen=None):
    """The contract metrics an expression depends on, through recording rules."""
    seen = _seen if _seen is not None else set()
    metrics = set()
    for name in SeriesNames(expr):
        if name in recording_rules and name not in seen:
            seen.add(name)
            for inner in recording_rules[name]:
                metrics |= ContractMetricsOf(inner, recording_rules, seen)
        metric = series_to_metric(name)
        if metric is not None:
            metrics.add(metric.name)
    return metrics


assert all(m.name.startswith("mbrl_") for m in METRICS.values())
