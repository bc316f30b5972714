"""Unit tests of the operator stage's verify judgement (plugins/plugin_utils/wandb_operator_checks.py)."""

from __future__ import annotations

import copy
from pathlib import Path

from ansible_collections.onprem.wandb.plugins.filter.wandb_operator_checks import wandb_operator_checks
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_operator_checks import platform_env_check
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import render_cr_v1

INPUTS = {
    "cr_name": "wandb", "cr_namespace": "default", "host": "https://wandb.example.com",
    "bucket": {"url": "https://s3.example.com", "name": "wandb", "region": "us-east-1"},
    "bucket_secret": {"name": "wandb-bucket", "access_key_key": "ACCESS_KEY", "secret_key_key": "SECRET_KEY"},
    "mysql": {"host": "10.0.0.5", "port": 3306, "database": "wandb_local", "user": "wandb_local"},
    "mysql_secret": {"name": "wandb-mysql", "key": "password"},
    "redis": {"host": "10.0.0.6", "port": 6379},
    "redis_secret": {"name": "wandb-redis", "key": "password"},
    "license_secret": {"name": "wandb-license", "key": "license"},
}
SECRETS = ["wandb-license", "wandb-bucket", "wandb-mysql", "wandb-redis"]


def reads(version="v1.36.3", phase=None, spec=None, available="True", secrets=None):
    live = render_cr_v1(INPUTS)
    if spec is not None:
        live["spec"] = spec
    if phase:
        live["status"] = {"phase": phase}
    return {
        "cluster": {"version": {"server": {"kubernetes": {"gitVersion": version, "major": "1", "minor": "36"}}}},
        "deployment": {"resources": [{"status": {"conditions": [
            {"type": "Available", "status": available, "message": "1 of 1 ready"}]}}]},
        "resource": {"resources": [live]},
        "secrets": {"resources": [{"metadata": {"name": name}} for name in (SECRETS if secrets is None else secrets)]},
    }


def judge(data, **kwargs):
    return wandb_operator_checks(data, INPUTS, "wandb-operator", "operator-controller-manager", SECRETS, **kwargs)


def statuses(result):
    return {name: check["status"] for name, check in result["checks"].items()}


def test_a_reconciled_resource_on_a_current_cluster_passes():
    result = judge(reads(phase="Completed"))
    assert statuses(result) == dict.fromkeys(["kubernetes", "controller", "resource", "spec", "secrets", "phase"],
                                             "passed")
    assert result["checks"]["kubernetes"]["found"] == "kubernetes 1.36.3"
    assert result["required"] == ["kubernetes", "controller", "resource", "spec", "secrets", "phase"]


def test_no_phase_fails_only_where_required():
    result = judge(reads(), require_completed=False)
    assert result["checks"]["phase"]["status"] == "failed"
    assert "(none: no controller has reconciled it)" in result["checks"]["phase"]["reason"]
    assert "phase" not in result["required"]


def test_drift_missing_secrets_and_unavailable_controller_are_named():
    spec = copy.deepcopy(render_cr_v1(INPUTS)["spec"])
    spec["values"]["global"]["mysql"]["host"] = "10.9.9.9"
    result = judge(reads(spec=spec, available="False", secrets=SECRETS[:2]))
    checks = result["checks"]
    assert checks["spec"]["status"] == "failed"
    assert "spec.values.global.mysql.host: the site declares '10.0.0.5', the resource has '10.9.9.9'" \
        in checks["spec"]["reason"]
    assert checks["secrets"] == {"status": "failed", "reason": "missing in default: wandb-mysql, wandb-redis"}
    assert checks["controller"]["reason"] == \
        "Deployment wandb-operator/operator-controller-manager is not Available: 1 of 1 ready"


def test_missing_resource_and_deployment():
    data = reads()
    data["resource"] = {"resources": [], "msg": "not found"}
    data["deployment"] = {"resources": []}
    checks = judge(data)["checks"]
    assert checks["resource"]["status"] == "failed" and checks["spec"]["status"] == "not_run"
    assert "the operator chart is not installed in wandb-operator" in checks["controller"]["reason"]


