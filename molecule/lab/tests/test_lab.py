"""The full-stack lab: the site file expands, site.yml converged every component, verify.yml is
green for the whole stack and says precisely what breaks, check mode changes nothing, and the
lab's vaulted secrets appear in no output or report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_playbook

LAB = Path(os.environ["ONPREM_WANDB_LAB_DIR"])
INVENTORY = LAB / "inventory"
BIN = Path(sys.executable).parent
COMPONENTS = {"mysql", "minio", "redis", "proxy", "operator"}


def lab_env(**extra):
    return dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(LAB / "vault-password"), **extra)


@pytest.fixture(scope="module")
def secrets() -> dict:
    """The lab's vaulted secrets (decrypted here only to prove they never leak)."""
    out = subprocess.run([str(BIN / "ansible-vault"), "view", str(INVENTORY / "group_vars/all/vault.yml")],
                         env=lab_env(), capture_output=True, text=True, check=True).stdout
    values = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    values = {key: value.strip().strip('"') for key, value in values.items()}
    assert len(values) == 6 and all(len(value) >= 8 for value in values.values())
    return values


@pytest.fixture(scope="module")
def verify_run(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp("report")
    run = run_playbook("verify_report.yml", extra_vars={"wandb_verify_report_dir": str(report_dir)})
    return run, report_dir


@pytest.fixture(scope="module")
def check_run():
    return run_playbook("converge.yml", check=True, diff=True)


def assert_no_secret(text: str, secrets: dict, where: str) -> None:
    for name, value in secrets.items():
        if name in ("vault_minio_root_user",):  # a user name, not a secret
            continue
        assert value not in text, f"{name} appears in {where}"


def inventory(*args):
    return json.loads(subprocess.run([str(BIN / "ansible-inventory"), "-i", str(INVENTORY / "lab.yml"), *args],
                                     env=lab_env(), capture_output=True, text=True, check=True).stdout)


def test_site_file_expands_to_every_group_and_host():
    listed = inventory("--list")
    assert listed["wandb_servers"]["children"] == ["wandb_mysql", "wandb_minio", "wandb_redis", "wandb_proxy"]
    assert listed["wandb_minio"]["hosts"] == [f"onprem-wandb-lab-minio{n}" for n in range(1, 5)]
    assert listed["wandb_operator"]["hosts"] == ["localhost"]
    minio1 = inventory("--host", "onprem-wandb-lab-minio1")
    assert minio1["minio_drives"] == ["/srv/minio/disk1", "/srv/minio/disk2"]
    assert minio1["minio_root_password"] == "{{ vault_minio_root_password }}"  # a reference, never the value
    assert minio1["ansible_connection"] == "community.docker.docker" and minio1["wandb_url"] == "https://wandb.lab.test"


def test_verify_report_is_green_for_the_whole_stack(verify_run):
    run, report_dir = verify_run
    assert run.rc == 0, run.failure_messages() or run.stderr[-3000:]
    report = json.loads((report_dir / "lab-verify.json").read_text())
    lines = report["checks"]
    assert {line["component"] for line in lines} == COMPONENTS
    not_passed = [(line["component"], line["check"], line["status"], line["reason"]) for line in lines
                  if line["status"] != "pass"]
    # The only line that is not a pass: no W&B controller runs in the lab, so nothing sets the phase;
    # the lab site marks it not required and the report shows it as a warning, never as a pass.
    assert not_passed == [("operator", "phase", "warn", not_passed[0][3])], not_passed
    assert "status.phase (none" in not_passed[0][3]
    checks = {(line["component"], line["check"]) for line in lines}
    for expected in [("mysql", "server"), ("mysql", "binlog_format"), ("mysql", "innodb_online_alter_log_max_size"),
                     ("mysql", "sort_buffer_size"), ("mysql", "grants"), ("minio", "presigned_put"),
                     ("minio", "cors"), ("minio", "least_privilege"), ("minio", "cluster_health"),
                     ("redis", "version"), ("redis", "maxmemory_policy"), ("proxy", "chain"), ("proxy", "expiry"),
                     ("proxy", "large_body"), ("proxy", "websocket"), ("operator", "controller"),
                     ("operator", "spec"), ("operator", "secrets")]:
        assert expected in checks, f"{expected} missing from the report"
    assert report["summary"]["passed"] is True and report["verdict"].startswith("PASSED: ")
    markdown = (report_dir / "lab-verify.md").read_text()
    assert f"**{report['verdict']}**" in markdown and "## operator" in markdown
    # The same checklist is printed: one line per check.
    printed = [result for name, _host, result in run.tasks if name == "Print the checklist"][0]["msg"].splitlines()
    assert len(printed) == len(lines) + 2 and printed[-1] == report["verdict"]
    assert [row.split()[1] for row in printed[1:-1]] == [line["component"] for line in lines]
    order = ["mysql", "minio", "redis", "proxy", "operator"]
    assert [line["component"] for line in lines] == sorted((line["component"] for line in lines), key=order.index)


def test_verify_fails_and_names_what_is_broken(tmp_path):
    wrong = {"wandb_verify_report_dir": str(tmp_path), "mysql_user_password": "not-the-password"}
    run = run_playbook("verify_report.yml", extra_vars=wrong, args=["--tags", "mysql"])
    assert run.rc != 0
    assert "1 required check(s) failed" in run.failure_messages() and "mysql connection" in run.failure_messages()
    report = json.loads((tmp_path / "lab-verify.json").read_text())
    failed = [line for line in report["checks"] if line["status"] == "fail"]
    assert [(line["component"], line["check"]) for line in failed] == [("mysql", "connection")]
    assert "Access denied" in failed[0]["reason"]
    assert report["verdict"].startswith("FAILED: ")


def test_operator_resource_points_at_the_lab_services(secrets):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel

    config.load_kube_config(str(LAB / "kubeconfig"))
    resource = client.CustomObjectsApi().get_namespaced_custom_object(
        "apps.wandb.com", "v1", "default", "weightsandbiases", "wandb")
    values = resource["spec"]["values"]["global"]
    address = subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                              "onprem-wandb-lab-mysql", "onprem-wandb-lab-redis"], capture_output=True, text=True,
                             check=True).stdout.split()
    assert values["host"] == "https://wandb.lab.test"
    assert values["mysql"]["host"] == address[0] and values["redis"]["host"] == address[1]
    assert values["bucket"]["name"] == "onprem-wandb-lab-minio1:9000"
    # The resource only names Secrets; no secret value is in it.
    assert_no_secret(json.dumps(resource), secrets, "the WeightsAndBiases resource")


def test_check_mode_on_the_converged_lab_changes_nothing(check_run):
    assert check_run.rc == 0, check_run.failure_messages() or check_run.stderr[-3000:]
    assert check_run.changed == 0, check_run.changed_tasks()


def test_no_secret_in_any_output_or_report(secrets, verify_run, check_run):
    run, report_dir = verify_run
    for name, text in (("the verify run", run.stdout + run.stderr), ("the check-mode run", check_run.stdout + check_run.stderr)):
        assert_no_secret(text, secrets, name)
    for path in report_dir.iterdir():
        assert_no_secret(path.read_text(errors="replace"), secrets, str(path))
