"""The Helm chart, rendered with Helm's own code (helm-python-sdk) and checked
offline: lint, Kubernetes schemas, the settings every service reads
(kit.settings.SETTINGS, the list `make run` uses too), object consistency, the
NetworkPolicy flows, and the values schema refusing bad values.

No cluster and no helm binary are needed; the bundled charts (PostgreSQL,
RabbitMQ, InfluxDB 2) are not downloaded here, so what they render is not
checked, only how the services are wired to them.
"""
import importlib.util
import os
from pathlib import Path

import pytest
import yaml

helm = pytest.importorskip("helm_python")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

from kit.settings import SETTINGS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "smartcity"
RELEASE, NAMESPACE = "smartcity", "smartcity"
# Oldest: native gRPC probes are GA from 1.27 (Chart.yaml kubeVersion); newest we support.
KUBERNETES_VERSIONS = ("1.27.0", "1.35.0")
PROFILES = ("values.yaml", "values-production.yaml", "values-minimal.yaml")
MISSING_DEPENDENCIES = "chart directory is missing these dependencies"
# Set by the chart from the Deployment itself, not from the ConfigMap or Secret.
EXPLICIT_ENV = {"SERVICE_NAME", "GRPC_PORT", "HTTP_PORT"}
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


def profile_values(profile: str) -> dict:
    return {} if profile == "values.yaml" else yaml.safe_load((CHART / profile).read_text())


def render(values: dict | None = None) -> list[dict]:
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(chart.merge_values(values or {}))
        rendered = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE)
    return [doc for name, text in sorted(rendered.items()) if not name.endswith("NOTES.txt")
            for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="module", params=PROFILES)
def profile(request):
    values = profile_values(request.param)
    with helm.Chart.load(CHART) as chart:
        merged = chart.merge_values(values)
    return request.param, merged, render(values)


def objects(manifests, kind):
    return [m for m in manifests if m["kind"] == kind]


def by_name(manifests, kind):
    return {m["metadata"]["name"]: m for m in objects(manifests, kind)}


def enabled_services(merged: dict) -> dict:
    return {name: svc for name, svc in merged["services"].items() if svc["enabled"]}


def workload(manifests, service):
    return next(m for m in manifests if m["kind"] in WORKLOAD_KINDS
                and m["metadata"]["name"] == f"{RELEASE}-{service}")


def selects(selector: dict, labels: dict) -> bool:
    """matchLabels only: the chart uses no matchExpressions."""
    assert set(selector) <= {"matchLabels"}, selector
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


# Helm --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PROFILES)
def test_strict_lint_is_clean(name):
    report = helm.lint(CHART, profile_values(name), strict=True, namespace=NAMESPACE)
    # The bundled charts come from `helm dependency update`, which cannot run here.
    problems = [m for m in report["messages"] if MISSING_DEPENDENCIES not in m["error"]]
    assert problems == []


# Kubernetes schemas --------------------------------------------------------------------
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_kubernetes(profile, version):
    _, _, manifests = profile
    for manifest in manifests:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']} on {version}: "
                        f"{error.message} at {list(error.path)}")


# Settings ------------------------------------------------------------------------------------
def settings_of(service: str) -> set[str]:
    return {s.name for s in SETTINGS if not s.services or service in s.services}


SECRET_SETTINGS = {s.name for s in SETTINGS if s.secret}


def rendered_env(manifests, service) -> tuple[set[str], set[str] | None]:
    """(names from explicit env and the ConfigMap, names from the chart's Secret —
    None when the Secret is an existing one)."""
    container = workload(manifests, service)["spec"]["template"]["spec"]["containers"][0]
    names = {e["name"] for e in container.get("env", [])}
    secret_names = None
    for source in container["envFrom"]:
        if "configMapRef" in source:
            names |= set(by_name(manifests, "ConfigMap")[source["configMapRef"]["name"]]["data"])
        else:
            secret = by_name(manifests, "Secret").get(source["secretRef"]["name"])
            if secret is not None:
                secret_names = set(secret["stringData"])
    return names, secret_names


