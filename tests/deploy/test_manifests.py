"""deploy/k8s renders with kustomize, every object validates strictly against the Kubernetes
schemas, and what a schema cannot see holds: ports and settings are the ones the components read
(services/common/settings.py), every component has probes, resources, a locked-down security
context, a PodDisruptionBudget when it runs more than one replica, a NetworkPolicy, and a grace
period longer than its drain."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from services.common import settings as settings_mod

from .conftest import loader_env_names

# Standard OpenTelemetry SDK variables (SPEC §10); the components read no other OTEL_* names.
OTEL_NAMES = {"OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
              "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_SDK_DISABLED",
              "OTEL_RESOURCE_ATTRIBUTES", "OTEL_PYTHON_GRPC_EXCLUDED_SERVICES"}
SECRET_SOURCED = {"DATABASE_URL", "REDIS_URL", "SWITCHBOARD_JWT_SECRET", "SWITCHBOARD_JWT_PUBLIC_KEY"}
SECRET_NAME = "switchboard-secrets"
SERVICES = list(settings_mod.PORTS)
COMPONENTS = ["gateway", *SERVICES, "job-worker"]
START = {"gateway": ["python", "-m", "gateway"], "job-worker": ["python", "-m", "services.jobs.worker"],
         **{s: ["python", "-m", f"services.{s}"] for s in SERVICES}}
# Kubernetes versions to validate against: kubectl's own minor, and the newest the validator knows.
K8S_VERSIONS = ["1.29.0", kubernetes_validate.latest_version()]


# --- helpers ----------------------------------------------------------------------------------

def of_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def named(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in of_kind(objs, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def deployment(objs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    found = [o for o in of_kind(objs, "Deployment")
             if o["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == component]
    assert len(found) == 1, f"expected one Deployment for component {component}, found {len(found)}"
    return found[0]


def container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: one container per pod"
    return containers[0]


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels + matchExpressions)."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def container_env(objs: list[dict[str, Any]], c: dict[str, Any]) -> dict[str, str]:
    """The environment the container starts with; a secret reference becomes a placeholder."""
    env: dict[str, str] = {}
    for src in c.get("envFrom", []):
        assert set(src) == {"configMapRef"}, f"{c['name']}: envFrom only from the settings ConfigMap: {src}"
        env.update(named(objs, "ConfigMap", src["configMapRef"]["name"]).get("data", {}))
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = f"<secret {ref['name']}/{ref['key']}>"
    return env


def workloads(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return of_kind(objs, "Deployment") + of_kind(objs, "Job")


def min_replicas(objs: list[dict[str, Any]], dep: dict[str, Any]) -> int:
    hpas = [h for h in of_kind(objs, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["kind"] == "Deployment"
            and h["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]]
    if hpas:
        return int(hpas[0]["spec"].get("minReplicas", 1))
    return int(dep["spec"].get("replicas", 1))


def gateway_settings(objects: list[dict[str, Any]]) -> settings_mod.Settings:
    return settings_mod.load(container_env(objects, container(deployment(objects, "gateway"))))


def overlay_env(overlay: str) -> str:
    return overlay  # the dev overlay runs SWITCHBOARD_ENV=dev, prod runs prod


# --- schema -----------------------------------------------------------------------------------

@pytest.mark.parametrize("k8s_version", K8S_VERSIONS)
def test_every_rendered_object_validates_strictly(objects: list[dict[str, Any]], k8s_version: str) -> None:
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "ConfigMap", "NetworkPolicy", "HorizontalPodAutoscaler", "Job"} <= kinds
    errors = []
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, k8s_version, strict=True)
        except jsonschema.ValidationError as exc:  # kubernetes_validate's subclass, or the original
            errors.append(f"{where} at /{'/'.join(str(p) for p in exc.absolute_path)}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: no schema for this kind in Kubernetes {k8s_version} ({exc})")
    assert not errors, f"Kubernetes {k8s_version} --strict:\n" + "\n".join(errors)


def test_strict_validation_rejects_an_unknown_field(objects: list[dict[str, Any]]) -> None:
    bad = copy.deepcopy(deployment(objects, "gateway"))
    bad["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"grpc": {"port": 1}}
    with pytest.raises(jsonschema.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(bad, K8S_VERSIONS[-1], strict=True)


# --- settings and secrets ---------------------------------------------------------------------

def test_settings_configmap_carries_every_setting(objects: list[dict[str, Any]], overlay: str) -> None:
    names = loader_env_names()
    [cm] = of_kind(objects, "ConfigMap")
    data = cm["data"]
    assert not set(data) - names, f"ConfigMap keys no component reads: {sorted(set(data) - names)}"
    missing = names - SECRET_SOURCED - set(data)
    assert not missing, f"settings missing from the ConfigMap: {sorted(missing)}"
    assert not set(data) & SECRET_SOURCED, "secrets belong in switchboard-secrets, not the ConfigMap"
    s = gateway_settings(objects)
    assert s.bind_host == "0.0.0.0"
    assert s.env == overlay_env(overlay)
    defaults = settings_mod.Settings()
    # The ConfigMap states the documented defaults (overlays change replicas and keys, not tunables).
    for f in ("rate_limit_per_min", "rate_limit_high_risk_per_min", "idempotency_ttl_s", "idempotency_lease_s",
              "breaker_fail_max", "breaker_reset_s", "ssot_ttl_s", "rpc_timeout_ms", "drain_s",
              "gateway_port", "ports", "ws_queue_max", "events_claim_idle_ms", "worker_concurrency"):
        assert getattr(s, f) == getattr(defaults, f), f


def test_secrets_by_reference_only(objects: list[dict[str, Any]], overlay: str) -> None:
    assert not of_kind(objects, "Secret"), "no Secret objects in the repository"
    for w in workloads(objects):
        c = container(w)
        for e in c.get("env", []):
            if e["name"] in SECRET_SOURCED:
                assert "value" not in e, f"{w['metadata']['name']}: {e['name']} must come from a Secret"
                ref = e["valueFrom"]["secretKeyRef"]
                assert ref == {"name": SECRET_NAME, "key": e["name"]}, ref
        env = container_env(objects, c)
        assert env["DATABASE_URL"].startswith("<secret") and env["REDIS_URL"].startswith("<secret")
        if overlay == "prod":
            assert env["SWITCHBOARD_JWT_PUBLIC_KEY"].startswith("<secret"), w["metadata"]["name"]
            assert "SWITCHBOARD_JWT_SECRET" not in env, "prod verifies RS256 only"
    gw_env = container_env(objects, container(deployment(objects, "gateway")))
    assert "SWITCHBOARD_JWT_PUBLIC_KEY" in gw_env if overlay == "prod" else "SWITCHBOARD_JWT_SECRET" in gw_env


def test_every_env_var_is_one_the_components_read(objects: list[dict[str, Any]]) -> None:
    names = loader_env_names() | OTEL_NAMES
    for w in workloads(objects):
        c = container(w)
        env = container_env(objects, c)
        unknown = set(env) - names
        assert not unknown, f"{w['metadata']['name']}: env vars nothing reads: {sorted(unknown)}"
        # Each container's settings load: prod refuses to start without a key, bad numbers fail here.
        settings_mod.load(env)
        component = w["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
        assert env["OTEL_SERVICE_NAME"] == component


# --- ports ------------------------------------------------------------------------------------

def test_ports_probes_and_addresses_match_the_settings(objects: list[dict[str, Any]]) -> None:
    services = {o["metadata"]["name"]: o for o in of_kind(objects, "Service")}
    for component in COMPONENTS:
        dep = deployment(objects, component)
        c = container(dep)
        s = settings_mod.load(container_env(objects, c))
        assert c["command"] == START[component], component
        ports = c.get("ports", [])
        if component == "job-worker":
            assert not ports, "the job worker listens on nothing"
            assert not [v for v in services.values()
                        if matches({"matchLabels": v["spec"]["selector"]}, dep["spec"]["template"]["metadata"]["labels"])]
            continue
        want = s.gateway_port if component == "gateway" else s.port(component)
        assert [p["containerPort"] for p in ports] == [want], component
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            p = c[probe]
            if component == "gateway":
                assert p["httpGet"]["port"] == want, (component, probe)
            else:
                assert p["grpc"]["port"] == want, (component, probe)
        # Exactly one Service selects the component, and it forwards to the container's port.
        svc = [v for v in services.values()
               if matches({"matchLabels": v["spec"]["selector"]}, dep["spec"]["template"]["metadata"]["labels"])]
        assert len(svc) == 1, component
        [sp] = svc[0]["spec"]["ports"]
        target = sp["targetPort"]
        if isinstance(target, str):
            target = next(p["containerPort"] for p in ports if p.get("name") == target)
        assert sp["port"] == want and target == want, component
    # Every <SERVICE>_ADDR names a Service that reaches that service's pods on its port.
    s = gateway_settings(objects)
    for svc_name in SERVICES:
        host, _, port = s.addr(svc_name).rpartition(":")
        assert host in services, f"{svc_name.upper()}_ADDR={s.addr(svc_name)}: no Service {host!r}"
        target = services[host]
        assert matches({"matchLabels": target["spec"]["selector"]},
                       deployment(objects, svc_name)["spec"]["template"]["metadata"]["labels"])
        assert int(port) == s.port(svc_name) == target["spec"]["ports"][0]["port"]


def test_gateway_probes_are_readyz_and_healthz(objects: list[dict[str, Any]]) -> None:
    c = container(deployment(objects, "gateway"))
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"


# --- every component --------------------------------------------------------------------------

def test_every_workload_has_probes_resources_and_a_locked_down_context(objects: list[dict[str, Any]]) -> None:
    comps = {w["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] for w in workloads(objects)}
    assert comps == {*COMPONENTS, "migrate"}
    for w in workloads(objects):
        name = w["metadata"]["name"]
        pod = w["spec"]["template"]["spec"]
        c = container(w)
        if w["kind"] == "Deployment":
            assert c.get("readinessProbe") and c.get("livenessProbe"), f"{name}: readiness and liveness probes"
        else:
            assert c["command"] == ["switchboard", "migrate"]
        res = c["resources"]
        assert {"cpu", "memory"} <= set(res["requests"]) and "memory" in res["limits"], name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod.get("automountServiceAccountToken") is False, name
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["allowPrivilegeEscalation"] is False, name
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["capabilities"]["drop"] == ["ALL"] and not sc["capabilities"].get("add"), name
        assert "privileged" not in sc or sc["privileged"] is False, name
        tmp = [m for m in c["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert tmp, f"{name}: a writable /tmp"
        vol = next(v for v in pod["volumes"] if v["name"] == tmp[0]["name"])
        assert "emptyDir" in vol, name


def test_pdb_where_more_than_one_replica(objects: list[dict[str, Any]], overlay: str) -> None:
    pdbs = of_kind(objects, "PodDisruptionBudget")
    for component in COMPONENTS:
        dep = deployment(objects, component)
        labels = dep["spec"]["template"]["metadata"]["labels"]
        n = min_replicas(objects, dep)
        mine = [p for p in pdbs if matches(p["spec"]["selector"], labels)]
        if n > 1:
            assert len(mine) == 1, f"{component}: {n} replicas and {len(mine)} PodDisruptionBudgets"
            spec = mine[0]["spec"]
            # It must allow a voluntary eviction, or node drains hang.
            assert spec.get("maxUnavailable", 0) >= 1 or int(spec.get("minAvailable", n)) < n, component
    if overlay == "prod":
        assert all(min_replicas(objects, deployment(objects, c)) >= 3 for c in COMPONENTS)


def test_hpa_for_gateway_and_job_workers(objects: list[dict[str, Any]]) -> None:
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")}
    for component in ("gateway", "job-worker"):
        dep = deployment(objects, component)
        h = hpas[dep["metadata"]["name"]]
        assert h["apiVersion"] == "autoscaling/v2"
        assert h["spec"]["maxReplicas"] > h["spec"]["minReplicas"] >= 1
        # The HPA owns the count: a replicas field would fight it on every apply.
        assert "replicas" not in dep["spec"], component


def test_grace_period_exceeds_the_drain(objects: list[dict[str, Any]]) -> None:
    for component in COMPONENTS:
        dep = deployment(objects, component)
        c = container(dep)
        drain = settings_mod.load(container_env(objects, c)).drain_s
        pre = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        pre_s = int(pre[1]) if pre[:1] == ["sleep"] else 0
        grace = dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > drain + pre_s, f"{component}: grace {grace}s <= drain {drain}s + preStop {pre_s}s"


def test_gateway_spreads_across_zones_and_nodes(objects: list[dict[str, Any]]) -> None:
    dep = deployment(objects, "gateway")
    tsc = dep["spec"]["template"]["spec"]["topologySpreadConstraints"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert {t["topologyKey"] for t in tsc} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert all(matches(t["labelSelector"], labels) for t in tsc)


# --- network policies -------------------------------------------------------------------------

OUTSIDE = {"namespace": "elsewhere", "labels": {"app": "somebody"}}


def _peer_matches(peer: dict[str, Any], src: dict[str, Any]) -> bool:
    if "ipBlock" in peer:
        return src["namespace"] is None  # an address outside the cluster
    if src["namespace"] is None:
        return False
    if "namespaceSelector" in peer:
        ns_ok = src["namespace"] == "elsewhere" and matches(peer["namespaceSelector"], {}) or \
            src["namespace"] == "own" and matches(peer["namespaceSelector"], {})
        if not ns_ok:
            return False
    elif src["namespace"] != "own":
        return False
    return matches(peer.get("podSelector") or {}, src["labels"])


def _port_matches(rules: list[dict[str, Any]] | None, port: int) -> bool:
    if not rules:
        return True
    for r in rules:
        if r.get("protocol", "TCP") != "TCP":
            continue
        if "port" not in r:
            return True
        lo = r["port"]
        if lo == port or lo <= port <= r.get("endPort", lo):
            return True
    return False


def _allowed(policies: list[dict[str, Any]], direction: str, pod: dict[str, Any], peer: dict[str, Any],
             port: int) -> bool:
    """Does the policy set let `pod` receive from (Ingress) or send to (Egress) `peer` on `port`?"""
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [p for p in policies if direction in p["spec"].get("policyTypes", ["Ingress"])
                 and matches(p["spec"]["podSelector"], pod["labels"])]
    if not selecting:
        return True
    for p in selecting:
        for rule in p["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if (not peers or any(_peer_matches(x, peer) for x in peers)) and _port_matches(rule.get("ports"), port):
                return True
    return False


def test_network_policies(objects: list[dict[str, Any]]) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    pods = {w["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]:
            {"namespace": "own", "labels": w["spec"]["template"]["metadata"]["labels"]} for w in workloads(objects)}
    for comp, pod in pods.items():
        assert any(matches(p["spec"]["podSelector"], pod["labels"]) for p in policies), f"{comp}: no NetworkPolicy"

    s = gateway_settings(objects)
    external: dict[str, Any] = {"namespace": None, "labels": {}}

    def connect(src: str | None, dst: str, port: int) -> bool:
        source = OUTSIDE if src is None else pods[src]
        out_ok = src is None or _allowed(policies, "Egress", pods[src], pods[dst], port)
        return out_ok and _allowed(policies, "Ingress", pods[dst], source, port)

    # Only the gateway is reachable from outside.
    assert connect(None, "gateway", s.gateway_port)
    for svc in SERVICES:
        port = s.port(svc)
        assert not connect(None, svc, port), f"{svc} reachable from outside"
        assert connect("gateway", svc, port), f"gateway cannot reach {svc}"
        for sib in SERVICES:
            if sib != svc:
                assert connect(sib, svc, port), f"{sib} cannot reach {svc}"
        assert connect("job-worker", svc, port) == (svc == "queue"), f"job-worker -> {svc}"
        assert not connect("migrate", svc, port), f"migration Job reaches {svc}"
    for comp, pod in pods.items():
        if comp != "gateway":
            for port in (s.gateway_port, *s.ports.values()):
                assert not connect(None, comp, port), f"{comp}:{port} reachable from outside"
        # Every component reaches PostgreSQL and Redis (wherever they run) and DNS.
        for port in (5432, 6379):
            assert _allowed(policies, "Egress", pod, external, port), f"{comp} -> :{port}"
        assert _allowed(policies, "Egress", pod, external, 53), f"{comp} -> DNS"
    assert not connect("gateway", "job-worker", 8000)
