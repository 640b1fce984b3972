"""deploy/: the manifests parse and agree with each other and with the app.

No container engine or cluster here: the image is not built and nothing is applied; these checks
catch what a typo would break (probe paths, ports, names, settings the app does not read).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cds_hooks.cli import main as cli
from cds_hooks.cli.gunicorn_config import gunicorn_settings
from cds_hooks.security.jwks import load_trusted_issuers

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# Variables read by `marrow-cds serve` and its gunicorn configuration (cds_hooks/cli/main.py,
# gunicorn_config.py) or by deploy/entrypoint.sh, not by the app's settings.
DEPLOY_ONLY = {
    "MARROW_CDS_WORKERS",
    "MARROW_CDS_THREADS",
    "MARROW_CDS_SKIP_DB_UPGRADE",
    "MARROW_CDS_BIND_HOST",
    "MARROW_CDS_FORWARDED_ALLOW_IPS",
    "MARROW_CDS_GUNICORN_LOG_LEVEL",
}


def manifests() -> dict[str, dict]:
    docs: dict[str, dict] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            assert doc["apiVersion"], path
            assert doc["metadata"]["name"], path
            docs[doc["kind"]] = doc
    return docs


@pytest.fixture(scope="module")
def k8s() -> dict[str, dict]:
    return manifests()


def test_every_manifest_kind_is_there(k8s):
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        "Secret",
        "Job",
        "PodDisruptionBudget",
    } <= set(k8s)


def test_probes_point_at_the_health_endpoints_on_the_named_port(k8s):
    container = k8s["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PORT"] == "8080"


def test_service_targets_the_deployment_pods(k8s):
    service, deployment = k8s["Service"], k8s["Deployment"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_several_replicas_and_autoscaling(k8s):
    hpa = k8s["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == k8s["Deployment"]["metadata"]["name"]
    assert k8s["Deployment"]["spec"]["replicas"] >= 2
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    assert k8s["PodDisruptionBudget"]["spec"]["minAvailable"] < hpa["minReplicas"]


def test_pods_run_unprivileged(k8s):
    for kind in ("Deployment", "Job"):
        pod = k8s[kind]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_secret_holds_the_database_url_and_the_trusted_issuers(k8s, tmp_path):
    secret = k8s["Secret"]["stringData"]
    assert secret["MARROW_CDS_DATABASE_URL"].startswith("postgresql+psycopg://")
    issuers_file = tmp_path / "trusted-issuers.json"
    issuers_file.write_text(secret["trusted-issuers.json"])
    assert load_trusted_issuers(issuers_file)  # the template is a valid issuers file
    # ... mounted where the ConfigMap tells the app to read it
    pod = k8s["Deployment"]["spec"]["template"]["spec"]
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "trust")
    item = next(v for v in pod["volumes"] if v["name"] == "trust")["secret"]["items"][0]
    path = k8s["ConfigMap"]["data"]["MARROW_CDS_TRUSTED_ISSUERS"]
    assert path == f"{mount['mountPath']}/{item['path']}"


def test_configmap_sets_only_variables_the_service_reads(k8s):
    settings_source = (ROOT / "cds_hooks" / "settings.py").read_text()
    read = {f"MARROW_CDS_{name}" for name in re.findall(r'_\w+\(env, "([A-Z_]+)"', settings_source)}
    for name in k8s["ConfigMap"]["data"]:
        assert name in read or name in DEPLOY_ONLY, f"{name} is read by nobody"
    assert k8s["ConfigMap"]["data"]["MARROW_CDS_REQUIRE_JWT"] == "1"


def test_the_container_serves_with_the_one_gunicorn_configuration(monkeypatch):
    """The container runs `marrow-cds serve`; its sizing comes from the variables the ConfigMap
    sets, read as the defaults of the command's options."""
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text()
    assert 'exec marrow-cds serve "$@"' in entrypoint
    assert "gunicorn --config" not in entrypoint
    for name, value in {
        "PORT": "9090",
        "MARROW_CDS_BIND_HOST": "0.0.0.0",
        "MARROW_CDS_WORKERS": "3",
        "MARROW_CDS_THREADS": "8",
    }.items():
        monkeypatch.setenv(name, value)
    args = cli.parser().parse_args(["serve"])
    config = gunicorn_settings(args.host, args.port, args.workers, args.threads)
    assert config["bind"] == "0.0.0.0:9090"
    assert (config["workers"], config["threads"]) == (3, 8)
    assert config["timeout"] > 0
    assert config["accesslog"] is None  # the app's redacting request log is the access log


def test_container_runs_as_non_root_and_migrates_first():
    containerfile = (ROOT / "deploy" / "Containerfile").read_text()
    assert "FROM python:3.11-slim" in containerfile
    user = re.findall(r"^USER (\S+)", containerfile, flags=re.M)
    assert user
    assert not user[-1].startswith(("0", "root"))
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text()
    assert entrypoint.index("marrow-cds db upgrade") < entrypoint.index("exec marrow-cds serve")


