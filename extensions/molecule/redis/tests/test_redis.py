"""Verify the Redis role against the real Redis 7 it converged (Debian 12)."""

from __future__ import annotations

import pytest
import redis
from playbook_run import assert_rejected_before_change, run_playbook
from pki import write_test_pki

testinfra_hosts = ["ansible://wandb_redis"]

PASSWORD = "Tst-redis-5b7e1f9c-Secret"  # must match converge.yml


def check(**extra):
    run = run_playbook("check_from_controller.yml", extra_vars={"check_password": PASSWORD, **extra})
    assert run.rc == 0, run.failure_messages()
    assert PASSWORD not in run.stdout + run.stderr
    return [result for name, _h, result in run.tasks if name == "Check W&B's requirements"][0]


def test_service_running_and_enabled(host):
    service = host.service("redis-server")
    assert service.is_running and service.is_enabled


def test_listens_on_loopback_and_host_address_only(host, address):
    conf = host.file("/etc/redis/redis.conf")
    assert f"bind 127.0.0.1 {address}" in conf.content_string
    assert host.socket(f"tcp://{address}:6379").is_listening
    assert host.socket("tcp://127.0.0.1:6379").is_listening
    assert not host.socket("tcp://0.0.0.0:6379").is_listening


def test_config_and_acl_files_are_private(host):
    conf = host.file("/etc/redis/redis.conf")
    assert (conf.user, conf.group, conf.mode) == ("redis", "redis", 0o640)
    acl = host.file("/etc/redis/users.acl")
    assert (acl.user, acl.group, acl.mode) == ("redis", "redis", 0o600)
    assert "user default off" in acl.content_string
    assert "user wandb on #" in acl.content_string


def test_secret_in_no_file_on_the_host(host):
    result = host.run("grep -rlF %s /etc /var/lib/redis /var/log /root", PASSWORD)
    assert result.rc == 1, f"the Redis password is stored in plain text: {result.stdout}"


def test_default_user_is_disabled(address):
    with pytest.raises(redis.exceptions.RedisError) as refused:
        redis.Redis(host=address, port=6379, socket_timeout=5).ping()
    assert "NOAUTH" in str(refused.value) or "Authentication" in type(refused.value).__name__


def test_wandb_user_round_trip_and_settings(address):
    client = redis.Redis(host=address, port=6379, username="wandb", password=PASSWORD, socket_timeout=5,
                         decode_responses=True)
    assert client.set("verify:probe", "ok", ex=30)
    assert client.get("verify:probe") == "ok"
    info = client.info("everything")
    assert info["redis_version"].startswith("7.")
    assert info["maxmemory"] == 268435456
    assert info["maxmemory_policy"] == "volatile-lru"
    assert info["aof_enabled"] == 1
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.config_get("maxmemory")  # admin commands are off for the W&B user


def test_check_module_passes():
    result = check(check_user="wandb")
    assert result["passed"] is True, result["failures"]
    assert result["round_trip"] is True
    assert result["server"]["version"].startswith("7.") and result["server"]["flavour"] == "redis"
    version = result["checks"]["version"]
    assert version["status"] == "passed" and version["expected"] == "7.x (recommended)", version
    assert version["reason"] == f"redis {result['server']['version']}: W&B runs on Redis 7.x"
    assert result["memory"] == {"maxmemory": 268435456, "maxmemory_policy": "volatile-lru"}
    assert result["persistence"]["aof_enabled"] is True


def test_check_module_reports_auth_failure():
    result = check(check_user="wandb", check_password="wrong-password-for-the-test")
    assert result["passed"] is False
    assert result["failures"][0].startswith("authentication failed at ")


def test_check_mode_on_converged_host_changes_nothing(converge_check_run):
    assert converge_check_run.rc == 0, converge_check_run.failure_messages()
    assert converge_check_run.changed == 0, converge_check_run.changed_tasks()