def test_kubernetes_version_by_the_policy():
    assert judge(reads(version="v1.33.2"))["checks"]["kubernetes"]["status"] == "failed"
    followed = judge(reads(version="v1.33.2"), follows="1.32")["checks"]["kubernetes"]
    assert followed["status"] == "warn" and "earlier minimum 1.32" in followed["reason"]
    unreadable = judge(dict(reads(), cluster={"failed": True, "msg": "Unauthorized"}))["checks"]["kubernetes"]
    assert unreadable == {"status": "failed", "reason": "cannot read the cluster's version: Unauthorized"}


# --- What the platform chart made (platform, platform_env, ingress) --------------------------

from ansible_collections.onprem.wandb.plugins.filter.wandb_platform_rollout import wandb_platform_rollout  # noqa: E402

HELM = {"meta.helm.sh/release-name": "wandb"}


def deployment(name, env=None, env_from=None, replicas=1, available=1, updated=1, generation=2, observed=2,
               condition="True", release="wandb", running=None):
    return {
        "metadata": {"name": name, "generation": generation, "annotations": {"meta.helm.sh/release-name": release}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [
            {"name": name.split("-")[1], "env": env or [], "envFrom": env_from or []}]}}},
        "status": {"observedGeneration": observed, "updatedReplicas": updated, "availableReplicas": available,
                   "replicas": updated if running is None else running,
                   "conditions": [{"type": "Available", "status": condition, "message": "Deployment has minimum availability."}]},
    }


def secret_ref(name, secret, key):
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


APP_ENV = [
    {"name": "MYSQL_HOST", "value": "10.0.0.5"}, {"name": "MYSQL_PORT", "value": "3306"},
    {"name": "MYSQL_DATABASE", "value": "wandb_local"}, {"name": "MYSQL_USER", "value": "wandb_local"},
    secret_ref("MYSQL_PASSWORD", "wandb-mysql", "password"), secret_ref("REDIS_PASSWORD", "wandb-redis", "password"),
    secret_ref("BUCKET_ACCESS_KEY", "wandb-bucket", "ACCESS_KEY"), secret_ref("BUCKET_SECRET_KEY", "wandb-bucket", "SECRET_KEY"),
    secret_ref("LICENSE", "wandb-license", "license"),
]
CONFIGMAPS = {"resources": [
    {"metadata": {"name": "wandb-redis-configmap"}, "data": {"REDIS_HOST": "10.0.0.6", "REDIS_PORT": "6379"}},
    {"metadata": {"name": "wandb-bucket-configmap"},
     "data": {"BUCKET_NAME": "s3.example.com:443", "BUCKET_PATH": "wandb?tls=true", "AWS_REGION": "us-east-1"}},
]}
APP_FROM = [{"configMapRef": {"name": "wandb-redis-configmap"}}, {"configMapRef": {"name": "wandb-bucket-configmap"}}]
INGRESS = {"resources": [{"metadata": {"name": "wandb", "annotations": HELM},
                          "spec": {"rules": [{"host": "wandb.example.com"}]}}]}


def platform_reads(app=None, others=(), ingress=None):
    data = reads(phase="Completed")
    data["platform"] = {"resources": [app or deployment("wandb-app-bc", APP_ENV, APP_FROM)] + list(others)}
    data["configmaps"] = CONFIGMAPS
    data["ingresses"] = INGRESS if ingress is None else ingress
    return data


def test_what_the_chart_made_passes_and_is_required_with_the_phase():
    result = judge(platform_reads(others=[deployment("wandb-console-bc")]))
    assert statuses(result) == dict.fromkeys(["kubernetes", "controller", "resource", "spec", "secrets", "phase",
                                              "platform", "platform_env", "ingress"], "passed")
    assert result["checks"]["platform"]["reason"] == "wandb-app-bc, wandb-console-bc Available"
    assert result["required"][-4:] == ["phase", "platform", "platform_env", "ingress"]
    assert "platform" not in judge(platform_reads(), require_completed=False)["required"]


