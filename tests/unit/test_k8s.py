"""deploy/k8s/: every manifest is valid Kubernetes (kubernetes-validate, strict) and says what the cluster needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot import ROOT

K8S = ROOT / "deploy" / "k8s"
VERSION = "1.28"
SECRET_KEYS = {"KEUZESPIEGEL_ADVISOR_TOKEN", "KEUZESPIEGEL_DB_URL", "KEUZESPIEGEL_REDIS_URL"}


def documents() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path, doc))
    return found


DOCS = documents()


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in DOCS if doc["kind"] == kind}


@pytest.mark.parametrize(
    "doc", [doc for _, doc in DOCS], ids=[f"{path.name}:{doc['kind']}/{doc['metadata']['name']}" for path, doc in DOCS]
)
def test_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, VERSION, strict=True)


def test_validation_catches_a_mistake() -> None:
    deployment = next(doc for _, doc in DOCS if doc["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = [5005]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


def test_the_three_deployments_have_probes_and_resource_requests() -> None:
    deployments = by_kind("Deployment")
    assert set(deployments) == {"keuzespiegel-rasa", "keuzespiegel-actions", "keuzespiegel-web"}
    for name, deployment in deployments.items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "readinessProbe" in container, name
            requests = container["resources"]["requests"]
            assert requests.get("cpu") and requests.get("memory"), name
            assert container["resources"]["limits"].get("memory"), name


def test_every_deployment_has_a_service_that_selects_it() -> None:
    services = by_kind("Service")
    for name, deployment in by_kind("Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert name in services, f"no Service for {name}"
        selector = services[name]["spec"]["selector"]
        assert selector.items() <= labels.items(), name
        ports = {p["containerPort"] for c in deployment["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        assert {p["port"] for p in services[name]["spec"]["ports"]} <= ports, name


def test_rasa_scales_with_a_horizontal_pod_autoscaler() -> None:
    (hpa,) = by_kind("HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "keuzespiegel-rasa"}
    assert hpa["spec"]["minReplicas"] >= 2


def test_secrets_and_settings_are_the_ones_bot_settings_reads() -> None:
    (secret,) = by_kind("Secret").values()
    assert set(secret["stringData"]) == SECRET_KEYS
    assert all("REPLACE" in value for value in secret["stringData"].values()), "no real secret in the repository"
    (configmap,) = by_kind("ConfigMap").values()
    assert not SECRET_KEYS & set(configmap["data"])
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8") + (ROOT / "endpoints.yml").read_text(
        encoding="utf-8"
    )
    rasa_own = {"RASA_TELEMETRY_ENABLED", "SQLALCHEMY_SILENCE_UBER_WARNING", "TF_CPP_MIN_LOG_LEVEL", "SANIC_WORKERS"}
    for key in set(configmap["data"]) | set(secret["stringData"]):
        assert key in rasa_own or re.search(rf"\b{key}\b", source), f"{key} is read nowhere"


def test_rasa_pods_use_the_cluster_endpoints_with_the_redis_lock_store() -> None:
    rasa = by_kind("Deployment")["keuzespiegel-rasa"]["spec"]["template"]["spec"]["containers"][0]
    endpoints_file = rasa["command"][rasa["command"].index("--endpoints") + 1]
    endpoints = yaml.safe_load((ROOT / endpoints_file).read_text(encoding="utf-8"))
    assert endpoints["lock_store"]["type"] == "bot.plugins.lock_store.ConfiguredRedisLockStore"
    assert endpoints["tracker_store"]["type"] == "bot.plugins.tracker_store.ConfiguredSQLTrackerStore"
    assert {"secretRef": {"name": "keuzespiegel"}} in rasa["envFrom"]


def test_every_path_the_image_copies_exists() -> None:
    """The image is built from deploy/Dockerfile: a COPY of a file that moved (domain.yml became domain/) fails."""
    sources = []
    for line in (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            sources += line.split()[1:-1]
    assert "domain" in sources
    missing = [source for source in sources if not (ROOT / source).exists()]
    assert not missing, missing