def test_a_password_rotation_shows_no_secret_anywhere_and_the_old_password_stops_working(host, address):
    """A rotation rewrites the secret-bearing ACL file, with --diff and at -vvv (every command Ansible runs
    on the host is printed, environment included) while every process's command line and environment
    is sampled: neither password nor the admin secret appears; the new password works at once, the
    old one no longer does, without a restart."""
    new = "Tst-redis-rotated-91c4e2-Secret"
    admin_secret = host.file("/etc/redis/onprem-wandb-admin.secret").content_string.strip()
    before = main_pid(host)
    try:
        run = run_playbook("converge.yml", extra_vars={"redis_password": new}, diff=True, verbose=True, watch=True)
        assert run.rc == 0, run.stdout[-3000:]
        assert "Write the ACL file (passwords only as SHA-256 hashes, readable by redis alone)" in changed_names(run)
        assert " EXEC " in run.stdout + run.stderr and run.process_samples > 20
        for secret in (PASSWORD, new, admin_secret):
            assert secret not in run.stdout + run.stderr + run.processes
        assert redis.Redis(host=address, port=6379, username="wandb", password=new, socket_timeout=5).ping()
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(host=address, port=6379, username="wandb", password=PASSWORD, socket_timeout=5).ping()
        assert main_pid(host) == before
    finally:
        back = run_playbook("converge.yml", diff=True, verbose=True, watch=True)
        assert back.rc == 0, back.stdout[-3000:]
        assert not [s for s in (PASSWORD, new, admin_secret) if s in back.stdout + back.stderr + back.processes]


def test_host_tuning_skipped_with_a_reason_in_containers():
    run = run_playbook("converge.yml")
    said = [result.get("msg", "") for name, _h, result in run.tasks if name == "Say why host tuning is skipped"]
    assert said and "container" in said[0] and "vm.overcommit_memory=1" in said[0]


GOOD = {"redis_password": PASSWORD}


@pytest.mark.parametrize(
    ("extra_vars", "fragments"),
    [
        pytest.param({}, ["redis_password"], id="missing-password"),
        pytest.param({"redis_password": "short"}, ["redis_password is empty or shorter than 16"], id="short-password"),
        pytest.param({**GOOD, "redis_package_version": "5:6.2.14-1"},
                     ['redis_package_version is "5:6.2.14-1"', "older than 7.0, the oldest release W&B names",
                      "W&B accepts 7.x (recommended)"], id="version-6-requested"),
        pytest.param({**GOOD, "redis_package_version": "6:8.0.2-1"},
                     ['redis_package_version is "6:8.0.2-1"', "Redis 8.0.2 is not named by W&B",
                      "set redis_accept_unnamed_versions: true"], id="version-8-not-accepted"),
        pytest.param({**GOOD, "redis_bind_addresses": ["0.0.0.0"]},
                     ['redis_bind_addresses is ["0.0.0.0"]', "redis_allow_bind_all"], id="bind-all"),
        pytest.param({**GOOD, "redis_bind_addresses": ["redis.example.internal"]},
                     ['redis_bind_addresses is ["redis.example.internal"]', "no names"], id="bind-name"),
        pytest.param({**GOOD, "redis_maxmemory_policy": "lots"}, ["redis_maxmemory_policy", "volatile-lru"],
                     id="unknown-policy"),
        pytest.param({**GOOD, "redis_tls_cert_src": "/etc/ssl/r.pem"}, ["all three files or none"], id="partial-tls"),
    ],
)
def test_bad_input_fails_before_any_change(extra_vars, fragments):
    run = run_playbook("bad_input.yml", extra_vars=extra_vars)
    assert_rejected_before_change(run, *fragments)
    assert PASSWORD not in run.stdout + run.stderr


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory, address):
    # 30 days: the check fails a certificate with fewer than 14 days left (redis_requirements_info certificate_min_days).
    return write_test_pki(tmp_path_factory.mktemp("redis-tls"), "onprem-wandb-redis", address, days=30)


def main_pid(host) -> str:
    pid = host.run("systemctl show -p MainPID --value redis-server").stdout.strip()
    assert pid not in ("", "0"), pid
    return pid


def admin(host, *command) -> str:
    result = host.run("/usr/local/libexec/onprem-wandb/redis-admin " + " ".join(command))
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def changed_names(run) -> list:
    return [name for name, _host in run.changed_tasks()]


