"""Verify the MinIO role against the real 4-node x 2-drive MinIO cluster it converged (Debian 12)."""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
import testinfra
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError
from playbook_run import assert_rejected_before_change, run_playbook
from pki import write_test_pki

testinfra_hosts = ["ansible://wandb_minio"]

# Must match vars.yml.
ROOT_USER, ROOT_PASSWORD = "siteadmin", "Tst-minio-root-4c2a9e71-Secret"
WANDB_KEY, WANDB_SECRET = "wandb", "Tst-minio-wandb-7d3f0b82-Key"
SECRETS = (ROOT_PASSWORD, WANDB_SECRET)
NODES = [f"onprem-wandb-minio{i}" for i in range(1, 5)]
VOLUMES = "http://onprem-wandb-minio{1...4}:9000/srv/minio/disk{1...2}"


def node(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture(scope="module")
def endpoint():
    facts = node(NODES[0]).ansible("setup", "gather_subset=network")["ansible_facts"]
    return f"http://{facts['ansible_default_ipv4']['address']}:9000"


def s3(endpoint, key, secret, **kwargs):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1", config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
                        **kwargs)


def check(**extra):
    run = run_playbook("check_from_controller.yml", extra_vars=extra)
    assert run.rc == 0, run.failure_messages()
    assert not any(secret in run.stdout + run.stderr for secret in SECRETS)
    return [result for name, _h, result in run.tasks if name == "Check W&B's requirements"][0]


def assert_no_secret(run):
    shown = run.stdout + run.stderr
    assert not [s for s in SECRETS if s in shown], "a secret appears in the playbook output"


def test_service_running_enabled_and_hardened(host):
    service = host.service("minio")
    assert service.is_running and service.is_enabled
    shown = host.run("systemctl show minio --property=User,NoNewPrivileges,ProtectSystem,PrivateTmp,LimitNOFILE,"
                     "ReadWritePaths,Type").stdout
    for line in ("User=minio-user", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                 "LimitNOFILE=1048576", "ReadWritePaths=/srv/minio/disk1 /srv/minio/disk2", "Type=notify"):
        assert line in shown.splitlines(), f"{line} not in {shown}"


def test_the_console_listens_on_loopback_only_and_the_api_on_every_address(host):
    listening = host.run("ss -Htlnp").stdout
    console = [line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(":9001")]
    api = [line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(":9000")]
    assert console and set(console) == {"127.0.0.1:9001"}, listening
    assert any(address.startswith(("*:", "0.0.0.0:", "[::]:")) for address in api), listening


def test_binaries_match_the_rig_pins(host):
    artifacts = os.environ["ONPREM_WANDB_ARTIFACTS"]
    for binary, artifact in (("/usr/local/bin/minio", "minio"), ("/usr/local/bin/mcli", "mc")):
        (pin_file,) = [os.path.join(artifacts, d, f"{artifact}.sha256") for d in os.listdir(artifacts)
                       if d.startswith(f"{artifact}-v")]
        with open(pin_file, encoding="utf-8") as handle:
            pin = handle.read().split()[0]
        installed = host.file(binary)
        assert installed.sha256sum == pin and installed.mode == 0o755 and installed.user == "root"


def test_environment_file_has_the_topology_and_no_secret(host):
    env = host.file("/etc/default/minio")
    assert (env.user, env.group, env.mode) == ("root", "minio-user", 0o640)
    content = env.content_string
    assert f'MINIO_VOLUMES="{VOLUMES}"' in content
    assert "MINIO_API_CORS_ALLOW_ORIGIN" not in content  # CORS is in MinIO's configuration, changed live
    assert not any(secret in content for secret in SECRETS)