def test_env_resolves_configmaps_then_env_and_names_each_drift():
    drift = [{"name": "MYSQL_HOST", "value": "old-mysql"}, secret_ref("LICENSE", "other-secret", "license")]
    env = [e for e in APP_ENV if e["name"] != "MYSQL_HOST"] + drift
    # A later envFrom source overrides an earlier one; env overrides envFrom.
    env_from = APP_FROM + [{"configMapRef": {"name": "missing-configmap"}}]
    result = judge(platform_reads(app=deployment("wandb-app-bc", env, env_from)))
    reason = result["checks"]["platform_env"]["reason"]
    assert result["checks"]["platform_env"]["status"] == "failed"
    assert "wandb-app-bc/app MYSQL_HOST is 'old-mysql', the site declares '10.0.0.5'" in reason
    assert "LICENSE is Secret other-secret key license, the site declares Secret wandb-license key license" in reason


def test_env_without_the_app_or_with_missing_variables_fails():
    no_app = judge(platform_reads(app=deployment("wandb-console-bc")))
    assert no_app["checks"]["platform_env"]["status"] == "failed"
    assert "no container of the release wandb carries MYSQL_HOST" in no_app["checks"]["platform_env"]["reason"]
    partial = judge(platform_reads(app=deployment("wandb-app-bc", APP_ENV, [])))
    assert "wandb-app-bc/app lacks AWS_REGION, BUCKET_NAME, BUCKET_PATH, REDIS_HOST, REDIS_PORT" in partial["checks"]["platform_env"]["reason"]


def test_rollout_names_what_is_not_ready_and_ignores_other_releases():
    read = {"resources": [deployment("wandb-app-bc", generation=3, observed=2, updated=0, available=0, condition="False"),
                          deployment("wandb-console-bc"), deployment("other-app-bc", release="other", condition="False")]}
    rollout = wandb_platform_rollout(read, "wandb")
    assert rollout["ready"] is False and rollout["names"] == ["wandb-app-bc", "wandb-console-bc"]
    assert rollout["problems"] == ["wandb-app-bc: generation 3 not yet observed (at 2), 0 of 1 replicas updated, "
                                   "0 of 1 replicas available, not Available (Deployment has minimum availability.)"]
    assert wandb_platform_rollout({"resources": []}, "wandb") == {
        "ready": False, "names": [], "problems": ["the Helm release wandb has no Deployments (yet)"]}
    assert wandb_platform_rollout(read, "other")["ready"] is False


def test_a_rollout_with_old_pods_still_serving_is_not_ready():
    """Available stays true on the old ReplicaSet while the new pod is pending: not rolled out yet."""
    midway = deployment("wandb-app-bc", updated=1, available=1, running=2)
    midway["status"]["conditions"].append({"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                           "message": "ReplicaSet \"wandb-app-bc-7d\" has timed out progressing."})
    rollout = wandb_platform_rollout({"resources": [midway]}, "wandb")
    assert rollout["ready"] is False
    assert rollout["problems"] == ["wandb-app-bc: 1 old replicas still running, progress deadline exceeded "
                                   "(ReplicaSet \"wandb-app-bc-7d\" has timed out progressing.)"]


def test_ingress_must_route_the_host_users_open():
    wrong = {"resources": [{"metadata": {"name": "wandb", "annotations": HELM}, "spec": {"rules": [{"host": "old.example.com"}]}}]}
    result = judge(platform_reads(ingress=wrong))
    assert result["checks"]["ingress"]["status"] == "failed"
    assert result["checks"]["ingress"]["reason"] == "the release's Ingress routes old.example.com, not wandb.example.com (wandb_url)"
    assert judge(platform_reads(ingress={"resources": []}))["checks"]["ingress"]["reason"] == "the release wandb has no Ingress"


