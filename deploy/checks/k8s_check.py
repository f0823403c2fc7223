"""Offline validation of rendered Kubernetes manifests: a schema of every field the mbrl manifests
use (unknown fields, wrong types and missing required fields are errors, as with
`kubectl apply --validate=strict`), then the cross-object rules that a schema cannot express:
selectors match pod labels, probes and Services name ports the containers declare, volumes and
ConfigMaps referenced exist, PVC templates are mounted, the replay topology is consistent, the
roles' arguments follow the roles contract, and the NetworkPolicies allow exactly the gRPC edges
the roles dial.

    errors = Validate(objects, namespace="mbrl")   # [] when everything holds

Each error is one line: "<Kind>/<name>: <what is wrong>".
"""
import re

from contract import GRPC_PORT, METRICS_PORT, PEER_FLAGS, ROLE_FLAGS, SHARED_SERVER_FLAGS

# --- schema -------------------------------------------------------------------------------------
# A type is: str / int / bool, "quantity", "int_or_string", "labels" (map of strings), "any_map",
# a list [T], a set of allowed strings, or the name of a struct below. In a struct, a key ending
# in "!" is required.

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

STRUCTS = {
    "ObjectMeta": {"name!": str, "namespace": str, "labels": "labels", "annotations": "labels"},
    "TemplateMeta": {"labels!": "labels", "annotations": "labels"},
    "LabelSelector": {"matchLabels": "labels", "matchExpressions": ["SelectorRequirement"]},
    "SelectorRequirement": {"key!": str, "operator!": {"In", "NotIn", "Exists", "DoesNotExist"},
                            "values": [str]},
    "DeploymentSpec": {"replicas": int, "selector!": "LabelSelector", "template!": "PodTemplate",
                       "strategy": "DeploymentStrategy", "revisionHistoryLimit": int},
    "DeploymentStrategy": {"type": {"RollingUpdate", "Recreate"}, "rollingUpdate": "RollingUpdate"},
    "RollingUpdate": {"maxSurge": "int_or_string", "maxUnavailable": "int_or_string",
                      "partition": int},
    "StatefulSetSpec": {"replicas": int, "selector!": "LabelSelector", "template!": "PodTemplate",
                        "serviceName!": str, "podManagementPolicy": {"OrderedReady", "Parallel"},
                        "updateStrategy": "StatefulSetUpdateStrategy",
                        "volumeClaimTemplates": ["PvcTemplate"],
                        "persistentVolumeClaimRetentionPolicy": "PvcRetention"},
    "StatefulSetUpdateStrategy": {"type": {"RollingUpdate", "OnDelete"},
                                  "rollingUpdate": "RollingUpdate"},
    "PvcRetention": {"whenDeleted": {"Retain", "Delete"}, "whenScaled": {"Retain", "Delete"}},
    "PvcTemplate": {"metadata!": "ObjectMeta", "spec!": "PvcSpec"},
    "PvcSpec": {"accessModes!": [{"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                                  "ReadWriteOncePod"}],
                "resources!": "VolumeResources", "storageClassName": str},
    "VolumeResources": {"requests!": "ResourceList"},
    "PodTemplate": {"metadata!": "TemplateMeta", "spec!": "PodSpec"},
    "PodSpec": {"containers!": ["Container"], "volumes": ["Volume"],
                "securityContext": "PodSecurityContext", "automountServiceAccountToken": bool,
                "enableServiceLinks": bool, "terminationGracePeriodSeconds": int,
                "serviceAccountName": str, "topologySpreadConstraints": ["TopologySpread"],
                "nodeSelector": "labels"},
    "TopologySpread": {"maxSkew!": int, "topologyKey!": str,
                       "whenUnsatisfiable!": {"DoNotSchedule", "ScheduleAnyway"},
                       "labelSelector": "LabelSelector"},
    "PodSecurityContext": {"runAsNonRoot": bool, "runAsUser": int, "runAsGroup": int,
                           "fsGroup": int, "fsGroupChangePolicy": {"OnRootMismatch", "Always"},
                           "seccompProfile": "SeccompProfile"},
    "SeccompProfile": {"type!": {"RuntimeDefault", "Localhost", "Unconfined"}},
    "Container": {"name!": str, "image!": str,
                  "imagePullPolicy": {"Always", "IfNotPresent", "Never"}, "command": [str],
                  "args": [str], "workingDir": str, "env": ["EnvVar"], "ports": ["ContainerPort"],
                  "readinessProbe": "Probe", "livenessProbe": "Probe", "startupProbe": "Probe",
                  "resources": "Resources", "securityContext": "ContainerSecurityContext",
                  "volumeMounts": ["VolumeMount"]},
    "EnvVar": {"name!": str, "value": str, "valueFrom": "EnvVarSource"},
    "EnvVarSource": {"fieldRef": "FieldRef", "configMapKeyRef": "KeyRef", "secretKeyRef": "KeyRef"},
    "FieldRef": {"fieldPath!": str, "apiVersion": str},
    "KeyRef": {"name!": str, "key!": str, "optional": bool},
    "ContainerPort": {"name": str, "containerPort!": int, "protocol": {"TCP", "UDP", "SCTP"}},
    "Probe": {"grpc": "GrpcAction", "tcpSocket": "TcpAction", "httpGet": "HttpAction",
              "initialDelaySeconds": int, "periodSeconds": int, "timeoutSeconds": int,
              "failureThreshold": int, "successThreshold": int},
    "GrpcAction": {"port!": int, "service": str},
    "TcpAction": {"port!": "int_or_string"},
    "HttpAction": {"port!": "int_or_string", "path": str},
    "Resources": {"requests": "ResourceList", "limits": "ResourceList"},
    "ResourceList": {"cpu": "quantity", "memory": "quantity", "storage": "quantity",
                     "ephemeral-storage": "quantity"},
    "ContainerSecurityContext": {"allowPrivilegeEscalation": bool, "readOnlyRootFilesystem": bool,
                                 "runAsNonRoot": bool, "runAsUser": int,
                                 "capabilities": "Capabilities", "privileged": bool},
    "Capabilities": {"drop": [str], "add": [str]},
    "VolumeMount": {"name!": str, "mountPath!": str, "readOnly": bool, "subPath": str},
    "Volume": {"name!": str, "configMap": "ConfigMapVolume", "secret": "SecretVolume",
               "emptyDir": "EmptyDir", "persistentVolumeClaim": "PvcVolume"},
    "ConfigMapVolume": {"name!": str, "defaultMode": int, "optional": bool},
    "SecretVolume": {"secretName!": str, "defaultMode": int, "optional": bool},
    "EmptyDir": {"sizeLimit": "quantity", "medium": {"", "Memory"}},
    "PvcVolume": {"claimName!": str, "readOnly": bool},
    "ServiceSpec": {"clusterIP": str, "selector!": "labels", "ports!": ["ServicePort"],
                    "type": {"ClusterIP", "NodePort", "LoadBalancer"},
                    "publishNotReadyAddresses": bool},
    "ServicePort": {"name": str, "port!": int, "targetPort": "int_or_string",
                    "protocol": {"TCP", "UDP", "SCTP"}},
    "HpaSpec": {"scaleTargetRef!": "CrossVersionRef", "minReplicas": int, "maxReplicas!": int,
                "metrics": ["HpaMetric"], "behavior": "HpaBehavior"},
    "CrossVersionRef": {"apiVersion": str, "kind!": str, "name!": str},
    "HpaMetric": {"type!": {"Resource", "Pods", "Object", "External"},
                  "resource": "HpaResourceMetric"},
    "HpaResourceMetric": {"name!": {"cpu", "memory"}, "target!": "HpaTarget"},
    "HpaTarget": {"type!": {"Utilization", "AverageValue", "Value"}, "averageUtilization": int,
                  "averageValue": "quantity"},
    "HpaBehavior": {"scaleUp": "HpaRules", "scaleDown": "HpaRules"},
    "HpaRules": {"stabilizationWindowSeconds": int},
    "PdbSpec": {"selector!": "LabelSelector", "minAvailable": "int_or_string",
                "maxUnavailable": "int_or_string"},
    "NetworkPolicySpec": {"podSelector!": "LabelSelector", "policyTypes": [{"Ingress", "Egress"}],
                          "ingress": ["NetworkPolicyRule"]},
    "NetworkPolicyRule": {"from": ["NetworkPolicyPeer"], "ports": ["NetworkPolicyPort"]},
    "NetworkPolicyPeer": {"podSelector": "LabelSelector", "namespaceSelector": "LabelSelector"},
    "NetworkPolicyPort": {"port": "int_or_string", "protocol": {"TCP", "UDP", "SCTP"}},
    "PodMonitorSpec": {"selector!": "LabelSelector", "podMetricsEndpoints!": ["MonitorEndpoint"],
                       "namespaceSelector": "any_map"},
    "ServiceMonitorSpec": {"selector!": "LabelSelector", "endpoints!": ["MonitorEndpoint"],
                           "namespaceSelector": "any_map"},
    "MonitorEndpoint": {"port!": str, "path": str, "interval": str, "scheme": {"http", "https"},
                        "relabelings": ["Relabeling"]},
    "Relabeling": {"sourceLabels": [str], "targetLabel": str, "regex": str, "action": str,
                   "replacement": str},
    "PrometheusRuleSpec": {"groups!": ["RuleGroup"]},
    "RuleGroup": {"name!": str, "interval": str, "rules!": ["Rule"]},
    "Rule": {"record": str, "alert": str, "expr!": str, "for": str, "labels": "labels",
             "annotations": "labels"},
}

# (apiVersion, kind) -> (struct of the top level besides apiVersion/kind/metadata, namespaced)
KINDS = {
    ("v1", "Namespace"): ({}, False),
    ("v1", "ConfigMap"): ({"data": "labels"}, True),
    ("v1", "Service"): ({"spec!": "ServiceSpec"}, True),
    ("apps/v1", "Deployment"): ({"spec!": "DeploymentSpec"}, True),
    ("apps/v1", "StatefulSet"): ({"spec!": "StatefulSetSpec"}, True),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ({"spec!": "HpaSpec"}, True),
    ("policy/v1", "PodDisruptionBudget"): ({"spec!": "PdbSpec"}, True),
    ("networking.k8s.io/v1", "NetworkPolicy"): ({"spec!": "NetworkPolicySpec"}, True),
    ("monitoring.coreos.com/v1", "PodMonitor"): ({"spec!": "PodMonitorSpec"}, True),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ({"spec!": "ServiceMonitorSpec"}, True),
    ("monitoring.coreos.com/v1", "PrometheusRule"): ({"spec!": "PrometheusRuleSpec"}, True),
}


def _check_type(value, type_, path, errors):
    if isinstance(type_, str) and type_ in STRUCTS:
        _check_struct(value, STRUCTS[type_], path, errors)
    elif type_ is str or type_ is int or type_ is bool:
        # bool is an int in Python: keep them apart.
        if not isinstance(value, type_) or (type_ is int and isinstance(value, bool)):
            errors.append(f"{path}: expected {type_.__name__}, got {value!r}")
    elif type_ == "quantity":
        if isinstance(value, bool) or not QUANTITY.match(str(value)):
            errors.append(f"{path}: {value!r} is not a resource quantity")
    elif type_ == "int_or_string":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            errors.append(f"{path}: expected an integer or a string, got {value!r}")
    elif type_ == "labels":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            errors.append(f"{path}: expected a map of strings, got {value!r}")
    elif type_ == "any_map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map")
    elif isinstance(type_, list):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {value!r}")
        else:
            for i, item in enumerate(value):
                _check_type(item, type_[0], f"{path}[{i}]", errors)
    elif isinstance(type_, set):
        if value not in type_:
            errors.append(f"{path}: {value!r} is not one of {sorted(type_)}")
    else:
        raise AssertionError(f"bad schema type {type_!r}")


def _check_struct(value, struct, path, errors):
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a map, got {value!r}")
        return
    fields = {key.rstrip("!"): type_ for key, type_ in struct.items()}
    for key in struct:
        if key.endswith("!") and key[:-1] not in value:
            errors.append(f"{path}: missing required field {key[:-1]}")
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}: unknown field {key!r}")
        else:
            _check_type(item, fields[key], f"{path}.{key}" if path else key, errors)