def test_credentials_only_in_the_private_files(host):
    for name in ("root_user", "root_password"):
        cred = host.file(f"/etc/minio/credentials/{name}")
        assert (cred.user, cred.group, cred.mode) == ("root", "minio-user", 0o640)
    found = host.run("grep -rlF -e %s /etc /var/lib /var/log /root /srv", ROOT_PASSWORD)
    # The first node also has the MinIO client's aliases (root's and W&B's key), readable by root alone.
    client = host.file("/etc/minio/mcli/config.json")
    aliases = ["/etc/minio/mcli/config.json"] if client.exists else []
    if client.exists:
        assert (client.user, client.group, client.mode) == ("root", "root", 0o600)
    assert sorted(found.stdout.split()) == sorted(["/etc/minio/credentials/root_password"] + aliases)
    assert host.run("grep -rlF -e %s /etc /var/lib /var/log /root", WANDB_SECRET).stdout.split() == aliases
    # MinIO keeps its IAM users (W&B's key included) in its own store on the drives, which only
    # minio-user can enter.
    in_store = host.run("grep -rlF -e %s /srv/minio", WANDB_SECRET).stdout.split()
    assert all("/.minio.sys/config/iam/users/wandb/" in path for path in in_store), in_store
    for drive in ("/srv/minio/disk1", "/srv/minio/disk2"):
        assert (host.file(drive).user, host.file(drive).mode) == ("minio-user", 0o750)


def test_secrets_absent_from_process_list_environment_and_journal(host):
    processes = host.run("ps -eo args").stdout
    assert "minio server" in processes
    pid = host.run("systemctl show --property=MainPID --value minio").stdout.strip()
    environ = host.run(f"tr '\\0' '\\n' < /proc/{pid}/environ").stdout
    assert "MINIO_ROOT_PASSWORD_FILE=/etc/minio/credentials/root_password" in environ
    journal = host.run("journalctl --unit=minio --no-pager").stdout
    assert "API:" in journal  # the journal is readable and has MinIO's start-up lines
    for secret in SECRETS:
        assert secret not in processes + environ + journal


def test_cluster_healthy_with_eight_drives_and_module_checks_pass():
    result = check()
    assert result["passed"] is True, result["failures"]
    assert {check["status"] for check in result["checks"].values()} == {"passed"}, result["checks"]
    assert result["cluster"]["nodes_online"] == 4 and result["cluster"]["drives_ok"] == 8
    assert result["cluster"]["drives_per_set"] == [8] and result["cluster"]["standard_parity"] == 4


def test_module_reports_a_foreign_origin_and_an_over_privileged_key():
    foreign = check(check_origin="https://elsewhere.example.test")
    assert foreign["passed"] is False and foreign["checks"]["cors"]["status"] == "failed"
    assert "Origin: https://elsewhere.example.test" in foreign["failures"][0]
    assert "the W&B origin is not allowed" in foreign["failures"][0]
    root = check(check_access_key=ROOT_USER, check_secret_key=ROOT_PASSWORD)
    assert root["checks"]["least_privilege"]["status"] == "failed"
    assert any("it is not limited to bucket wandb" in failure for failure in root["failures"])


def test_wandb_key_can_write_only_its_bucket(endpoint):
    admin = s3(endpoint, ROOT_USER, ROOT_PASSWORD)
    wandb = s3(endpoint, WANDB_KEY, WANDB_SECRET)
    other = f"other-{uuid.uuid4().hex[:8]}"
    admin.create_bucket(Bucket=other)
    try:
        wandb.put_object(Bucket="wandb", Key="verify/own-bucket", Body=b"ok")
        assert wandb.get_object(Bucket="wandb", Key="verify/own-bucket")["Body"].read() == b"ok"
        wandb.delete_object(Bucket="wandb", Key="verify/own-bucket")
        for call in (lambda: wandb.put_object(Bucket=other, Key="x", Body=b"no"),
                     lambda: wandb.list_objects_v2(Bucket=other),
                     lambda: wandb.create_bucket(Bucket=f"mine-{uuid.uuid4().hex[:8]}")):
            with pytest.raises(ClientError) as refused:
                call()
            assert refused.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        admin.delete_bucket(Bucket=other)