def restarts(run) -> list:
    return [name for name in changed_names(run) if "Restart" in name]


def test_the_admin_password_stays_in_a_root_only_file(host):
    secret = host.file("/etc/redis/onprem-wandb-admin.secret")
    assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600)
    assert len(secret.content_string.strip()) == 40
    assert host.run("grep -rlF %s /etc /var/lib/redis /var/log", secret.content_string.strip()).stdout.split() == [
        "/etc/redis/onprem-wandb-admin.secret"]
    # The admin user can change settings and nothing else: no keys.
    denied = host.run("/usr/local/libexec/onprem-wandb/redis-admin GET anything")
    assert denied.rc == 1 and "NOPERM" in denied.stderr, denied.stdout + denied.stderr


def test_a_memory_and_acl_change_is_applied_live_without_a_restart(host, address):
    """One converge changes a setting (CONFIG SET) and W&B's ACL rules (ACL LOAD): both live, no restart;
    the converge back reverts both, still without a restart."""
    before = main_pid(host)
    client = redis.Redis(host=address, port=6379, username="wandb", password=PASSWORD, socket_timeout=5)
    try:
        run = run_playbook("converge.yml", extra_vars={"redis_maxmemory": 134217728, "redis_maxmemory_policy": "allkeys-lru",
                                                       "redis_acl_rules": "~* &* +@all -@admin -@dangerous"})
        assert run.rc == 0, run.failure_messages()
        assert "Apply the changed settings live (CONFIG SET), without a restart" in changed_names(run), run.changed_tasks()
        assert "Load the Redis ACL file (ACL LOAD, no restart)" in changed_names(run), run.changed_tasks()
        assert restarts(run) == [], run.changed_tasks()
        assert main_pid(host) == before
        assert admin(host, "CONFIG GET maxmemory").splitlines() == ["maxmemory", "134217728"]
        assert admin(host, "CONFIG GET maxmemory-policy").splitlines() == ["maxmemory-policy", "allkeys-lru"]
        # The file says the same, for the next start.
        assert "maxmemory 134217728" in host.file("/etc/redis/redis.live.conf").content_string
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.execute_command("KEYS", "*")  # in @dangerous: refused now
    finally:
        back = run_playbook("converge.yml")
        assert back.rc == 0, back.failure_messages()
    assert restarts(back) == [] and main_pid(host) == before
    assert admin(host, "CONFIG GET maxmemory").splitlines() == ["maxmemory", "268435456"]
    assert "Load the Redis ACL file (ACL LOAD, no restart)" in changed_names(back), back.changed_tasks()
    assert isinstance(client.execute_command("KEYS", "*"), list)  # W&B's rules again


def test_check_mode_reports_a_setting_changed_by_hand_and_converge_puts_it_back(host):
    before = main_pid(host)
    admin(host, "CONFIG SET maxmemory 1048576000")
    check_run = run_playbook("converge.yml", check=True)
    assert check_run.rc == 0, check_run.failure_messages()
    assert changed_names(check_run) == ["Apply the changed settings live (CONFIG SET), without a restart"]
    assert admin(host, "CONFIG GET maxmemory").splitlines()[1] == "1048576000"  # check mode changed nothing
    run = run_playbook("converge.yml")
    assert changed_names(run) == ["Apply the changed settings live (CONFIG SET), without a restart"]
    assert admin(host, "CONFIG GET maxmemory").splitlines()[1] == "268435456" and main_pid(host) == before


def test_a_key_that_does_not_match_its_certificate_fails_before_redis_is_touched(host, address, tls_files, tmp_path):
    """The key and the certificate are read on the controller first (onprem.wandb.common tls_files): the
    mismatch is refused before any change, naming both variables, and the running Redis keeps serving."""
    stranger = write_test_pki(tmp_path, "onprem-wandb-redis", address)
    before = main_pid(host)
    run = run_playbook("converge.yml", extra_vars={"redis_tls_cert_src": tls_files["cert"], "redis_tls_key_src": stranger["key"],
                                                   "redis_tls_ca_src": tls_files["ca"]})
    assert_rejected_before_change(run, f"redis_tls_key_src {stranger['key']} is not the key of redis_tls_cert_src {tls_files['cert']}")
    assert restarts(run) == [] and main_pid(host) == before
    assert redis.Redis(host=address, port=6379, username="wandb", password=PASSWORD, socket_timeout=5).ping()