# --- cross-object rules -----------------------------------------------------------------------


def _selects(selector, labels):
    """Whether a LabelSelector (or a plain map, for Services) selects `labels`."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for requirement in selector.get("matchExpressions") or []:
        key, op, values = requirement["key"], requirement["operator"], requirement.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _quantity(text):
    units = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20,
             "Gi": 2**30, "Ti": 2**40}
    match = re.match(r"^([0-9.]+)([A-Za-z]*)$", str(text))
    return float(match.group(1)) * units.get(match.group(2), 1)


class _Workload:
    def __init__(self, obj):
        self.obj = obj
        self.kind = obj["kind"]
        self.name = obj["metadata"]["name"]
        self.id = f"{self.kind}/{self.name}"
        self.spec = obj["spec"]
        self.pod = self.spec["template"]["spec"]
        self.labels = self.spec["template"]["metadata"].get("labels", {})
        self.containers = self.pod["containers"]
        self.role = self.labels.get("app.kubernetes.io/component")

    def port_names(self):
        return {p.get("name"): p["containerPort"] for c in self.containers for p in c.get("ports", [])}

    def args(self):
        """(subcommand, {flag: value}) of the mbrl container."""
        args = self.containers[0].get("args", [])
        flags = {}
        for arg in args[1:]:
            match = re.match(r"^--([a-z_]+)=(.*)$", arg)
            flags[match.group(1) if match else arg] = match.group(2) if match else None
        return (args[0] if args else None), flags


def _port_number(port, workload):
    if isinstance(port, int):
        return port
    return workload.port_names().get(port)


def _check_workload(w, configmaps, accepted_flags, errors):
    e = lambda message: errors.append(f"{w.id}: {message}")  # noqa: E731
    if not _selects(w.spec["selector"], w.labels):
        e("spec.selector does not match the pod template's labels")
    ports = w.port_names()
    if ports.get("grpc") != GRPC_PORT or ports.get("metrics") != METRICS_PORT:
        e(f"container ports must be grpc={GRPC_PORT} and metrics={METRICS_PORT}, got {ports}")
    pod_security = w.pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True or pod_security.get("runAsUser", 0) == 0:
        e("pod securityContext must set runAsNonRoot: true and a non-zero runAsUser")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        e("pod securityContext must use the RuntimeDefault seccomp profile")
    volumes = {v["name"]: v for v in w.pod.get("volumes", [])}
    claim_templates = {t["metadata"]["name"] for t in w.spec.get("volumeClaimTemplates", [])}
    for c in w.containers:
        security = c.get("securityContext", {})
        if (security.get("allowPrivilegeEscalation") is not False
                or security.get("readOnlyRootFilesystem") is not True
                or "ALL" not in security.get("capabilities", {}).get("drop", [])):
            e(f"container {c['name']}: securityContext must forbid privilege escalation, make the "
              "root filesystem read-only and drop ALL capabilities")
        for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
            probe = c.get(probe_name)
            if probe is None:
                e(f"container {c['name']}: no {probe_name}")
                continue
            actions = [a for a in ("grpc", "tcpSocket", "httpGet") if a in probe]
            if len(actions) != 1:
                e(f"container {c['name']}: {probe_name} needs exactly one action, has {actions}")
                continue
            port = _port_number(probe[actions[0]]["port"], w)
            if port != GRPC_PORT:
                e(f"container {c['name']}: {probe_name} must probe the gRPC port {GRPC_PORT} "
                  f"(grpc.health.v1), probes {probe[actions[0]]['port']!r}")
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    e(f"container {c['name']}: no resources.{kind}.{resource}")
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            if request and limit and _quantity(request) > _quantity(limit):
                e(f"container {c['name']}: {resource} request {request} exceeds its limit {limit}")
        mounted = set()
        for mount in c.get("volumeMounts", []):
            mounted.add(mount["name"])
            if mount["name"] not in volumes and mount["name"] not in claim_templates:
                e(f"container {c['name']}: volumeMount {mount['name']!r} names no volume")
        for template in claim_templates - mounted:
            e(f"volumeClaimTemplate {template!r} is not mounted")
        defined_env = set()
        for env in c.get("env", []):
            defined_env.add(env["name"])
            ref = env.get("valueFrom", {}).get("configMapKeyRef")
            if ref and ref["key"] not in configmaps.get(ref["name"], {}):
                e(f"env {env['name']}: ConfigMap {ref['name']!r} has no key {ref['key']!r}")
        for arg in c.get("args", []):
            for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg):
                if var not in defined_env:
                    e(f"argument {arg!r} uses $({var}), which the container's env does not define")
    for volume in volumes.values():
        if "configMap" in volume and volume["configMap"]["name"] not in configmaps:
            e(f"volume {volume['name']!r}: no ConfigMap {volume['configMap']['name']!r}")
        if volume["name"] not in {m["name"] for c in w.containers for m in c.get("volumeMounts", [])}:
            e(f"volume {volume['name']!r} is not mounted")
    for template in w.spec.get("volumeClaimTemplates", []):
        storage = template["spec"]["resources"]["requests"].get("storage")
        if storage is None:
            e(f"volumeClaimTemplate {template['metadata']['name']!r} requests no storage")

    # The roles contract: the subcommand, its flags, the conventional ports.
    subcommand, flags = w.args()
    if subcommand not in ROLE_FLAGS:
        e(f"first argument {subcommand!r} is not a role subcommand {sorted(ROLE_FLAGS)}")
        return
    if subcommand != w.role:
        e(f"runs `mbrl {subcommand}` but is labelled component={w.role}")
    required, optional = ROLE_FLAGS[subcommand]
    for flag in sorted(required - flags.keys()):
        e(f"`mbrl {subcommand}` needs --{flag}")
    accepted = accepted_flags.get(subcommand, required | optional | SHARED_SERVER_FLAGS)
    for flag in sorted(flags.keys() - accepted):
        e(f"`mbrl {subcommand}` does not accept --{flag}")
    if flags.get("port") != str(GRPC_PORT) or flags.get("metrics_port") != str(METRICS_PORT):
        e(f"must pass --port={GRPC_PORT} --metrics_port={METRICS_PORT}")
    tls = [f for f in ("tls_cert", "tls_key", "tls_ca") if f in flags]
    if tls and len(tls) != 3:
        e(f"TLS needs --tls_cert, --tls_key and --tls_ca together, has {tls}")


def _resolve_env(value, container, configmaps):
    """Expands $(VAR) in `value` from the container's env (literal or ConfigMap values)."""
    env = {}
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        ref = var.get("valueFrom", {}).get("configMapKeyRef")
        if ref:
            env[var["name"]] = configmaps.get(ref["name"], {}).get(ref["key"], "")
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)),
                  value)