def test_check_mode_on_converged_cluster_changes_nothing(converge_check_run):
    assert converge_check_run.rc == 0, converge_check_run.failure_messages()
    assert converge_check_run.changed == 0, converge_check_run.changed_tasks()
    assert_no_secret(converge_check_run)


def mcli(*args):
    """The MinIO client on the first node, with the role's root-only aliases."""
    result = node(NODES[0]).run("MC_CONFIG_DIR=/etc/minio/mcli /usr/local/bin/mcli " + " ".join(args))
    assert result.rc == 0, result.stdout + result.stderr
    return result.stdout


# A disabled user's key is refused (AccessKeyDisabled), so the role also sets the key again.
DRIFT_REPAIRS = ["Attach the policy to W&B's user", "Create W&B's user or set its secret key (the key goes through stdin)",
                 "Enable W&B's user"]


def preflight_allows(name, origin):
    """A browser's CORS preflight for a PUT, sent to one node: does that node allow the origin?"""
    address = node(name).ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]
    request = urllib.request.Request(f"http://{address}:9000/wandb/probe", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin") == origin
    except urllib.error.HTTPError as error:  # MinIO answers a refused preflight with 403
        return error.headers.get("Access-Control-Allow-Origin") == origin


def minio_pids():
    return {name: node(name).run("systemctl show -p MainPID --value minio").stdout.strip() for name in NODES}


CORS_LIVE = "Allow W&B's origins for CORS (applied live, no restart)"


def test_drift_is_reported_by_check_mode_then_repaired_with_a_live_cors_change_at_vvv_showing_no_secret():
    """W&B's user disabled and its policy detached by hand: --check says what it would change, changes
    nothing. The next converge puts both back and, in the same run, allows one more origin for CORS:
    applied live (every node answers the new origin's preflight, no MinIO restarted). That converge runs
    at -vvv (Ansible prints each command it runs on a host, environment included, and every result)
    while every process's command line and environment on the machine (the nodes' included) is
    sampled: the tasks that handle W&B's key and the root credentials run for real, so a secret in a
    task's argv or environment, or in a result or diff, would be in one of them. The converge back
    removes the origin, live again."""
    before = minio_pids()
    other = "https://notebooks.example.test"
    # Detach first: MinIO does not find a disabled user for a policy change.
    mcli("admin", "policy", "detach", "site", "wandb-bucket", "--user", WANDB_KEY)
    mcli("admin", "user", "disable", "site", WANDB_KEY)
    try:
        check_run = run_playbook("converge.yml", check=True)
        assert check_run.rc == 0, check_run.failure_messages()
        changed = sorted(name for name, _host in check_run.changed_tasks())
        assert changed == DRIFT_REPAIRS, changed
        assert '"userStatus": "disabled"' in mcli("admin", "user", "info", "site", WANDB_KEY, "--json").replace('":"', '": "')
    finally:
        run = run_playbook("converge.yml", extra_vars={"minio_cors_allowed_origins": ["https://wandb.example.test", other]},
                           diff=True, verbose=True, watch=True)
    try:
        assert run.rc == 0, run.stdout[-3000:]
        # From the -vvv text: a looped task prints a line per item, hence the set.
        assert sorted({name for name, _host in run.changed_tasks()}) == sorted(DRIFT_REPAIRS + [CORS_LIVE])
        info = mcli("admin", "user", "info", "site", WANDB_KEY, "--json").replace('":"', '": "')
        assert '"userStatus": "enabled"' in info and "wandb-bucket" in info
        assert " EXEC " in run.stdout + run.stderr and run.process_samples > 20  # the command lines are in the text
        assert "mcli" in run.processes  # the watch saw the client run
        for secret in SECRETS:
            assert secret not in run.stdout + run.stderr, "a secret is in the -vvv output"
            assert secret not in run.processes, "a secret was in a process's command line or environment"
        assert minio_pids() == before
        # Every node answers the new origin's preflight (each node read it from the cluster's configuration).
        assert check(check_origin=other)["checks"]["cors"]["status"] == "passed"
        for name in NODES:
            assert preflight_allows(name, other), name
    finally:
        back = run_playbook("converge.yml")
    assert back.rc == 0, back.failure_messages()
    assert sorted({name for name, _host in back.changed_tasks()}) == [CORS_LIVE]
    assert minio_pids() == before
    assert check(check_origin=other)["checks"]["cors"]["status"] == "failed"
    assert not any(preflight_allows(name, other) for name in NODES)


def test_a_node_given_as_wandb_s_endpoint_is_judged_as_browsers_meet_it(endpoint):
    """One node's http address as the declared endpoint of an https W&B: Mixed Content and a single node.
    Reached by a name the controller cannot resolve (connect_host), so the S3 signatures carry that name."""
    address = endpoint.split("//")[1].split(":")[0]
    result = check(check_endpoint="http://s3-node.example.test:9000", check_connect_host=address, check_declared=True,
                   check_nodes=list(NODES) + [address])
    assert result["checks"]["presigned_put"]["status"] == "passed", result["checks"]
    assert result["checks"]["cors"]["status"] == "passed", result["checks"]
    assert result["checks"]["mixed_content"]["status"] == "failed"
    assert result["checks"]["mixed_content"]["reason"].startswith(
        "W&B is served at https://wandb.example.test over https but its object store endpoint is http://s3-node")
    assert f"is the MinIO node {address}, one of 4" in result["checks"]["single_node"]["reason"]


def test_failure_drill_one_node_down_then_the_role_heals_it(endpoint):
    wandb = s3(endpoint, WANDB_KEY, WANDB_SECRET)
    payload = os.urandom(3 * 1024 * 1024)
    wandb.put_object(Bucket="wandb", Key="drill/object", Body=payload)
    try:
        subprocess.run(["docker", "exec", NODES[3], "systemctl", "stop", "minio"], check=True)
        assert not node(NODES[3]).service("minio").is_running
        # 6 of 8 drives are left: reads (and writes) keep working.
        assert wandb.get_object(Bucket="wandb", Key="drill/object")["Body"].read() == payload
        degraded = check()
        assert degraded["cluster"]["nodes_online"] == 3 and degraded["cluster"]["drives_ok"] == 6
        assert any(f"MinIO nodes not online: {NODES[3]}:9000" in f for f in degraded["failures"]), degraded
        # Write quorum holds (cluster_health) while a node is down (nodes_online): two separate lines.
        assert degraded["checks"]["cluster_health"]["status"] == "passed", degraded["checks"]
        assert degraded["checks"]["nodes_online"]["status"] == "failed"
        assert degraded["checks"]["nodes_online"]["reason"].startswith(f"MinIO nodes not online: {NODES[3]}:9000")
        healed = run_playbook("converge.yml")
        assert healed.rc == 0, healed.failure_messages()
        assert healed.changed_tasks() == [("Start MinIO and enable it at boot", NODES[3])]
        assert wandb.get_object(Bucket="wandb", Key="drill/object")["Body"].read() == payload
        after = check()
        assert after["passed"] is True and after["cluster"]["drives_ok"] == 8, after["failures"]
    finally:
        subprocess.run(["docker", "exec", NODES[3], "systemctl", "start", "minio"], check=True)
        wandb.delete_object(Bucket="wandb", Key="drill/object")


@pytest.mark.parametrize(
    ("extra_vars", "fragments"),
    [
        pytest.param({"test_hosts": "minio_three", "minio_group": "minio_three", "minio_drives": ["/srv/minio/disk1"]},
                     ["3 node(s) x 1 drive(s) = 3 drives in total: distributed MinIO needs at least 4"],
                     id="three-drives"),
        pytest.param({"minio_drives": "{{ ['/srv/minio/disk1'] if inventory_hostname == 'onprem-wandb-minio4' "
                                      "else ['/srv/minio/disk1', '/srv/minio/disk2'] }}"},
                     ["every node must have the same number of drives, found onprem-wandb-minio1=2, "
                      "onprem-wandb-minio2=2, onprem-wandb-minio3=2, onprem-wandb-minio4=1"], id="uneven-drives"),
        pytest.param({"minio_binary_sha256": "0" * 64},
                     ["has sha256 ", "but minio_binary_sha256 pins " + "0" * 64, "nothing was installed"],
                     id="checksum-mismatch"),
        pytest.param({"minio_root_password": ""}, ["minio_root_password 16-128 characters (found 0)"],
                     id="missing-root-password"),
        pytest.param({"minio_cors_allowed_origins": ["wandb.example.test"]},
                     ['minio_cors_allowed_origins is ["wandb.example.test"]', "URLs without a path"],
                     id="cors-origin-not-a-url"),
        pytest.param({"minio_drives": ["/srv", "/opt"]}, ["On the root filesystem: /srv, /opt"], id="root-filesystem"),
        pytest.param({"minio_drives": ["/srv/minio/disk1", "/srv/minio/disk9"]}, ["Missing: /srv/minio/disk9"],
                     id="missing-drive"),
        pytest.param({"test_hosts": "minio_three"}, ["run the role on every node of the group"], id="partial-play"),
        pytest.param({"minio_wandb_access_key": ROOT_USER}, ['minio_wandb_access_key is "siteadmin"', "not the root user"],
                     id="wandb-key-is-root"),
    ],
)
def test_bad_input_fails_before_any_change(extra_vars, fragments):
    run = run_playbook("bad_input.yml", extra_vars=extra_vars)
    assert_rejected_before_change(run, *fragments)
    assert_no_secret(run)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory, endpoint):
    addresses = [node(name).ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]
                 for name in NODES]
    return write_test_pki(tmp_path_factory.mktemp("minio-tls"), NODES, addresses)