def test_the_chart_sets_exactly_the_settings_each_service_reads(profile):
    _, merged, manifests = profile
    for service, svc in enabled_services(merged).items():
        expected = settings_of(service)
        plain, secret = rendered_env(manifests, service)
        assert not plain & SECRET_SETTINGS, f"{service}: secrets outside the Secret"
        if secret is None:   # existingSecret: it must hold every secret setting, nothing else
            assert svc["existingSecret"]
            missing = expected - plain
            assert missing <= SECRET_SETTINGS, f"{service}: not set: {sorted(missing - SECRET_SETTINGS)}"
            assert plain <= expected, f"{service}: not read: {sorted(plain - expected)}"
            continue
        assert secret <= SECRET_SETTINGS, f"{service}: non-secret in Secret: {sorted(secret - SECRET_SETTINGS)}"
        actual = plain | secret
        assert actual == expected, (f"{service}: set but not read: {sorted(actual - expected)}; "
                                    f"read but not set: {sorted(expected - actual)}")


def load_local_run():
    spec = importlib.util.spec_from_file_location("local_run", ROOT / "deploy/local/run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_run_sets_only_settings(monkeypatch, tmp_path):
    run = load_local_run()
    monkeypatch.setattr(os, "environ", {})   # only what run.py adds itself
    services = run.discover_services(50051)
    secrets = {name: "s" for name in run.machine_names(services)}
    known = {s.name for s in SETTINGS}
    for service in services:
        env = run.service_env(service, services[0].target, "amqp://x", tmp_path, secrets)
        assert set(env) <= settings_of(service.name), \
            f"{service.name}: {sorted(set(env) - known)} not in kit.settings"


def test_bundled_dependencies_are_wired_to_their_services():
    manifests = render()   # default values: every bundled chart enabled
    secrets, configs = by_name(manifests, "Secret"), by_name(manifests, "ConfigMap")
    identity, sensors = secrets[f"{RELEASE}-identity"]["stringData"], secrets[f"{RELEASE}-sensors"]["stringData"]
    assert "@smartcity-postgresql:5432/smartcity" in identity["EVENT_STORE_URL"]
    assert "@smartcity-rabbitmq:5672/" in sensors["AMQP_URI"]
    assert configs[f"{RELEASE}-sensors"]["data"]["INFLUX_URL"] == "http://smartcity-influxdb2:80"
    assert sensors["INFLUX_TOKEN"] == "smartcity-dev-change-me"
    assert configs[f"{RELEASE}-alerts"]["data"]["IDENTITY_GRPC_TARGET"] == "smartcity-identity:50051"


def test_external_endpoints_replace_the_bundled_ones():
    values = {"postgresql": {"enabled": False}, "rabbitmq": {"enabled": False},
              "influxdb2": {"enabled": False},
              "external": {"postgresql": {"url": "postgresql://u:p@db.example:5432/city"},
                           "rabbitmq": {"uri": "amqps://u:p@mq.example:5671/city", "port": 5671},
                           "influxdb": {"url": "https://influx.example:8086", "token": "t"}}}
    manifests = render(values)
    secret = by_name(manifests, "Secret")[f"{RELEASE}-sensors"]["stringData"]
    assert secret["EVENT_STORE_URL"] == "postgresql://u:p@db.example:5432/city"
    assert secret["AMQP_URI"] == "amqps://u:p@mq.example:5671/city"
    assert secret["INFLUX_TOKEN"] == "t"
    assert by_name(manifests, "ConfigMap")[f"{RELEASE}-sensors"]["data"]["INFLUX_URL"] == \
        "https://influx.example:8086"
    egress_ports = {p["port"] for rule in by_name(manifests, "NetworkPolicy")[f"{RELEASE}-sensors"]
                    ["spec"]["egress"] for p in rule.get("ports", [])}
    assert {5432, 5671, 8086} <= egress_ports


def test_identity_accepts_each_service_machine_secret():
    import hashlib
    manifests = render(profile_values("values-minimal.yaml"))
    credentials = by_name(manifests, "Secret")[f"{RELEASE}-identity"]["stringData"]["MACHINE_CREDENTIALS"]
    entries = dict(entry.split("=", 1) for entry in credentials.split(","))
    assert entries["sensors"] == hashlib.sha256(b"minimal-dev-sensors").hexdigest()
    assert entries["fleet-loader"].endswith("+ioc_operator")


# Consistency -----------------------------------------------------------------------------------
def test_objects_fit_together(profile):
    _, merged, manifests = profile
    workloads = [m for m in manifests if m["kind"] in WORKLOAD_KINDS]
    pod_labels = [w["spec"]["template"]["metadata"]["labels"] for w in workloads]
    for w in workloads:
        pod = w["spec"]["template"]
        assert selects(w["spec"]["selector"], pod["metadata"]["labels"])
        containers = pod["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for c in containers for p in c.get("ports", [])}
        for c in containers:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe in c:
                    assert c[probe]["grpc"]["port"] in ports.values(), (w["metadata"]["name"], probe)
        service_name = w["metadata"]["name"].removeprefix(f"{RELEASE}-")
        if service_name in merged["services"]:
            probes = {p: containers[0][p]["grpc"].get("service", "")
                      for p in ("livenessProbe", "readinessProbe")}
            assert probes == {"livenessProbe": "liveness", "readinessProbe": ""}
        assert pod["spec"]["serviceAccountName"] in by_name(manifests, "ServiceAccount")
    for service in objects(manifests, "Service"):
        matching = [w for w in workloads if selects({"matchLabels": service["spec"]["selector"]},
                                                   w["spec"]["template"]["metadata"]["labels"])]
        assert len(matching) == 1, service["metadata"]["name"]
        names = {p["name"] for c in matching[0]["spec"]["template"]["spec"]["containers"]
                 for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= names
    for hpa in objects(manifests, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert target["name"] in by_name(manifests, target["kind"]), hpa["metadata"]["name"]
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    for pdb in objects(manifests, "PodDisruptionBudget"):
        assert sum(selects(pdb["spec"]["selector"], labels) for labels in pod_labels) == 1
    for policy in objects(manifests, "NetworkPolicy"):
        assert any(selects(policy["spec"]["podSelector"], labels) for labels in pod_labels)
    for name in enabled_services(merged):
        assert workload(manifests, name)
    reports = by_name(manifests, "Service").get(f"{RELEASE}-reports")
    if reports:
        assert {p["name"] for p in reports["spec"]["ports"]} == {"grpc", "http"}


def test_the_sensors_spool_survives_restarts():
    manifests = render()
    sensors = workload(manifests, "sensors")
    assert sensors["kind"] == "StatefulSet"
    claim = sensors["spec"]["volumeClaimTemplates"][0]
    mounts = sensors["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/app/var"} in mounts
    spool = by_name(manifests, "ConfigMap")[f"{RELEASE}-sensors"]["data"]["SENSORS_SPOOL_FILE"]
    assert spool.startswith("var/")   # relative to /app, the image's working directory


# NetworkPolicy flows ---------------------------------------------------------------------------
class Pod:
    def __init__(self, labels, namespace=NAMESPACE, namespace_labels=None):
        self.labels = labels
        self.namespace = namespace
        self.namespace_labels = namespace_labels or {"kubernetes.io/metadata.name": namespace}


def peer_matches(peer: dict, pod: Pod, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        return False   # pods are not matched by address here
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], pod.namespace_labels):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return selects(peer.get("podSelector", {}), pod.labels)


def rule_allows(rule: dict, direction: str, peer: Pod, port: int, protocol="TCP") -> bool:
    peers = rule.get(direction)
    if peers and not any(peer_matches(p, peer, NAMESPACE) for p in peers):
        return False
    ports = rule.get("ports")
    return not ports or any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in ports)


def allowed(policies, source: Pod, destination: Pod, port: int, protocol="TCP") -> bool:
    """Kubernetes' semantics: a pod selected by a policy of a direction admits only what
    one of those policies' rules allows; unselected pods admit everything."""
    def direction_allows(pod, policy_type, direction, other):
        selecting = [p for p in policies if p["metadata"].get("namespace", NAMESPACE) == pod.namespace
                     and selects(p["spec"]["podSelector"], pod.labels)
                     and policy_type in p["spec"]["policyTypes"]]
        return not selecting or any(rule_allows(r, direction, other, port, protocol)
                                    for p in selecting for r in p["spec"].get(policy_type.lower(), []))
    return (direction_allows(source, "Egress", "to", destination)
            and direction_allows(destination, "Ingress", "from", source))


def component(name):
    return Pod({"app.kubernetes.io/name": "smartcity", "app.kubernetes.io/instance": RELEASE,
                "app.kubernetes.io/component": name})


def bundled(chart):
    return Pod({"app.kubernetes.io/name": chart, "app.kubernetes.io/instance": RELEASE})


DNS = Pod({"k8s-app": "kube-dns"}, namespace="kube-system")
INGRESS_CONTROLLER = Pod({"app.kubernetes.io/name": "ingress-nginx"}, namespace="ingress-nginx")
STRANGER = Pod({"app": "something-else"})


def test_network_policies_let_the_platform_flows_through_and_nothing_else():
    manifests = render({"simulator": {"enabled": True, "clientSecret": "g",
                                      "operatorClientSecret": "o"}})
    policies = objects(manifests, "NetworkPolicy")
    services = ("identity", "reports", "sensors", "alerts", "marketplace")
    grpc = 50051
    flows = [(component(s), component("identity"), grpc) for s in services if s != "identity"]
    flows += [(component(s), bundled("rabbitmq"), 5672) for s in services if s != "identity"]
    flows += [(component(s), bundled("postgresql"), 5432) for s in services]
    flows += [(component("sensors"), bundled("influxdb2"), 8086)]
    flows += [(component("simulator"), component(s), grpc) for s in ("identity", "sensors")]
    flows += [(INGRESS_CONTROLLER, component(s), grpc) for s in services]
    flows += [(INGRESS_CONTROLLER, component("reports"), 8000)]
    for source in [component(s) for s in services + ("simulator",)]:
        assert allowed(policies, source, DNS, 53, "UDP")
    for source, destination, port in flows:
        assert allowed(policies, source, destination, port), (source.labels, destination.labels, port)
    refused = [(component("alerts"), component("sensors"), grpc),       # alerts: events only
               (component("alerts"), bundled("influxdb2"), 8086),
               (component("identity"), bundled("rabbitmq"), 5672),
               (component("simulator"), component("reports"), grpc),
               (STRANGER, component("identity"), grpc),
               (INGRESS_CONTROLLER, component("identity"), 8000)]
    for source, destination, port in refused:
        assert not allowed(policies, source, destination, port), (source.labels, destination.labels, port)


# Values schema -------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, message", [
    ({"services": {"identity": {"replicas": -1}}}, "replicas"),
    ({"services": {"reports": {"replica": 2}}}, "replica"),
    ({"image": {"tag": 123}}, "tag"),
    ({"unknownKey": True}, "unknownKey"),
    ({"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
    ({"services": {"sensors": {"uses": ["mongodb"]}}}, "uses"),
    ({"services": {"sensors": {"grpcPort": 70000}}}, "grpcPort"),
    ({"services": {"alerts": {"config": {"LOG_LEVEL": 10}}}}, "LOG_LEVEL"),
])
def test_the_schema_refuses_bad_values(values, message):
    with helm.Chart.load(CHART) as chart:
        with pytest.raises(helm.HelmValuesError) as refused:
            chart.validate_schema(chart.merge_values(values))
    assert message in str(refused.value)


def test_missing_credentials_are_named():
    with pytest.raises(helm.HelmError, match="external.postgresql.url is required"):
        render({"postgresql": {"enabled": False}})