def _check_topology(workloads, services, configmaps, errors):
    """Replay shards: replicas == shard count == the addresses the clients dial, which are the
    StatefulSet's DNS names in ordinal order; the learners are single replicas."""
    replay = workloads.get("replay")
    if replay is None or replay.kind != "StatefulSet":
        errors.append("replay: no StatefulSet runs `mbrl replay`")
        return
    shards = replay.spec.get("replicas", 1)
    _, flags = replay.args()
    shard_flag = _resolve_env(flags.get("shard", ""), replay.containers[0], configmaps)
    if shard_flag != f"$(MBRL_SHARD_INDEX)/{shards}":
        errors.append(f"{replay.id}: --shard resolves to {shard_flag!r}, want "
                      f"'$(MBRL_SHARD_INDEX)/{shards}' ({shards} replicas)")
    index_env = [v for v in replay.containers[0].get("env", []) if v["name"] == "MBRL_SHARD_INDEX"]
    if not index_env or index_env[0].get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != \
            "metadata.labels['apps.kubernetes.io/pod-index']":
        errors.append(f"{replay.id}: MBRL_SHARD_INDEX must come from the pod-index label")
    service = services.get(replay.spec["serviceName"])
    if service is None or service["spec"].get("clusterIP") != "None":
        errors.append(f"{replay.id}: serviceName must name a headless Service")
    want = ",".join(f"replay-{i}.{replay.spec['serviceName']}:{GRPC_PORT}" for i in range(shards))
    for w in workloads.values():
        _, flags = w.args()
        if "replay" in flags:
            addresses = _resolve_env(flags["replay"], w.containers[0], configmaps)
            if addresses != want:
                errors.append(f"{w.id}: --replay resolves to {addresses!r}, want {want!r}")
    for role in ("model-learner", "policy-learner"):
        w = workloads.get(role)
        if w is None or w.kind != "StatefulSet" or w.spec.get("replicas", 1) != 1:
            errors.append(f"{role}: must be a single-replica StatefulSet")
        elif not w.spec.get("volumeClaimTemplates"):
            errors.append(f"{w.id}: needs a checkpoint volumeClaimTemplate")
    for role in ("env-actor", "imagine"):
        w = workloads.get(role)
        if w is None or w.kind != "Deployment":
            errors.append(f"{role}: must be a Deployment")