def test_tls_variant_nodes_talk_https_and_the_checks_pass(endpoint, tls_files):
    tls_vars = {"minio_tls_cert_src": tls_files["cert"], "minio_tls_key_src": tls_files["key"],
                "minio_tls_ca_src": tls_files["ca"]}
    https = endpoint.replace("http://", "https://")
    try:
        run = run_playbook("converge.yml", extra_vars=tls_vars)
        assert run.rc == 0, run.failure_messages()
        assert_no_secret(run)
        key = node(NODES[0]).file("/etc/minio/certs/private.key")
        assert (key.user, key.mode) == ("minio-user", 0o600)
        assert f'MINIO_VOLUMES="{VOLUMES.replace("http://", "https://")}"' in node(NODES[1]).file(
            "/etc/default/minio").content_string
        ok = check(check_scheme="https", check_ca=tls_files["ca"])
        assert ok["passed"] is True and ok["tls"] is True, ok["failures"]
        untrusted = check(check_scheme="https", check_ca=tls_files["other_ca"])
        assert untrusted["passed"] is False and "CERTIFICATE_VERIFY_FAILED" in untrusted["failures"][0]
        with pytest.raises(SSLError):
            s3(https, WANDB_KEY, WANDB_SECRET, verify=tls_files["other_ca"]).head_bucket(Bucket="wandb")
    finally:
        back = run_playbook("converge.yml")
        assert back.rc == 0, back.failure_messages()
    # TLS off again: the role removed what it had installed, on every node.
    for name in NODES:
        left = [path for path in ("public.crt", "private.key", "CAs/ca.crt") if node(name).file(f"/etc/minio/certs/{path}").exists]
        assert not left, f"{name} still has {left}"
