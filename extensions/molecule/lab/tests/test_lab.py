"""The full-stack lab: the site file expands, site.yml converged every component, a rotation of every
credential through the vault and onprem.wandb.rotate_secrets works end to end, verify.yml is green for the
whole stack and says precisely what breaks, check mode changes nothing, and the lab's vaulted secrets
(old and new) appear in no output or report."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import run_playbook

from ansible_collections.onprem.wandb.plugins.module_utils.address_override import connect_to
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import required_settings

LAB = Path(os.environ["ONPREM_WANDB_LAB_DIR"])
INVENTORY = LAB / "inventory"
BIN = Path(sys.executable).parent
COMPONENTS = {"mysql", "minio", "redis", "proxy", "operator"}


def lab_env(**extra):
    return dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(LAB / "vault-password"), **extra)


@pytest.fixture(scope="module")
def secrets() -> dict:
    """The lab's vaulted secrets (decrypted here only to prove they never leak)."""
    values = {}
    for name in ("vault.yml", "vault-day2.yml"):
        out = subprocess.run([str(BIN / "ansible-vault"), "view", str(INVENTORY / "group_vars/all" / name)],
                             env=lab_env(), capture_output=True, text=True, check=True).stdout
        for key, value in yaml.safe_load(out).items():
            # The backup target's credentials are a mapping: each value is checked on its own.
            values.update({f"{key}.{k}": v for k, v in value.items()} if isinstance(value, dict) else {key: value})
    assert len(values) == 10 and all(len(value) >= 8 for value in values.values())
    return values


ROTATED = ("vault_mysql_user_password", "vault_redis_password", "vault_minio_wandb_secret_key", "vault_minio_root_password")


@pytest.fixture(scope="module")
def rotation(secrets, tmp_path_factory):
    """The rotation an operator runs on the converged lab: new values for W&B's MySQL password, the Redis password,
    MinIO's W&B key and root password in the vault, then onprem.wandb.rotate_secrets (which ends with the verify
    report). Its report is the one the report tests read: the whole stack, checked with the new values. From here
    on `secrets` holds the new values (the fixture is the vault)."""
    old = {name: secrets[name] for name in ROTATED}
    new = {name: f"Lab-rotated-{os.urandom(12).hex()}" for name in ROTATED}
    before = platform_pod_templates()
    rewrite_vault(new)
    secrets.update(new)
    report_dir = tmp_path_factory.mktemp("report")
    run = run_playbook("onprem.wandb.rotate_secrets", extra_vars={"wandb_verify_report_dir": str(report_dir)})
    return {"run": run, "report_dir": report_dir, "old": old, "new": new, "pod_templates": before}


@pytest.fixture(scope="module")
def verify_run(rotation):
    return rotation["run"], rotation["report_dir"]


class RunnerRun:
    """What the tests read of a run made through ansible-runner, from its events (as AWX reads a job's)."""

    def __init__(self, runner, report_dir: Path):
        self.rc, self.report_dir = runner.rc, report_dir
        self.events = list(runner.events)
        self.stdout, self.stderr = runner.stdout.read(), runner.stderr.read()
        (stats,) = [event["event_data"] for event in self.events if event["event"] == "playbook_on_stats"]
        self.changed = sum(stats.get("changed", {}).values())

    def changed_tasks(self):
        return [(event["event_data"]["task"], event["event_data"]["host"]) for event in self.events
                if event["event"] == "runner_on_ok" and event["event_data"]["res"].get("changed")]

    def failure_messages(self):
        return "\n".join(str(event["event_data"]["res"].get("msg")) for event in self.events
                         if event["event"] == "runner_on_failed" and not event["event_data"].get("ignore_errors"))


@pytest.fixture(scope="module")
def check_run(tmp_path_factory):
    """onprem.wandb.site in --check --diff, run as AWX and Ansible Automation Platform run a job: through
    ansible-runner (process isolation off), the site file as the inventory source, the vault password as a
    credential gives it, the result read from runner's events. Two of its stages are selected by tag: the
    preflight of every host, the side-by-side play (Redis in it), the operator and verify's report run in
    check mode. (Each role's own scenario runs the whole role in check mode on its converged hosts; the
    whole site in check mode here cost 330 s of CI time for no other finding.)"""
    import ansible_runner  # pylint: disable=import-outside-toplevel

    data = tmp_path_factory.mktemp("runner")
    report_dir = data / "report"
    runner = ansible_runner.run(private_data_dir=str(data), playbook="onprem.wandb.site", inventory=str(INVENTORY),
                                cmdline="--check --diff --tags redis,operator", quiet=True,
                                extravars={"wandb_verify_report_dir": str(report_dir)},
                                envvars={"ANSIBLE_VAULT_PASSWORD_FILE": str(LAB / "vault-password")})
    return RunnerRun(runner, report_dir)


def assert_no_secret(text: str, secrets: dict, where: str) -> None:
    for name, value in secrets.items():
        if name in ("vault_minio_root_user", "vault_mysql_backup_repository_env.AWS_ACCESS_KEY_ID"):  # user names, not secrets
            continue
        assert value not in text, f"{name} appears in {where}"


def inventory(*args):
    return json.loads(subprocess.run([str(BIN / "ansible-inventory"), "-i", str(INVENTORY / "lab.yml"), *args],
                                     env=lab_env(), capture_output=True, text=True, check=True).stdout)