def _check_network(workloads, policies, errors):
    """The gRPC edges the NetworkPolicies allow are exactly those the roles dial (their peer
    flags); metrics are open to the scraper; every pod is covered by a default deny."""
    needed = set()
    for w in workloads.values():
        _, flags = w.args()
        for flag, peer in PEER_FLAGS.items():
            if flag in flags:
                needed.add((w.role, peer))
    allowed = set()
    for w in workloads.values():
        selecting = [p for p in policies if _selects(p["spec"]["podSelector"], w.labels)]
        if not any("Ingress" in p["spec"].get("policyTypes", []) and not p["spec"].get("ingress")
                   for p in selecting):
            errors.append(f"{w.id}: no default-deny ingress NetworkPolicy selects its pods")
        for policy in selecting:
            for rule in policy["spec"].get("ingress", []):
                ports = {_port_number(p.get("port"), w) for p in rule.get("ports", [])}
                if None in ports:
                    errors.append(f"NetworkPolicy/{policy['metadata']['name']}: a port names no "
                                  f"port of {w.id}")
                for peer in rule.get("from", []):
                    if "podSelector" in peer and "namespaceSelector" not in peer:
                        sources = [s for s in workloads.values()
                                   if _selects(peer["podSelector"], s.labels)]
                        if not sources:
                            errors.append(f"NetworkPolicy/{policy['metadata']['name']}: a "
                                          "podSelector selects no pods")
                        if GRPC_PORT in ports:
                            allowed.update((s.role, w.role) for s in sources)
                    elif GRPC_PORT in ports:
                        errors.append(f"NetworkPolicy/{policy['metadata']['name']}: opens gRPC "
                                      f"of {w.id} beyond the mbrl pods")
                if not rule.get("from") or not rule.get("ports"):
                    errors.append(f"NetworkPolicy/{policy['metadata']['name']}: an ingress rule "
                                  "without `from` or `ports` allows every source or port")
    for edge in sorted(needed - allowed):
        errors.append(f"NetworkPolicy: {edge[0]} dials {edge[1]} but no policy allows it")
    for edge in sorted(allowed - needed):
        errors.append(f"NetworkPolicy: allows {edge[0]} -> {edge[1]} gRPC, which no flag needs")
    for policy in policies:
        if not any(_selects(policy["spec"]["podSelector"], w.labels) for w in workloads.values()):
            errors.append(f"NetworkPolicy/{policy['metadata']['name']}: selects no pods")