def test_with_the_service_cas_w_b_must_verify_mysql_and_redis_as_the_chart_mounts_them():
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    tls_inputs = copy.deepcopy(INPUTS)
    tls_inputs["mysql"]["ca_cert"] = tls_inputs["redis"]["ca_cert"] = pem
    configmaps = copy.deepcopy(CONFIGMAPS)
    configmaps["resources"][0]["data"]["REDIS_PARAMS"] = "?caCertPath=/etc/ssl/certs/redis_ca.pem&tls=true&ttlInSeconds=604800"
    app_env = APP_ENV + [{"name": "MYSQL_CA_CERT_PATH", "value": "/etc/ssl/certs/mysql_ca.pem"}]

    def judged(env, maps):
        data = platform_reads(app=deployment("wandb-app-bc", env, APP_FROM))
        data["configmaps"] = maps
        return wandb_operator_checks(data, tls_inputs, "wandb-operator", "operator-controller-manager", SECRETS)["checks"]["platform_env"]

    assert judged(app_env, configmaps)["status"] == "passed"
    # Without the CA path W&B would not verify MySQL; without tls/caCertPath it would talk to Redis in clear.
    missing = judged(APP_ENV, configmaps)
    assert missing["status"] == "failed" and "wandb-app-bc/app lacks MYSQL_CA_CERT_PATH" in missing["reason"]
    configmaps["resources"][0]["data"]["REDIS_PARAMS"] = "?ttlInSeconds=604800"
    plain = judged(app_env, configmaps)
    assert plain["status"] == "failed"
    assert ("REDIS_PARAMS is '?ttlInSeconds=604800', the site declares a query with "
            "caCertPath=/etc/ssl/certs/redis_ca.pem&tls=true") in plain["reason"]


def _rendered_by_the_real_chart(tmp_path, cr_inputs):
    """helm template of W&B's platform chart (the rig's cached copy) with the values the role renders."""
    import os
    import shutil
    import subprocess

    import pytest
    import yaml

    versions = Path(__file__).resolve().parents[1] / "rig" / "versions.env"
    version = [line.split("=", 1)[1].strip() for line in versions.read_text().splitlines()
               if line.startswith("WANDB_PLATFORM_CHART_VERSION=")][0]
    chart = Path(os.environ.get("ONPREM_WANDB_CACHE", "/var/cache/onprem-wandb")) / "artifacts" / "charts" / f"operator-wandb-{version}.tgz"
    helm = shutil.which("helm")
    if not helm or not chart.is_file():
        pytest.skip("needs helm and the platform chart (tests/run.sh setup caches both)")
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(render_cr_v1(cr_inputs)["spec"]["values"]))
    out = subprocess.run([helm, "template", "wandb", str(chart), "-f", str(values)], capture_output=True, text=True, check=True).stdout
    docs = [doc for doc in yaml.safe_load_all(out) if doc]
    deployments = [doc for doc in docs if doc["kind"] == "Deployment"]
    for item in deployments:  # what helm install adds to what it made
        item["metadata"].setdefault("annotations", {}).update(HELM)
    return {"resources": deployments}, {"resources": [doc for doc in docs if doc["kind"] == "ConfigMap"]}


def test_the_real_chart_given_the_service_cas_makes_w_b_verify_mysql_and_redis(tmp_path):
    pem = (Path(__file__).resolve().parent / "fixtures" / "service-ca.pem").read_text()
    tls_inputs = copy.deepcopy(INPUTS)
    tls_inputs["mysql"]["ca_cert"] = tls_inputs["redis"]["ca_cert"] = pem
    deployments, configmaps = _rendered_by_the_real_chart(tmp_path, tls_inputs)
    check = platform_env_check(deployments, configmaps, tls_inputs, "wandb")
    assert check["status"] == "passed", check
    # The chart given no CA (the resource before this change) leaves W&B without them: named.
    deployments, configmaps = _rendered_by_the_real_chart(tmp_path, INPUTS)
    check = platform_env_check(deployments, configmaps, tls_inputs, "wandb")
    assert check["status"] == "failed" and "lacks MYSQL_CA_CERT_PATH" in check["reason"], check
    assert "REDIS_PARAMS is '?ttlInSeconds=604800'" in check["reason"], check