def test_site_file_expands_to_every_group_and_host():
    listed = inventory("--list")
    assert listed["wandb_servers"]["children"] == ["wandb_mysql", "wandb_mysql_replica", "wandb_minio", "wandb_redis", "wandb_proxy"]
    assert listed["wandb_mysql_replica"]["hosts"] == ["onprem-wandb-lab-mysql2"]
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
    # Two lines are not a pass, warnings with their reason: MySQL 9.x (the only MySQL Debian carries) on the
    # primary and on the standby, which W&B does not name and the lab site accepts explicitly.
    assert [item[:3] for item in not_passed] == [("mysql", "server", "warn")] * 2, not_passed
    for item in not_passed:
        assert re.match(r"MySQL 9\.\d+\.\d+ is not named by W&B \(W&B names 8\.4\.x \(recommended\), 8\.0\.x from 8\.0\.32 "
                        r"\(end of life\)\); accepted by mysql_accept_unnamed_versions$", item[3]), item
    # The hot standby's replication and the backups' age and retention are in the report, and pass.
    day2 = {(line["target"], line["check"]): line for line in lines if line["component"] == "mysql"}
    for check in ("replication_source", "replication_threads", "replication_lag", "read_only", "gtid_mode"):
        assert day2[("onprem-wandb-lab-mysql2 standby", check)]["status"] == "pass", check
    for check in ("repository", "last_dump", "last_binlogs", "retention", "last_check"):
        assert day2[("onprem-wandb-lab-mysql backups", check)]["status"] == "pass", check
    assert day2[("onprem-wandb-lab-mysql backups", "retention")]["found"] == "--keep-daily 7 --keep-weekly 4"
    # MySQL (primary and standby) and Redis were checked over TLS for the names W&B is given, certificates' days counted.
    tls_lines = [line for line in lines if line["check"] == "certificate"]
    assert sorted(line["component"] for line in tls_lines) == ["mysql", "mysql", "redis"], tls_lines
    assert all(line["status"] == "pass" and re.match(r"\d+ days$", line["found"]) for line in tls_lines), tls_lines
    assert {line["reason"].split(", ")[-1] for line in tls_lines} == {
        "CN=onprem-wandb-lab-mysql", "CN=onprem-wandb-lab-mysql2", "CN=onprem-wandb-lab-redis"}, tls_lines
    # The operator stage as the real charts made it (the controller's stand-in reconciled the resource):
    # the phase, the platform's Deployments, their environment and the Ingress host are required and pass.
    for name in ("phase", "platform", "platform_env", "ingress"):
        assert by_check_status(lines, "operator", name) == "pass", name
    by_check = {(line["component"], line["check"]): line for line in lines}
    assert by_check[("operator", "kubernetes")]["status"] == "pass"
    assert by_check[("operator", "kubernetes")]["found"].startswith("kubernetes 1.36.")
    # All seven MySQL settings W&B requires, each with the value expected and the value found.
    for name, value in required_settings().items():
        line = by_check[("mysql", name)]
        assert line["status"] == "pass" and line["expected"] == value, line
    printed_text = [result for name, _host, result in run.tasks if name == "Print the checklist"][0]["msg"]
    assert re.search(r"(?m)^\[WARN\] mysql .* server +MySQL 9\.\d+\.\d+ is not named by W&B", printed_text), printed_text
    checks = {(line["component"], line["check"]) for line in lines}
    for expected in [("mysql", "server"), ("mysql", "binlog_format"), ("mysql", "innodb_online_alter_log_max_size"),
                     ("mysql", "sort_buffer_size"), ("mysql", "max_prepared_stmt_count"), ("mysql", "grants"), ("minio", "presigned_put"),
                     ("minio", "mixed_content"), ("minio", "single_node"), ("minio", "nodes_online"),
                     ("minio", "chain"), ("minio", "expiry"),
                     ("minio", "cors"), ("minio", "least_privilege"), ("minio", "cluster_health"),
                     ("redis", "version"), ("redis", "maxmemory_policy"), ("redis", "certificate"),
                     ("mysql", "certificate"), ("proxy", "chain"), ("proxy", "expiry"),
                     ("proxy", "large_body"), ("proxy", "websocket"), ("operator", "controller"),
                     ("operator", "spec"), ("operator", "secrets"), ("operator", "phase"), ("operator", "platform"),
                     ("operator", "platform_env"), ("operator", "ingress")]:
        assert expected in checks, f"{expected} missing from the report"
    assert report["summary"]["passed"] is True and report["verdict"].startswith("PASSED: ")
    markdown = (report_dir / "lab-verify.md").read_text()
    assert f"**{report['verdict']}**" in markdown and "## operator" in markdown
    # The console shows the short form: a line per component with its count, each check that did not pass (here
    # the warnings), where the report is, the verdict.
    printed = [result for name, _host, result in run.tasks if name == "Print the checklist"][0]["msg"].splitlines()
    components = list(dict.fromkeys(line["component"] for line in lines))
    assert [row.split()[1:3] for row in printed[1:1 + len(components)]] == [
        [name, str(sum(line["component"] == name for line in lines))] for name in components], printed
    not_passed = [line for line in lines if line["status"] != "pass"]
    assert [row.split()[:2] for row in printed[1 + len(components):-2]] == [
        [f"[{line['status'].upper()}]", line["component"]] for line in not_passed], printed
    assert printed[-2:] == [f"Every check: {report_dir}/lab-verify.md", report["verdict"]], printed
    # The object store was checked through the endpoint W&B is given, and its certificate too.
    minio_targets = {line["target"] for line in lines if line["component"] == "minio"}
    assert minio_targets == {"https://s3.lab.test (pool of 4 nodes)", "https://s3.lab.test tls"}, minio_targets
    order = ["mysql", "minio", "redis", "proxy", "operator"]
    assert [line["component"] for line in lines] == sorted((line["component"] for line in lines), key=order.index)