def _check_monitors(objects, workloads, services, errors):
    scraped = {}
    for obj in objects:
        if obj["kind"] == "PodMonitor":
            for w in workloads.values():
                if _selects(obj["spec"]["selector"], w.labels):
                    scraped.setdefault(w.id, []).append(obj["metadata"]["name"])
                    for endpoint in obj["spec"]["podMetricsEndpoints"]:
                        if _port_number(endpoint["port"], w) != METRICS_PORT:
                            errors.append(f"PodMonitor/{obj['metadata']['name']}: port "
                                          f"{endpoint['port']!r} is not {w.id}'s metrics port")
        if obj["kind"] == "ServiceMonitor":
            for service in services.values():
                if not _selects(obj["spec"]["selector"], service["metadata"].get("labels", {})):
                    continue
                port_names = {p.get("name") for p in service["spec"]["ports"]}
                for endpoint in obj["spec"]["endpoints"]:
                    if endpoint["port"] not in port_names:
                        errors.append(f"ServiceMonitor/{obj['metadata']['name']}: Service "
                                      f"{service['metadata']['name']} has no port "
                                      f"{endpoint['port']!r}")
                for w in workloads.values():
                    if _selects(service["spec"]["selector"], w.labels):
                        scraped.setdefault(w.id, []).append(obj["metadata"]["name"])
        if obj["kind"] in ("PodMonitor", "ServiceMonitor"):
            endpoints = obj["spec"].get("podMetricsEndpoints", obj["spec"].get("endpoints", []))
            for endpoint in endpoints:
                if not any(r.get("targetLabel") == "component" for r in endpoint.get("relabelings", [])):
                    errors.append(f"{obj['kind']}/{obj['metadata']['name']}: no `component` "
                                  "relabeling (the rules aggregate by it)")
    if any(o["kind"] in ("PodMonitor", "ServiceMonitor") for o in objects):
        for w in workloads.values():
            if len(scraped.get(w.id, [])) != 1:
                errors.append(f"{w.id}: scraped by {scraped.get(w.id, [])}, want exactly one monitor")


