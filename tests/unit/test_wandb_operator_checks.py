"""Unit tests of the operator stage's verify judgement (plugins/plugin_utils/wandb_operator_checks.py)."""

from __future__ import annotations

import copy

from ansible_collections.onprem.wandb.plugins.filter.wandb_operator_checks import wandb_operator_checks
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