def test_sandbox_issuers_example_trusts_the_sandbox_key():
    issuers = load_trusted_issuers(ROOT / "examples" / "trusted-issuers.sandbox.json")
    sandbox = issuers["https://sandbox.cds-hooks.org"]
    assert sandbox.jwks_url == "https://sandbox.cds-hooks.org/.well-known/jwks.json"
    assert list(sandbox.inline_keys) == ["44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"]


def test_containers_get_every_secret_the_settings_need(k8s):
    """Read-only root filesystem: without the hash key the app would try to write a key file."""
    for kind in ("Deployment", "Job"):
        container = k8s[kind]["spec"]["template"]["spec"]["containers"][0]
        names = {e["name"] for e in container.get("env", [])}
        assert {"MARROW_CDS_DATABASE_URL", "MARROW_CDS_PATIENT_HASH_KEY"} <= names, kind


# Worst case of one hook call in memory, measured (deploy/README.md "Sizing"): parsed JSON takes
# up to ~8x its size on the wire; a worker at rest is ~120 MiB, the gunicorn master ~40 MiB.
BYTES_IN_MEMORY_PER_BYTE_READ = 8
WORKER_AT_REST_MIB = 120
MASTER_MIB = 40


def _mebibytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


def test_pod_memory_limit_holds_every_evaluation_slot_at_its_byte_caps(k8s, tmp_path):
    from cds_hooks.settings import Settings

    config = k8s["ConfigMap"]["data"]
    settings = Settings.from_env(
        {**config, "MARROW_CDS_PATIENT_HASH_KEY": "k" * 32}, instance_path=tmp_path
    )
    workers, threads = int(config["MARROW_CDS_WORKERS"]), int(config["MARROW_CDS_THREADS"])
    # Only a call holding an evaluation slot reads its body and fetches (cds_hooks/admission.py:
    # the slot is taken before the body is read); the spare threads only answer 503.
    slots = settings.evaluation_slots
    assert slots < threads, "spare threads answer overload at once"
    per_call_mib = (
        (settings.max_body_bytes + settings.fetch_max_total_bytes)
        * BYTES_IN_MEMORY_PER_BYTE_READ
        / 2**20
    )
    worst = MASTER_MIB + workers * (WORKER_AT_REST_MIB + slots * per_call_mib)
    container = k8s["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    limit = _mebibytes(container["resources"]["limits"]["memory"])
    assert worst <= limit * 0.9, (worst, limit)
    assert settings.fetch_max_bytes <= settings.fetch_max_total_bytes


def test_secret_template_hash_key_placeholder_is_refused_at_start_up(k8s, tmp_path):
    from cds_hooks.settings import Settings, SettingsError

    placeholder = k8s["Secret"]["stringData"]["MARROW_CDS_PATIENT_HASH_KEY"]
    env = {
        "MARROW_CDS_PATIENT_HASH_KEY": placeholder,
        "MARROW_CDS_REQUIRE_JWT": "0",
    }
    with pytest.raises(SettingsError, match="placeholder"):
        Settings.from_env(env, instance_path=tmp_path)
    for key in ("REPLACE-ME-with-a-long-random-value", "change-me-0123456789abcdef"):
        with pytest.raises(SettingsError, match="placeholder"):
            Settings.from_env({**env, "MARROW_CDS_PATIENT_HASH_KEY": key}, instance_path=tmp_path)


def test_egress_network_policy_allows_only_dns_https_to_the_ehr_and_postgres(k8s):
    policy = k8s["NetworkPolicy"]
    pod_labels = k8s["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    job_labels = k8s["Job"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= job_labels.items()
    assert policy["spec"]["policyTypes"] == ["Egress"]
    ports = sorted(
        (port["protocol"], port["port"])
        for rule in policy["spec"]["egress"]
        for port in rule["ports"]
    )
    assert ports == [("TCP", 53), ("TCP", 443), ("TCP", 5432), ("UDP", 53)]
    for rule in policy["spec"]["egress"]:
        for peer in rule["to"]:
            if "ipBlock" in peer:  # placeholders from the documentation range, never 0.0.0.0/0
                assert peer["ipBlock"]["cidr"].startswith("192.0.2.")
                assert "except" not in peer["ipBlock"]


def test_container_instance_folder_is_writable_and_matches_the_pod_mount(k8s):
    containerfile = (ROOT / "deploy" / "Containerfile").read_text()
    instance = re.search(r"MARROW_CDS_INSTANCE_PATH=(\S+)", containerfile)
    assert instance is not None
    assert f"install -d -o marrow -g marrow -m 0700 {instance.group(1)}" in containerfile
    mounts = k8s["Deployment"]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "instance", "mountPath": instance.group(1)} in mounts
    run_example = containerfile[containerfile.index("docker run") : containerfile.index("FROM")]
    assert "MARROW_CDS_PUBLIC_BASE_URL=" in run_example  # required: JWTs are on in the image
    assert f":{instance.group(1)}" in run_example