def Validate(objects, namespace=None, accepted_flags=None):
    """All errors of a rendered overlay (a list of dicts); [] if it is valid.

    `accepted_flags` maps a subcommand to the flags the built binary accepts (from its --help);
    subcommands not in it are checked against the roles contract's flags."""
    accepted_flags = accepted_flags or {}
    errors = []
    seen = set()
    for obj in objects:
        kind = obj.get("kind")
        name = (obj.get("metadata") or {}).get("name", "?")
        key = (obj.get("apiVersion"), kind)
        if key not in KINDS:
            errors.append(f"{kind}/{name}: unknown apiVersion/kind {key}")
            continue
        struct, namespaced = KINDS[key]
        before = len(errors)
        schema = dict(struct, **{"apiVersion!": str, "kind!": str, "metadata!": "ObjectMeta"})
        _check_struct(obj, schema, "", errors)
        errors[before:] = [f"{kind}/{name}: {message}" for message in errors[before:]]
        if not DNS_LABEL.match(name) or len(name) > 63:
            errors.append(f"{kind}/{name}: the name is not a DNS-1123 label")
        for label, value in (obj.get("metadata", {}).get("labels") or {}).items():
            if not isinstance(value, str) or not LABEL_VALUE.match(value) or len(value) > 63:
                errors.append(f"{kind}/{name}: label {label}={value!r} is not a valid label value")
        if namespace is not None and namespaced and obj["metadata"].get("namespace") != namespace:
            errors.append(f"{kind}/{name}: namespace is {obj['metadata'].get('namespace')!r}, "
                          f"want {namespace!r}")
        if (kind, obj["metadata"].get("namespace"), name) in seen:
            errors.append(f"{kind}/{name}: defined twice")
        seen.add((kind, obj["metadata"].get("namespace"), name))
    if errors:
        return errors  # the cross-object rules assume well-formed objects

    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    workload_list = [_Workload(o) for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    workloads = {}
    for w in workload_list:
        _check_workload(w, configmaps, accepted_flags, errors)
        if w.role in workloads:
            errors.append(f"{w.id}: a second workload for role {w.role}")
        workloads[w.role] = w
    images = {c["image"] for w in workload_list for c in w.containers}
    if len(images) != 1:
        errors.append(f"every role must run the one mbrl image, found {sorted(images)}")
    _check_topology(workloads, services, configmaps, errors)

    for service in services.values():
        targets = [w for w in workload_list if _selects(service["spec"]["selector"], w.labels)]
        if not targets:
            errors.append(f"Service/{service['metadata']['name']}: its selector matches no pods")
        for port in service["spec"]["ports"]:
            for w in targets:
                if _port_number(port.get("targetPort", port["port"]), w) is None:
                    errors.append(f"Service/{service['metadata']['name']}: targetPort "
                                  f"{port.get('targetPort')!r} is not a port of {w.id}")
    for w in workload_list:
        if w.kind == "StatefulSet":
            service = services.get(w.spec["serviceName"])
            if service is None or not _selects(service["spec"]["selector"], w.labels):
                errors.append(f"{w.id}: serviceName {w.spec['serviceName']!r} is not a Service "
                              "selecting its pods")
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    for obj in objects:
        name = obj["metadata"]["name"]
        if obj["kind"] == "HorizontalPodAutoscaler":
            ref = obj["spec"]["scaleTargetRef"]
            target = by_name.get((ref["kind"], ref["name"]))
            if target is None:
                errors.append(f"HorizontalPodAutoscaler/{name}: no {ref['kind']}/{ref['name']}")
            elif target["kind"] != "Deployment":
                errors.append(f"HorizontalPodAutoscaler/{name}: scales a {target['kind']}; only "
                              "the stateless actors may autoscale")
            if obj["spec"].get("minReplicas", 1) > obj["spec"]["maxReplicas"]:
                errors.append(f"HorizontalPodAutoscaler/{name}: minReplicas > maxReplicas")
            if target is not None and "replicas" in target["spec"]:
                errors.append(f"HorizontalPodAutoscaler/{name}: {ref['kind']}/{ref['name']} sets "
                              "replicas, which every `kubectl apply` would reset under the HPA")
        if obj["kind"] == "PodDisruptionBudget":
            if ("minAvailable" in obj["spec"]) == ("maxUnavailable" in obj["spec"]):
                errors.append(f"PodDisruptionBudget/{name}: set exactly one of minAvailable "
                              "and maxUnavailable")
            if not any(_selects(obj["spec"]["selector"], w.labels) for w in workload_list):
                errors.append(f"PodDisruptionBudget/{name}: its selector matches no pods")
    if not any(o["kind"] == "PodDisruptionBudget" and _selects(o["spec"]["selector"],
                                                               workloads["replay"].labels)
               for o in objects if "replay" in workloads):
        errors.append("replay: no PodDisruptionBudget protects the shards")
    _check_network(workloads, [o for o in objects if o["kind"] == "NetworkPolicy"], errors)
    _check_monitors(objects, workloads, services, errors)
    return errors