def rewrite_vault(values: dict) -> None:
    """The lab's vault.yml with new values, encrypted as an operator would (ansible-vault, never in clear on disk)."""
    path = INVENTORY / "group_vars/all/vault.yml"
    current = yaml.safe_load(subprocess.run([str(BIN / "ansible-vault"), "view", str(path)], env=lab_env(),
                                            capture_output=True, text=True, check=True).stdout)
    current.update(values)
    subprocess.run([str(BIN / "ansible-vault"), "encrypt", "--output", str(path), "-"], env=lab_env(),
                   input=yaml.safe_dump(current), capture_output=True, text=True, check=True)


def credentials_work(secrets, addresses, values: dict) -> dict:
    """Each rotated credential used as its user uses it: True where the service takes it."""
    import pymysql  # pylint: disable=import-outside-toplevel
    import redis  # pylint: disable=import-outside-toplevel

    works = {}
    mysql, cache = "onprem-wandb-lab-mysql", "onprem-wandb-lab-redis"
    with connect_to(mysql, addresses[mysql]):
        try:
            pymysql.connect(host=mysql, user="wandb_local", password=values["vault_mysql_user_password"], connect_timeout=10,
                            ssl={"ca": str(SERVICE_CA), "check_hostname": True}).close()
            works["vault_mysql_user_password"] = True
        except pymysql.err.OperationalError as error:
            assert error.args[0] == 1045, error.args  # access denied, nothing else
            works["vault_mysql_user_password"] = False
    with connect_to(cache, addresses[cache]):
        client = redis.Redis(host=cache, port=6379, password=values["vault_redis_password"], socket_timeout=5,
                             ssl=True, ssl_ca_certs=str(SERVICE_CA), ssl_cert_reqs="required")
        try:
            works["vault_redis_password"] = client.ping()
        except redis.exceptions.AuthenticationError:
            works["vault_redis_password"] = False
    # W&B's key and MinIO's root credentials, through the endpoint W&B is given (403 when refused).
    for name, access_key in (("vault_minio_wandb_secret_key", "wandb"), ("vault_minio_root_password", secrets["vault_minio_root_user"])):
        url = presigner(secrets, access_key=access_key, secret_key=values[name])("head_object", "onprem-wandb-probe/none")
        status = endpoint_request(addresses, "HEAD", url)[0]
        assert status in (403, 404), (name, status)
        works[name] = status == 404
    return works


def platform_pod_templates():
    """Each platform Deployment's pod-template inputs version (a hash of the Secrets' versions W&B's pods read)."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    get_resource()  # loads the lab's kubeconfig
    return {d.metadata.name: (d.spec.template.metadata.annotations or {}).get("onprem.wandb/inputs-version")
            for d in client.AppsV1Api().list_namespaced_deployment("default").items
            if (d.metadata.annotations or {}).get("meta.helm.sh/release-name") == "wandb"}


# Deprecations a dependency prints whatever its caller does, by their exact text, with the reason.
UPSTREAM_DEPRECATIONS = (
    # kubernetes.core 6.6.0 (the `ansible` 14 package) prints it on every kubernetes.core.helm run whose
    # release exists, whether or not the caller reads status.values (kubernetes.core PR 1241); the
    # operator role reads neither status.values nor status.release_values.
    "[DEPRECATION WARNING]: The 'status.values' return value is deprecated and will be removed in version 8.0.0.",
)


def deprecations(text):
    """The deprecation warnings in a run's output, but the ones in UPSTREAM_DEPRECATIONS."""
    return [line for line in text.splitlines()
            if "DEPRECATION" in line and not any(line.startswith(known) for known in UPSTREAM_DEPRECATIONS)]


def test_new_vault_values_rotate_every_credential_end_to_end(rotation, secrets, addresses, tmp_path):
    """After the rotation (the `rotation` fixture): each service takes the new credential and refuses the old one,
    W&B's Kubernetes Secrets hold the new values and every platform Deployment rolled to a new pod template, no
    value old or new is in the output, and a second run changes nothing. (Its verify report is
    test_verify_report_is_green_for_the_whole_stack's.)"""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    run, new, old = rotation["run"], rotation["new"], rotation["old"]
    assert run.rc == 0, run.failure_messages() or run.stderr[-3000:]
    assert credentials_work(secrets, addresses, new) == dict.fromkeys(ROTATED, True)
    assert credentials_work(secrets, addresses, old) == dict.fromkeys(ROTATED, False)
    stored = {name: {key: base64.b64decode(value).decode() for key, value in
                     client.CoreV1Api().read_namespaced_secret(name, "default").data.items()}
              for name in ("wandb-mysql", "wandb-redis", "wandb-bucket")}
    assert stored["wandb-mysql"]["password"] == new["vault_mysql_user_password"]
    assert stored["wandb-redis"]["password"] == new["vault_redis_password"]
    assert stored["wandb-bucket"]["SECRET_KEY"] == new["vault_minio_wandb_secret_key"]
    before, after = rotation["pod_templates"], platform_pod_templates()
    assert before and None not in before.values(), before
    assert set(after) == set(before) and not set(after.values()) & set(before.values()), (before, after)
    again = run_playbook("onprem.wandb.rotate_secrets", extra_vars={"wandb_verify_report_dir": str(tmp_path)})
    assert again.rc == 0 and again.changed == 0, again.changed_tasks() or again.failure_messages()
    for text, where in ((run.stdout + run.stderr, "the rotation's output"), (again.stdout + again.stderr, "the second run's output")):
        assert not deprecations(text), f"a deprecation warning in {where}: {deprecations(text)}"
        assert_no_secret(text, secrets, where)
        assert_no_secret(text, {f"old {name}": value for name, value in old.items()}, where)