def test_a_certificate_of_another_ca_or_name_is_refused_before_any_change(host, address, tls_files, tmp_path):
    """A CA that did not sign the certificate, a server certificate given as the CA, and a certificate that does
    not name what clients connect to: each named, before any change."""
    stranger = write_test_pki(tmp_path, "onprem-wandb-redis", address)
    before = main_pid(host)
    run = run_playbook("converge.yml", extra_vars={"redis_tls_cert_src": tls_files["cert"], "redis_tls_key_src": tls_files["key"],
                                                   "redis_tls_ca_src": stranger["ca"], "redis_tls_cert_names": ["cache.example.test"]})
    assert_rejected_before_change(run, f"redis_tls_cert_src {tls_files['cert']} is not signed by redis_tls_ca_src {stranger['ca']}",
                                  "not [\"cache.example.test\"], the name clients connect to")
    run = run_playbook("converge.yml", extra_vars={"redis_tls_cert_src": tls_files["cert"], "redis_tls_key_src": tls_files["key"],
                                                   "redis_tls_ca_src": tls_files["cert"]})
    assert_rejected_before_change(run, f"redis_tls_ca_src {tls_files['cert']} is not a CA certificate")
    assert restarts(run) == [] and main_pid(host) == before


def test_a_certificate_within_its_minimum_days_is_refused_before_any_change(address, tmp_path):
    """The site's certificate file is read on the controller: 5 days left, redis_tls_cert_min_days 14 (verify would
    fail it within days): Redis is never given it."""
    pki = write_test_pki(tmp_path, "onprem-wandb-redis", address, days=5)
    run = run_playbook("converge.yml", extra_vars={"redis_tls_cert_src": pki["cert"], "redis_tls_key_src": pki["key"],
                                                   "redis_tls_ca_src": pki["ca"]})
    assert_rejected_before_change(run, f"redis_tls_cert_src {pki['cert']} is valid from", "redis_tls_cert_min_days=14 more days")
    assert "has expired" not in run.failure_messages()


def test_tls_variant(host, address, tls_files):
    tls_vars = {"redis_tls_cert_src": tls_files["cert"], "redis_tls_key_src": tls_files["key"],
                "redis_tls_ca_src": tls_files["ca"]}
    try:
        before = main_pid(host)
        run = run_playbook("converge.yml", extra_vars=tls_vars)
        assert run.rc == 0, run.failure_messages()
        # A change Redis cannot take live (ports, TLS files): exactly one restart.
        assert restarts(run) == ["Restart the Redis service"], run.changed_tasks()
        assert main_pid(host) != before
        key = host.file("/etc/redis/tls/server.key")
        assert (key.user, key.mode) == ("redis", 0o600)
        # TLS took the port; plain TCP is closed.
        with pytest.raises(redis.exceptions.ConnectionError):
            redis.Redis(host=address, port=6379, username="wandb", password=PASSWORD, socket_timeout=5).ping()
        client = redis.Redis(host=address, port=6379, username="wandb", password=PASSWORD, socket_timeout=5,
                             ssl=True, ssl_ca_certs=tls_files["ca"], ssl_cert_reqs="required")
        assert client.ping()
        ok = check(check_user="wandb", check_tls=True, check_ca=tls_files["ca"])
        assert ok["passed"] is True and ok["tls"] is True, ok["failures"]
        untrusted = check(check_user="wandb", check_tls=True, check_ca=tls_files["other_ca"])
        assert untrusted["passed"] is False
        assert untrusted["failures"][0].startswith("TLS trust failure connecting to ")
        # A second run with TLS changes nothing: the lab's idempotence step proves it (its site turns Redis TLS on).
    finally:
        back = run_playbook("converge.yml")
        assert back.rc == 0, back.failure_messages()