def test_the_re_run_command_the_lab_prints_works_pasted_in_a_clean_shell(tmp_path):
    """`make lab` / `make lab-info` print how to re-run verify: that line, verbatim, in a shell with none
    of the rig's environment (no venv, no collections path), from another directory."""
    info = subprocess.run(["bash", str(Path(__file__).resolve().parents[4] / "tests/lab/lab.sh"), "info"],
                          env=dict(os.environ), capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in info.splitlines() if line.strip().startswith("Re-run ")]
    assert len(lines) == 1, info
    command = lines[0].removeprefix("Re-run").strip()
    clean = {"HOME": os.environ["HOME"], "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    # One stage of the report (its tags are the components') is enough to prove the environment the line
    # carries: the whole report is verify_run's; CI time is a budget.
    run = subprocess.run(["bash", "-c", command + " --tags operator"], env=clean, cwd=tmp_path, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, (command, run.stdout[-3000:], run.stderr[-3000:])
    assert re.search(r"PASSED: \d+ passed, 0 failed", run.stdout), run.stdout[-3000:]


def by_check_status(lines, component, check):
    return next(line["status"] for line in lines if (line["component"], line["check"]) == (component, check))


def test_bad_values_on_two_hosts_stop_the_whole_site_before_any_change():
    """Through onprem.wandb.site, as a site runs it: a Redis policy that does not exist and a MinIO root
    password too short are both named (every host is checked first), and no host changed."""
    run = run_playbook("converge.yml", extra_vars={"redis_maxmemory_policy": "lots", "minio_root_password": "Sh0rt-pw"})
    assert run.rc != 0
    assert run.changed == 0, run.changed_tasks()
    # The roles' own failed checks are rescued and collected; the run stops at the one that lists them all.
    assert run.failures()[-1][0] == "Stop before any change when a host has a problem", run.failure_messages()
    shown = " ".join(run.failures()[-1][2].get("msg", "").split())
    assert shown.startswith("Nothing was changed: 5 problem(s) found before any change."), shown
    assert "onprem-wandb-lab-redis: onprem.wandb.redis: " in shown and "redis_maxmemory_policy" in shown and "lots" in shown, shown
    for node in range(1, 5):
        assert f"onprem-wandb-lab-minio{node}: onprem.wandb.minio: minio_root_user must be 3-64 letters" in shown, shown
    assert "minio_root_password 16-128 characters (found 8)" in shown
    assert "Sh0rt-pw" not in run.stdout + run.stderr  # the value itself is never shown, only its length
    # Only checks ran: no role went past its validation.
    assert not [name for name, _host, _result in run.tasks if name.startswith(("Install", "Write", "Configure"))]


# Ansible drops a host it cannot reach and goes on with the others: a site run would then change every host
# but that one. The first task of every changing play reaches every host and stops the play for all of them.
@pytest.mark.parametrize(("playbook", "host"), [
    ("converge.yml", "onprem-wandb-lab-mysql"),
    ("converge.yml", "onprem-wandb-lab-mysql2"),
    ("converge.yml", "onprem-wandb-lab-minio4"),
    ("converge.yml", "onprem-wandb-lab-redis"),
    ("converge.yml", "onprem-wandb-lab-proxy"),
    ("onprem.wandb.minio", "onprem-wandb-lab-minio4"),
])
def test_an_unreachable_host_stops_the_run_before_any_change(playbook, host):
    """One host of a component paused (Ansible cannot reach it): the whole run stops before any change
    anywhere, and the message names that host and why (not another host's templating error)."""
    subprocess.run(["docker", "pause", host], check=True, capture_output=True)
    try:
        # A pending change on every server (another time server): a run that went on would make it.
        run = run_playbook(playbook, extra_vars={"common_ntp_servers": ["192.0.2.124"]})
    finally:
        subprocess.run(["docker", "unpause", host], check=True, capture_output=True)
    assert run.rc != 0
    assert run.changed == 0, run.changed_tasks()
    shown = " ".join(run.failure_messages().split())
    assert "Nothing was changed: 1 host(s) of this play cannot be reached: %s: unreachable: " % host in shown, shown
    # Stopped before any host's facts were read, the first step of every check and change.
    read = [result_host for _name, result_host, result in run.tasks if result.get("ansible_facts", {}).get("ansible_distribution")
            or result.get("ansible_facts", {}).get("distribution")]
    assert read == [], read


def test_firewall_rules_that_cut_the_site_off_are_refused_before_any_change(addresses):
    """A host firewall on every server that lets only one address reach MySQL and MinIO: the standby's
    replication, the other MinIO nodes and the proxy would be cut off; each is named before any change."""
    rules = [{"name": "mysql", "port": 3306, "sources": ["192.0.2.1"]}, {"name": "minio", "port": 9000, "sources": ["192.0.2.1"]}]
    run = run_playbook("converge.yml", extra_vars={"common_firewall_rules": rules})
    assert run.rc != 0
    assert run.changed == 0, run.changed_tasks()
    shown = " ".join(run.failures()[-1][2].get("msg", "").split())
    assert shown.startswith("Nothing was changed: "), shown
    standby, proxy = addresses["onprem-wandb-lab-mysql2"], addresses["onprem-wandb-lab-proxy"]
    assert (f"onprem-wandb-lab-mysql: firewall: common_firewall_rules rule mysql guards tcp/3306 but none of its sources "
            f"['192.0.2.1'] covers {standby}, replication with onprem-wandb-lab-mysql2") in shown, shown
    assert (f"onprem-wandb-lab-minio1: firewall: common_firewall_rules rule minio guards tcp/9000 but none of its sources "
            f"['192.0.2.1'] covers {proxy}, the proxy onprem-wandb-lab-proxy") in shown, shown
    assert "the MinIO node onprem-wandb-lab-minio2" in shown, shown


def test_verify_fails_and_names_what_is_broken(tmp_path):
    wrong = {"wandb_verify_report_dir": str(tmp_path), "mysql_user_password": "not-the-password"}
    run = run_playbook("verify_report.yml", extra_vars=wrong, args=["--tags", "mysql"])
    assert run.rc != 0
    # W&B's user is refused on the primary and on the standby (it has the primary's accounts).
    assert "2 required check(s) failed: mysql onprem-wandb-lab-mysql connection, mysql onprem-wandb-lab-mysql2 connection" \
        in " ".join(run.failure_messages().split())
    report = json.loads((tmp_path / "lab-verify.json").read_text())
    failed = [line for line in report["checks"] if line["status"] == "fail"]
    assert [(line["component"], line["target"], line["check"]) for line in failed] == [
        ("mysql", "onprem-wandb-lab-mysql", "connection"), ("mysql", "onprem-wandb-lab-mysql2", "connection")]
    assert all("Access denied" in line["reason"] for line in failed)
    assert report["verdict"].startswith("FAILED: ")


def test_a_host_that_cannot_be_reached_fails_the_report_by_name(tmp_path):
    """The standby's container paused: Ansible cannot reach it, so it writes no line; the report must not pass
    on the primary's lines alone."""
    subprocess.run(["docker", "pause", "onprem-wandb-lab-mysql2"], check=True, capture_output=True)
    try:
        run = run_playbook("verify_report.yml", extra_vars={"wandb_verify_report_dir": str(tmp_path)}, args=["--tags", "mysql"])
    finally:
        subprocess.run(["docker", "unpause", "onprem-wandb-lab-mysql2"], check=True, capture_output=True)
    assert run.rc != 0
    report = json.loads((tmp_path / "lab-verify.json").read_text())
    failed = [line for line in report["checks"] if line["status"] == "fail"]
    assert [(line["target"], line["check"]) for line in failed] == [("onprem-wandb-lab-mysql2", "run")], failed
    assert failed[0]["reason"] == ("onprem-wandb-lab-mysql2 wrote no report line: it was unreachable or failed before its checks "
                                   "(see the run's output)")
    assert by_check_status(report["checks"], "mysql", "connection") == "pass"  # the primary's lines are there
    assert report["verdict"].startswith("FAILED: ")


def test_a_host_that_runs_two_components_reports_each(tmp_path):
    """A site may put Redis on its MySQL host: that host's report lines for MySQL must survive its Redis
    checks (each component's play records its own lines). The primary joins the Redis group through a
    second inventory source; the Redis it checks is the one the site declares (wandb_redis_host)."""
    extra = tmp_path / "shared-host.yml"
    extra.write_text(yaml.safe_dump({"all": {"children": {"wandb_redis": {"hosts": {"onprem-wandb-lab-mysql": {}}}}}}))
    run = run_playbook("verify_report.yml", extra_vars={"wandb_verify_report_dir": str(tmp_path)},
                       args=["-i", str(extra), "--tags", "mysql,redis"])
    assert run.rc == 0, run.failure_messages()
    report = json.loads((tmp_path / "lab-verify.json").read_text())
    targets = {(line["component"], line["target"]) for line in report["checks"]}
    assert ("mysql", "onprem-wandb-lab-mysql") in targets and ("redis", "onprem-wandb-lab-mysql") in targets, targets
    assert ("redis", "onprem-wandb-lab-redis") in targets, targets
    assert all(line["status"] != "fail" for line in report["checks"]), report["checks"]


def get_resource():
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel

    config.load_kube_config(str(LAB / "kubeconfig"))
    return client.CustomObjectsApi().get_namespaced_custom_object(
        "apps.wandb.com", "v1", "default", "weightsandbiases", "wandb")


SERVICE_CA = LAB / "service-pki" / "services-ca.crt"


def test_w_b_s_redis_connection_reaches_the_data_but_not_the_admin_commands(secrets, addresses):
    """As W&B's chart connects (rediss://:<password>@host, no user name: Redis' default user; TLS verified with
    the site's CA for the declared name): the cache and queue commands work, CONFIG, ACL, MONITOR and SHUTDOWN
    are refused by the ACL, so the password W&B holds cannot make Redis write files or change its settings.
    A client without TLS gets no answer: 6379 speaks TLS only."""
    import redis  # pylint: disable=import-outside-toplevel

    name = "onprem-wandb-lab-redis"
    with connect_to(name, addresses[name]):
        client = redis.Redis(host=name, port=6379, password=secrets["vault_redis_password"], socket_timeout=5,
                             decode_responses=True, ssl=True, ssl_ca_certs=str(SERVICE_CA), ssl_cert_reqs="required")
        client.set("onprem-wandb-lab:probe", "1", ex=30)
        assert client.get("onprem-wandb-lab:probe") == "1" and client.lpush("onprem-wandb-lab:queue", "job") >= 1
        # (DEBUG is refused before the ACL is consulted: enable-debug-command is off by default.)
        for command in (("CONFIG", "SET", "dir", "/tmp"), ("CONFIG", "GET", "dir"), ("ACL", "LIST"), ("MONITOR",),
                        ("SHUTDOWN",)):
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.execute_command(*command)
        client.delete("onprem-wandb-lab:probe", "onprem-wandb-lab:queue")
        plain = redis.Redis(host=name, port=6379, password=secrets["vault_redis_password"], socket_timeout=5)
        with pytest.raises(redis.exceptions.ConnectionError):
            plain.ping()


def test_mysql_takes_w_b_s_user_over_tls_only(secrets, addresses):
    """require_secure_transport: W&B's user connects with TLS verified for the declared name by the site's CA;
    the same user and password without TLS is refused (3159), on the primary and on the standby."""
    import pymysql  # pylint: disable=import-outside-toplevel

    for name in ("onprem-wandb-lab-mysql", "onprem-wandb-lab-mysql2"):
        login = dict(host=name, user="wandb_local", password=secrets["vault_mysql_user_password"], connect_timeout=10)
        with connect_to(name, addresses[name]):
            with pymysql.connect(ssl={"ca": str(SERVICE_CA), "check_hostname": True}, **login) as connection:
                with connection.cursor() as cursor:
                    cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
                    assert cursor.fetchone()[1] in ("TLSv1.2", "TLSv1.3"), name
            with pytest.raises(pymysql.err.OperationalError) as refused:
                pymysql.connect(ssl_disabled=True, **login)  # (else PyMySQL negotiates TLS itself)
            assert refused.value.args[0] == 3159, (name, refused.value.args)
        # The key: root's, readable by MySQL's group only.
        stat = subprocess.run(["docker", "exec", name, "stat", "-c", "%U %G %a", "/etc/mysql/tls/server.key"],
                              capture_output=True, text=True, check=True).stdout.split()
        assert stat == ["root", "mysql", "640"], (name, stat)


def test_operator_resource_points_at_the_declared_endpoints(secrets):
    resource = get_resource()
    values = resource["spec"]["values"]["global"]
    site = inventory("--host", "localhost")
    assert values["host"] == site["wandb_url"] == "https://wandb.lab.test"
    # The HA TLS endpoint the proxy serves over all four nodes, never a node.
    assert (values["bucket"]["name"], values["bucket"]["path"]) == ("s3.lab.test:443", "wandb?tls=true")
    # MySQL and Redis as the site declares them (derived: the first host of each component).
    assert (values["mysql"]["host"], values["mysql"]["port"]) == ("onprem-wandb-lab-mysql", 3306)
    assert (values["redis"]["host"], values["redis"]["port"]) == ("onprem-wandb-lab-redis", 6379)
    # The lab CA the endpoints' certificate chains to is given to W&B.
    assert values["caCertsConfigMap"] == "wandb-trusted-cas"
    # MySQL and Redis speak TLS only: W&B gets their CA (the chart mounts it; REDIS_PARAMS tls=true&caCertPath=...),
    # and the Redis Secret carries it under REDIS_CA_CERT, where the chart's redis-ca volume reads it.
    service_ca = SERVICE_CA.read_text().strip() + "\n"
    assert values["mysql"]["caCert"] == values["redis"]["caCert"] == service_ca
    assert values["redis"]["parameters"] == {"tls": "true"}
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    redis_secret = client.CoreV1Api().read_namespaced_secret("wandb-redis", "default").data
    assert base64.b64decode(redis_secret["REDIS_CA_CERT"]).decode().strip() == service_ca.strip()
    # The resource only names Secrets; no secret value is in it.
    assert_no_secret(json.dumps(resource), secrets, "the WeightsAndBiases resource")


def test_verify_names_drift_between_the_declared_endpoints_and_the_resource(tmp_path):
    """The resource as the collection used to render it (one node, no TLS): verify names each field."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    get_resource()  # loads the lab's kubeconfig
    client.CustomObjectsApi().patch_namespaced_custom_object(
        "apps.wandb.com", "v1", "default", "weightsandbiases", "wandb",
        {"spec": {"values": {"global": {"bucket": {"name": "onprem-wandb-lab-minio1:9000", "path": "wandb"}}}}})
    wait_until_reconciled()
    run = run_playbook("verify_report.yml", args=["--tags", "operator"], extra_vars={"wandb_verify_report_dir": str(tmp_path)})
    assert run.rc != 0
    (spec,) = [line for line in json.loads((tmp_path / "lab-verify.json").read_text())["checks"]
               if line["component"] == "operator" and line["check"] == "spec"]
    assert spec["status"] == "fail"
    assert ("spec.values.global.bucket.name: the site declares 's3.lab.test:443', the resource has "
            "'onprem-wandb-lab-minio1:9000'") in spec["reason"]
    assert "spec.values.global.bucket.path: the site declares 'wandb?tls=true', the resource has 'wandb'" in spec["reason"]
    # The operator stage, a separate ansible-playbook run from the inventory, puts the declared endpoint
    # back: that one change, and no other host contacted.
    fixed = run_playbook("onprem.wandb.wandb_operator")
    assert fixed.rc == 0 and fixed.changed == 1, fixed.changed_tasks()
    assert {host for _name, host, _result in fixed.tasks} == {"localhost"}
    assert get_resource()["spec"]["values"]["global"]["bucket"]["name"] == "s3.lab.test:443"
    wait_until_reconciled()


def wait_until_reconciled(timeout=120):
    """Until the controller (the rig's stand-in) has applied the resource's current spec."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded poll
        resource = get_resource()
        secret = client.CoreV1Api().read_namespaced_secret("wandb-spec-active", "default")
        applied = json.loads(base64.b64decode(secret.data["spec"]))
        if applied == {"chart": resource["spec"]["chart"], "values": resource["spec"]["values"]} \
                and resource["status"]["phase"] == "Completed":
            return
        time.sleep(1)
    raise AssertionError("the controller did not apply the resource's spec in time")


# --- The path W&B's users take: the object store endpoint W&B is given ------------------------

CA = LAB / "pki" / "lab-ca.crt"
ENDPOINT = "https://s3.lab.test"


@pytest.fixture(scope="module")
def addresses() -> dict:
    """The lab's name -> container address map (extensions/molecule/lab/prepare.yml), the lab's stand-in for DNS."""
    return json.loads((LAB / "addresses.json").read_text())


def presigner(secrets, endpoint=ENDPOINT, access_key="wandb", secret_key=None):
    """Presigned URLs as W&B makes them (W&B's key unless another pair is given)."""
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                      aws_secret_access_key=secret_key or secrets["vault_minio_wandb_secret_key"], region_name="us-east-1",
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))

    def sign(operation, key):
        return s3.generate_presigned_url(operation, Params={"Bucket": "wandb", "Key": key}, ExpiresIn=600)
    return sign


def endpoint_request(addresses, method, url, body=None, headers=None):
    """A request to the endpoint as a client with DNS would send it: the name in SNI and Host, the lab CA."""
    import urllib3  # pylint: disable=import-outside-toplevel

    parsed = urllib3.util.parse_url(url)
    pool = urllib3.HTTPSConnectionPool(addresses[parsed.host], parsed.port or 443, server_hostname=parsed.host,
                                       assert_hostname=parsed.host, ca_certs=str(CA), retries=False, timeout=30)
    answer = pool.urlopen(method, parsed.request_uri, body=body, headers=dict(headers or {}, Host=parsed.host),
                          assert_same_host=False)
    return answer.status, answer.data


@pytest.fixture()
def browser(addresses, tmp_path):
    """Debian's Chromium, headless, driven by chromedriver, trusting only the lab CA (its own NSS db)."""
    import shutil  # pylint: disable=import-outside-toplevel

    from selenium import webdriver  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.chrome.service import Service  # pylint: disable=import-outside-toplevel

    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "onprem-wandb-lab-ca", "-i", str(CA)],
                   check=True)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    rules = ", ".join(f"MAP {name} {address}" for name, address in addresses.items())
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--user-data-dir={tmp_path / 'profile'}", f"--host-resolver-rules={rules}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver"),
                      env=dict(os.environ, HOME=str(home), SE_OFFLINE="true"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


# What W&B's web UI does with presigned URLs: PUT a file, then a ranged GET of it, from the W&B origin.
UPLOAD_AND_RANGED_GET = """
const [putUrl, getUrl, size, done] = arguments;
(async () => {
  const out = {origin: location.origin, secure: window.isSecureContext};
  try {
    const body = new Uint8Array(size);
    for (let i = 0; i < size; i++) body[i] = i % 251;
    const put = await fetch(putUrl, {method: 'PUT', body});
    out.put = put.status;
    const got = await fetch(getUrl, {headers: {Range: 'bytes=1000-2023'}});
    out.get = got.status;
    const bytes = new Uint8Array(await got.arrayBuffer());
    out.bytes = bytes.length;
    out.intact = bytes.every((value, i) => value === (1000 + i) % 251);
  } catch (error) {
    out.error = String(error);
  }
  done(out);
})();
"""


def browser_round_trip(browser, sign, key):
    browser.get("https://wandb.lab.test/")
    return browser.execute_async_script(UPLOAD_AND_RANGED_GET, sign("put_object", key), sign("get_object", key),
                                        1024 * 1024)


def test_a_browser_at_the_wandb_origin_uploads_and_reads_through_the_endpoint(browser, secrets, addresses):
    key = "onprem-wandb-probe/browser-https"
    out = browser_round_trip(browser, presigner(secrets), key)
    assert out == {"origin": "https://wandb.lab.test", "secure": True, "put": 200, "get": 206, "bytes": 1024,
                   "intact": True}, out
    status, _body = endpoint_request(addresses, "DELETE", presigner(secrets)("delete_object", key))
    assert status == 204


def test_a_browser_refuses_an_http_node_endpoint_and_verify_fails_it(browser, secrets, addresses, tmp_path):
    node = "http://onprem-wandb-lab-minio1:9000"
    out = browser_round_trip(browser, presigner(secrets, node), "onprem-wandb-probe/browser-http")
    assert out["secure"] is True and "put" not in out and "Failed to fetch" in out["error"], out
    console = " ".join(entry["message"] for entry in browser.get_log("browser"))
    assert "Mixed Content" in console and "onprem-wandb-lab-minio1:9000" in console, console
    # The same endpoint, handed to verify: the browser's refusal is a failed check, the single node a warning.
    run = run_playbook("verify_report.yml", args=["--tags", "minio"], extra_vars={
        "wandb_verify_report_dir": str(tmp_path), "minio_wandb_endpoint_url": node,
        "minio_wandb_endpoint_connect_host": addresses["onprem-wandb-lab-minio1"]})
    assert run.rc != 0
    lines = {line["check"]: line for line in json.loads((tmp_path / "lab-verify.json").read_text())["checks"]
             if line["component"] == "minio"}
    assert lines["mixed_content"]["status"] == "fail" and "Mixed Content" in lines["mixed_content"]["reason"]
    assert lines["single_node"]["status"] == "warn"
    assert "is the MinIO node " in lines["single_node"]["reason"] and "onprem-wandb-lab-minio1" in lines["single_node"]["reason"]
    assert "one of 4" in lines["single_node"]["reason"]
    assert lines["presigned_put"]["status"] == "pass"  # the node itself works; the browser still cannot use it


@pytest.fixture()
def minio2_down(addresses):
    node = "onprem-wandb-lab-minio2"
    subprocess.run(["docker", "exec", node, "systemctl", "stop", "minio"], check=True)
    try:
        yield node
    finally:
        subprocess.run(["docker", "exec", node, "systemctl", "start", "minio"], check=True)


def test_the_endpoint_survives_the_loss_of_a_node(minio2_down, secrets, addresses, tmp_path):
    sign = presigner(secrets)
    # Enough requests that the balancer tries the stopped node too (least connections over four nodes).
    for n in range(12):
        key = f"onprem-wandb-probe/node-loss-{n}"
        payload = os.urandom(256 * 1024)
        assert endpoint_request(addresses, "PUT", sign("put_object", key), body=payload)[0] == 200, key
        assert endpoint_request(addresses, "GET", sign("get_object", key)) == (200, payload), key
        assert endpoint_request(addresses, "DELETE", sign("delete_object", key))[0] == 204, key
    run = run_playbook("verify_report.yml", args=["--tags", "minio"], extra_vars={"wandb_verify_report_dir": str(tmp_path)})
    lines = {line["check"]: line for line in json.loads((tmp_path / "lab-verify.json").read_text())["checks"]
             if line["component"] == "minio"}
    # The endpoint is healthy for W&B's users; the report names the node that is down, as a warning.
    assert run.rc == 0, run.failure_messages()
    for check in ("presigned_put", "presigned_get", "presigned_head", "cors", "cluster_health", "mixed_content",
                  "single_node", "chain"):
        assert lines[check]["status"] == "pass", lines[check]
    assert lines["nodes_online"]["status"] == "warn"
    assert "MinIO nodes not online: " in lines["nodes_online"]["reason"] and minio2_down in lines["nodes_online"]["reason"]


def test_check_mode_on_the_converged_lab_changes_nothing(check_run):
    """Through ansible-runner (check_run): 0 changed by its events, and verify's report written and passed for
    the stages the run selected."""
    assert check_run.rc == 0, check_run.failure_messages() or check_run.stdout[-3000:]
    assert check_run.changed == 0, check_run.changed_tasks()
    assert any(event["event"] == "runner_on_ok" and event["event_data"]["task"] == "Print the checklist"
               for event in check_run.events)
    report = json.loads((check_run.report_dir / "lab-verify.json").read_text())
    assert report["summary"]["passed"] is True, report["verdict"]
    assert {line["component"] for line in report["checks"]} == {"redis", "operator"}, report["checks"]


def test_no_secret_in_any_output_or_report(secrets, rotation, verify_run, check_run):
    run, report_dir = verify_run
    secrets = {**secrets, **{f"old {name}": value for name, value in rotation["old"].items()}}
    for name, text in (("the verify run", run.stdout + run.stderr), ("the check-mode run", check_run.stdout + check_run.stderr)):
        assert_no_secret(text, secrets, name)
    for path in report_dir.iterdir():
        assert_no_secret(path.read_text(errors="replace"), secrets, str(path))


def lab_mysql(host, query):
    return subprocess.run(["docker", "exec", host, "mysql", "--batch", "--skip-column-names", "-e", query],
                          capture_output=True, text=True, check=True).stdout.split()


def test_promotion_makes_the_standby_the_primary_and_the_resource_names_it(secrets):
    """Last (it changes the lab's topology): the primary is lost; onprem.wandb.mysql_promote makes the standby
    writable and re-renders the WeightsAndBiases resource with it as W&B's MySQL host."""
    primary, standby = "onprem-wandb-lab-mysql", "onprem-wandb-lab-mysql2"
    lab_mysql(primary, "CREATE TABLE wandb_local.lab_failover (id INT PRIMARY KEY); INSERT INTO wandb_local.lab_failover VALUES (1)")
    deadline = time.monotonic() + 60
    while lab_mysql(standby, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'lab_failover'") != ["1"]:
        assert time.monotonic() < deadline, "the standby did not receive the primary's write"
        time.sleep(1)
    subprocess.run(["docker", "exec", primary, "systemctl", "stop", "mysql"], check=True)
    run = run_playbook("onprem.wandb.mysql_promote", extra_vars={"mysql_promote_host": standby})
    assert run.rc == 0, run.failure_messages() or run.stderr[-3000:]
    assert lab_mysql(standby, "SELECT @@GLOBAL.super_read_only") == ["0"]
    lab_mysql(standby, "INSERT INTO wandb_local.lab_failover VALUES (2)")
    assert lab_mysql(standby, "SELECT COUNT(*) FROM wandb_local.lab_failover") == ["2"]
    values = get_resource()["spec"]["values"]["global"]
    assert (values["mysql"]["host"], values["mysql"]["port"]) == (standby, 3306)
    assert_no_secret(run.stdout + run.stderr, secrets, "the promotion's output")
