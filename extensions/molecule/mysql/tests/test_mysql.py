"""Verify the MySQL role against the real MySQL server it converged (Debian sid)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pymysql
import pytest
import testinfra
import yaml
from playbook_run import assert_rejected_before_change, run_playbook
from pki import write_test_pki

from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import minimum, parse_version, required_settings

testinfra_hosts = ["ansible://wandb_mysql"]

# Must match converge.yml; the tests look for it in every output.
PASSWORD = "Tst-8d1f3c0b-Secret!pw"
SITE = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars" / "site.yml").read_text(encoding="utf-8"))
SECRETS = [PASSWORD, SITE["mysql_replication_password"], SITE["mysql_backup_password"],
           SITE["mysql_backup_repository_env"]["AWS_SECRET_ACCESS_KEY"]]
# W&B's seven settings, from the collection's requirements table (the one place they are spelled).
WANDB_SETTINGS = {name: str(value) for name, value in required_settings().items()}


def converge_primary(extra_vars=None, **kwargs):
    """The scenario's converge on the primary only: these tests change the primary's settings (the standby
    has its own plays and tests in test_mysql_day2.py)."""
    return run_playbook("converge.yml", extra_vars=extra_vars, args=["--limit", "onprem-wandb-mysql"], **kwargs)


def sql(host, query):
    """Run a query as root through the socket (root's ~/.my.cnf) and return the rows."""
    result = host.run("mysql --batch --skip-column-names -e %s", query)
    assert result.rc == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def test_service_running_and_enabled(host):
    service = host.service("mysql")
    assert service.is_running
    assert service.is_enabled


def test_server_is_mysql_not_older_than_w_b_names(host):
    ((version, comment),) = sql(host, "SELECT @@version, @@version_comment")
    assert "mariadb" not in (version + comment).lower()
    assert parse_version(version) >= parse_version(minimum("mysql"))


@pytest.mark.parametrize(("name", "value"), sorted(WANDB_SETTINGS.items()))
def test_wandb_setting_effective(host, name, value):
    assert sql(host, f"SELECT @@GLOBAL.{name}") == [[value]]


def test_site_tuning_effective(host, address):
    rows = sql(host, "SELECT @@bind_address, @@max_connections, @@innodb_buffer_pool_size, "
                     "@@binlog_expire_logs_seconds, @@server_id, @@require_secure_transport")
    assert rows == [[address, "300", "268435456", "604800", rows[0][4], "0"]]
    assert int(rows[0][4]) > 1, "server_id is derived from the host's address"


def test_all_seven_settings_are_checked():
    assert len(WANDB_SETTINGS) == 7 and WANDB_SETTINGS["max_prepared_stmt_count"] == "1048576"


def test_settings_persist_across_restart(host):
    # Live values could have been SET GLOBAL only; a restart proves the files carry them.
    assert host.run("systemctl restart mysql").rc == 0
    for name, value in WANDB_SETTINGS.items():
        assert sql(host, f"SELECT @@GLOBAL.{name}") == [[value]]


def test_database_is_utf8mb4_general_ci(host):
    assert sql(host, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                     "WHERE SCHEMA_NAME = 'wandb_local'") == [["utf8mb4", "utf8mb4_general_ci"]]


def test_wandb_user_grants(host):
    grants = [row[0] for row in sql(host, "SHOW GRANTS FOR 'wandb_local'@'%'")]
    assert "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION" in grants
    assert sql(host, "SELECT plugin FROM mysql.user WHERE user = 'wandb_local'") == [["caching_sha2_password"]]


def test_root_only_through_the_socket(host, address):
    assert sql(host, "SELECT host, plugin FROM mysql.user WHERE user = 'root'") == [["localhost", "auth_socket"]]
    with pytest.raises(pymysql.err.OperationalError) as denied:
        pymysql.connect(host=address, user="root", password="", connect_timeout=5)
    assert denied.value.args[0] in (1045, 1130), denied.value


def test_no_anonymous_accounts_and_no_test_database(host):
    assert sql(host, "SELECT COUNT(*) FROM mysql.user WHERE user = ''") == [["0"]]
    assert sql(host, "SHOW DATABASES LIKE 'test'") == []


def test_config_files(host):
    settings = host.file("/etc/mysql/onprem-wandb.cnf")
    assert (settings.user, settings.group, settings.mode) == ("root", "root", 0o644)
    assert "sort_buffer_size = 67108864" in settings.content_string
    mycnf = host.file("/etc/mysql/my.cnf")
    assert mycnf.content_string.rstrip().splitlines()[-1] == "!include /etc/mysql/onprem-wandb.cnf"
    client = host.file("/root/.my.cnf")
    assert (client.user, client.mode) == ("root", 0o600)
    assert not re.search(r"(?m)^\s*password\s*=", client.content_string), "root must not need a password"


def test_secret_in_no_file_on_the_host(host):
    result = host.run("grep -rlF %s /etc /root /var/cache /var/log", PASSWORD)
    assert result.rc == 1, f"the W&B password is stored in plain text: {result.stdout}"


def test_wandb_user_works_over_tcp(address):
    connection = pymysql.connect(host=address, user="wandb_local", password=PASSWORD, database="wandb_local",
                                 connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE verify_probe (id INT PRIMARY KEY, note VARCHAR(16)) CHARACTER SET utf8mb4")
            cursor.execute("INSERT INTO verify_probe VALUES (1, %s)", ("wandb ✓",))
            cursor.execute("SELECT note FROM verify_probe")
            assert cursor.fetchone() == ("wandb ✓",)
            cursor.execute("DROP TABLE verify_probe")
    finally:
        connection.close()


def test_check_module_from_controller():
    run = run_playbook("check_from_controller.yml", extra_vars={"check_password": PASSWORD})
    results = {(name, host): result for name, host, result in run.tasks}
    ok = results[("Check W&B's requirements as the W&B user", "onprem-wandb-mysql")]
    assert ok["passed"] is True, ok["failures"]
    assert ok["server"]["flavour"] == "mysql"
    assert ok["database"] == {"name": "wandb_local", "exists": True, "charset": "utf8mb4",
                              "collation": "utf8mb4_general_ci", "ok": True}
    assert ok["settings"] == WANDB_SETTINGS
    assert {name: ok["checks"][name]["status"] for name in WANDB_SETTINGS} == dict.fromkeys(WANDB_SETTINGS, "passed")
    assert ok["grants"]["ok"] is True
    # MySQL 9.x is not named by W&B; the scenario accepts it explicitly, so it is a warning with the reason.
    server = ok["checks"]["server"]
    assert server["status"] == "warn", server
    assert f"MySQL {ok['server']['version']} is not named by W&B" in server["reason"]
    assert "accepted by mysql_accept_unnamed_versions" in server["reason"]
    assert ok["warned"] == [server["reason"]]
    strict = results[("Check a stricter requirement the server does not meet", "onprem-wandb-mysql")]
    assert strict["passed"] is False
    assert strict["checks"]["sort_buffer_size"] == {
        "status": "failed", "reason": "sort_buffer_size is 67108864, W&B requires at least 128M",
        "expected": "128M", "found": "67108864"}
    # Without the switch, the same server fails the version policy, and says how to accept it.
    assert strict["checks"]["server"]["status"] == "failed"
    assert "set mysql_accept_unnamed_versions: true" in strict["checks"]["server"]["reason"]
    mariadb = results[("Check W&B's requirements against MariaDB", "onprem-wandb-mariadb")]
    assert mariadb.get("failed") is True
    assert mariadb["server"]["flavour"] == "mariadb"
    assert "MariaDB is not MySQL" in mariadb["msg"] and "W&B accepts MySQL 8.4.x (recommended)" in mariadb["msg"]
    assert PASSWORD not in run.stdout + run.stderr


def test_check_mode_on_converged_host_changes_nothing(converge_check_run):
    assert converge_check_run.rc == 0, converge_check_run.failure_messages()
    assert converge_check_run.changed == 0, converge_check_run.changed_tasks()


def test_database_and_user_follow_the_site_declarations(host):
    """W&B is given wandb_mysql_database and wandb_mysql_user (the operator renders them); the role creates
    exactly those, with the same charset and grants, and publishes nothing for other roles."""
    declared = {"wandb_mysql_database": "wandb_declared", "wandb_mysql_user": "wandb_declared"}
    try:
        run = converge_primary(declared)
        assert run.rc == 0, run.failure_messages()
        # Nothing for other roles: no task set a site fact (wandb_*) other roles would read instead of the site file's.
        published = sorted({key for _name, _host, result in run.tasks for key in (result.get("ansible_facts") or {})
                            if str(key).startswith("wandb_")})
        assert published == [], published
        assert sql(host, "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
                         "WHERE SCHEMA_NAME = 'wandb_declared'") == [["utf8mb4"]]
        grants = [row[0] for row in sql(host, "SHOW GRANTS FOR 'wandb_declared'@'%'")]
        assert "GRANT ALL PRIVILEGES ON `wandb_declared`.* TO `wandb_declared`@`%` WITH GRANT OPTION" in grants
    finally:
        sql(host, "DROP DATABASE IF EXISTS wandb_declared; DROP USER IF EXISTS 'wandb_declared'@'%'")


def test_no_secret_in_any_command_line_environment_or_output_of_a_converge():
    """-vvv prints every command Ansible runs on the hosts (environment included) and every result, and
    every process's command line and environment is sampled during the run (the backup target's,
    the replica's and the backup jobs' included)."""
    run = run_playbook("converge.yml", diff=True, verbose=True, watch=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert run.changed == 0, run.changed_tasks()
    assert " EXEC " in run.stdout + run.stderr and run.process_samples > 20
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr, "a secret is in the -vvv output"
        assert secret not in run.processes, "a secret was in a process's command line or environment"


@pytest.fixture(scope="module")
def old_mysql_deb(tmp_path_factory):
    """A package that claims to be MySQL 8.0.27: what a site's stale artifact mirror could hold."""
    root = tmp_path_factory.mktemp("deb") / "mysql-server-core"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: mysql-server-core\nVersion: 8.0.27-1\nArchitecture: all\n"
        "Maintainer: onprem.wandb tests <tests@example.invalid>\nDescription: stale MySQL 8.0.27 artifact\n")
    subprocess.run(["dpkg-deb", "--build", str(root)], check=True, capture_output=True)
    return str(root) + ".deb"


GOOD = {"mysql_user_password": PASSWORD}
# An OpenPGP key that is not Oracle's (a unit-test fixture made with GnuPG).
OTHER_KEY = Path(__file__).resolve().parents[4] / "tests" / "unit" / "fixtures" / "other-signing-key.asc"


@pytest.mark.parametrize(
    ("extra_vars", "fragments"),
    [
        pytest.param({}, ["mysql_user_password"], id="missing-password"),
        pytest.param({"mysql_user_password": ""}, ["mysql_user_password is empty", "no default password"],
                     id="empty-password"),
        pytest.param({"mysql_user_password": "Sh0rt-but-9"}, ["mysql_user_password has 11 characters", "16 characters or more"],
                     id="short-password"),
        pytest.param({**GOOD, "mysql_extra_settings": {"skip-grant-tables": "ON", "local_infile": 1, "max_connect_errors": 9}},
                     ["mysql_extra_settings sets skip_grant_tables, local_infile", "disable authentication"], id="dangerous-extras"),
        pytest.param({**GOOD, "mysql_package_name": "default-mysql-server"},
                     ['mysql_package_name is "default-mysql-server"', "installs MariaDB"], id="mariadb-requested"),
        pytest.param({**GOOD, "mysql_package_name": "mariadb-server"},
                     ['mysql_package_name is "mariadb-server"', "MariaDB is not MySQL", "8.4.x (recommended)"],
                     id="mariadb-package"),
        pytest.param({**GOOD, "mysql_accept_unnamed_versions": False},
                     ["installed: MySQL 9.7.4 is not named by W&B", "set mysql_accept_unnamed_versions: true",
                      "The role installs only what W&B's policy accepts: MySQL 8.4.x (recommended)"],
                     id="unnamed-version-not-accepted"),
        pytest.param({**GOOD, "mysql_sort_buffer_size": "lots"}, ["mysql_sort_buffer_size", "int"],
                     id="sort-buffer-not-integer"),
        pytest.param({**GOOD, "mysql_sort_buffer_size": 262144},
                     ["mysql_sort_buffer_size=262144", "at least 67108864"], id="sort-buffer-too-small"),
        pytest.param({**GOOD, "mysql_user_host": "bad host!"}, ['mysql_user_host is "bad host!"', "wildcards"],
                     id="invalid-host-pattern"),
        pytest.param({**GOOD, "mysql_extra_settings": {"sort-buffer-size": "32M"}},
                     ["mysql_extra_settings sets sort_buffer_size"], id="extra-overrides-required"),
        pytest.param({**GOOD, "mysql_innodb_buffer_pool_size": 200000000},
                     ["mysql_innodb_buffer_pool_size=200000000", "multiple of 134217728"], id="buffer-pool-unaligned"),
        pytest.param({**GOOD, "mysql_tls_cert_src": "/etc/ssl/server.pem"},
                     ['mysql_tls_cert_src="/etc/ssl/server.pem"', "all three files or none"], id="partial-tls"),
        # A signing key that is not Oracle's (what a compromised mirror would serve) is never installed.
        pytest.param({**GOOD, "mysql_install_source": "oracle_apt", "mysql_oracle_apt_key_src": str(OTHER_KEY)},
                     ["has the fingerprint(s) 60691DB09EDB4FE05574D7BEFBE4E754040D38B7",
                      "mysql_oracle_apt_key_fingerprint pins BCA43417C3B485DD128EC6D4B7B3B788A8D3785C", "was not installed"],
                     id="oracle-key-not-pinned"),
        pytest.param({**GOOD, "mysql_user_auth_plugin": "mysql_native_password"},
                     ["mysql_native_password", "MySQL 9.7.4", "caching_sha2_password"], id="native-password-on-9"),
    ],
)
def test_bad_input_fails_before_any_change(extra_vars, fragments):
    run = run_playbook("bad_input.yml", extra_vars=extra_vars)
    assert_rejected_before_change(run, *fragments)
    assert PASSWORD not in run.stdout + run.stderr


def test_an_expired_certificate_is_refused_before_any_change(tmp_path):
    """The site's certificate file is read on the controller: past its end (or within mysql_tls_cert_min_days of
    it), MySQL is never given it."""
    pki = write_test_pki(tmp_path, "onprem-wandb-mysql", days=-2)
    run = run_playbook("bad_input.yml", extra_vars={**GOOD, "mysql_tls_cert_src": pki["cert"], "mysql_tls_key_src": pki["key"],
                                                    "mysql_tls_ca_src": pki["ca"]})
    assert_rejected_before_change(run, f"mysql_tls_cert_src {pki['cert']} is valid from", "and has expired",
                                  "mysql_tls_cert_min_days=14")


def test_the_site_preflight_refuses_mysql_and_redis_sized_for_the_same_memory():
    """MySQL and Redis on one host, each sized by its default from the host's memory: onprem.wandb.preflight
    (what onprem.wandb.site runs first) refuses it before any change, naming both variables."""
    run = run_playbook("onprem.wandb.preflight", args=["--tags", "mysql,redis"], extra_vars={
        **GOOD, "wandb_servers_hosts": "onprem-wandb-mysql", "wandb_mysql_hosts": "onprem-wandb-mysql",
        "wandb_redis_hosts": "onprem-wandb-mysql", "wandb_operator_hosts": "onprem-wandb-mysql",
        "redis_password": "Tst-redis-on-mysql-Secret", "redis_accept_unnamed_versions": True})
    assert run.rc != 0
    assert run.changed == 0, run.changed_tasks()
    assert run.failures()[-1][0] == "Stop before any change when a host has a problem", run.failure_messages()
    shown = " ".join(run.failures()[-1][2].get("msg", "").split())
    assert re.search(r"onprem-wandb-mysql: memory: innodb_buffer_pool_size=\d+ \+ redis_maxmemory=\d+ = \d+ bytes, more than "
                     r"80% of the memory of the host \(\d+ bytes\): lower them in group_vars or host_vars", shown), shown
    assert PASSWORD not in run.stdout + run.stderr


def test_too_old_local_package_is_refused(old_mysql_deb):
    run = run_playbook("bad_input.yml", extra_vars={**GOOD, "mysql_install_source": "local_packages",
                                                    "mysql_local_packages": [old_mysql_deb]})
    # The converged host already runs 9.7.4; the stale artifact alone must not pass either.
    assert_rejected_before_change(run, "from local_packages: mysql 8.0.27: older than 8.0.32, the oldest release W&B names")


def test_installed_mariadb_is_refused():
    run = run_playbook("refuse_mariadb.yml")
    assert_rejected_before_change(run, "mariadb-server 1:10.11", "is installed on onprem-wandb-mariadb",
                                  "MariaDB, not MySQL")


def main_pid(host):
    return host.run("systemctl show -p MainPID --value mysql").stdout.strip()


def connects_as_wandb(address):
    """None when the W&B user connects from the controller, else MySQL's error code."""
    try:
        pymysql.connect(host=address, user="wandb_local", password=PASSWORD, database="wandb_local", connect_timeout=5).close()
    except pymysql.err.OperationalError as error:
        return error.args[0]
    return None


def test_a_dynamic_and_a_static_change_and_a_narrowed_account_in_one_converge_restart_once(host, address):
    """One converge changes a dynamic setting (applied live), a static one (written, then one restart)
    and narrows the W&B user to a network without the controller (what the site's
    components.kubernetes.client_cidr does): the '%' account is dropped and a connection from outside
    is refused. The converge back restarts once more (a setting removed from the file is reset only by
    a restart) and gives the account back to any host. (A dynamic change alone does not restart MySQL:
    the prepared-statement test below proves it.)"""
    before = main_pid(host)
    try:
        run = converge_primary({"mysql_max_connections": 310, "mysql_user_host": "192.0.2.0/24",
                                "mysql_extra_settings": {"binlog_expire_logs_seconds": 604800, "skip_name_resolve": "ON"}})
        assert run.rc == 0, run.failure_messages()
        assert ("Apply the changed dynamic settings live", "onprem-wandb-mysql") in run.changed_tasks()
        restarts = [name for name, on in run.changed_tasks() if name == "Restart the MySQL service" and on == "onprem-wandb-mysql"]
        assert restarts == ["Restart the MySQL service"], run.changed_tasks()
        assert main_pid(host) != before
        assert sql(host, "SELECT @@GLOBAL.skip_name_resolve, @@GLOBAL.max_connections") == [["1", "310"]]
        assert "max_connections = 310" in host.file("/etc/mysql/onprem-wandb.cnf").content_string
        assert sql(host, "SELECT host FROM mysql.user WHERE user = 'wandb_local'") == [["192.0.2.0/24"]]
        assert connects_as_wandb(address) in (1045, 1130)  # access denied / host not allowed
    finally:
        before = main_pid(host)
        back = converge_primary()
    assert back.rc == 0, back.failure_messages()
    assert main_pid(host) != before, "a setting removed from the file must be reset by a restart"
    assert sql(host, "SELECT @@GLOBAL.skip_name_resolve, @@GLOBAL.max_connections") == [["0", "300"]]
    assert sql(host, "SELECT host FROM mysql.user WHERE user = 'wandb_local'") == [["%"]]
    assert connects_as_wandb(address) is None


def test_prepared_statement_limit_below_w_b_fails_the_check_and_converge_restores_it_live(host):
    """The seventh setting: a server with MySQL's default (16382) fails the check naming the setting, the
    value W&B requires and the value found; the role sets it back live, without a restart."""
    sql(host, "SET GLOBAL max_prepared_stmt_count = 16382")
    run = run_playbook("check_from_controller.yml", extra_vars={"check_password": PASSWORD})
    (result,) = [r for name, _h, r in run.tasks if name == "Check W&B's requirements as the W&B user"]
    assert result["passed"] is False
    assert result["checks"]["max_prepared_stmt_count"] == {
        "status": "failed", "reason": "max_prepared_stmt_count is 16382, W&B requires 1048576",
        "expected": 1048576, "found": "16382"}
    assert result["failures"] == ["max_prepared_stmt_count is 16382, W&B requires 1048576"]
    before = main_pid(host)
    healed = converge_primary()
    assert healed.rc == 0, healed.failure_messages()
    assert ("Apply the changed dynamic settings live", "onprem-wandb-mysql") in healed.changed_tasks()
    assert sql(host, "SELECT @@GLOBAL.max_prepared_stmt_count") == [["1048576"]]
    assert main_pid(host) == before, "max_prepared_stmt_count is dynamic: no restart"


# TLS (require_secure_transport, the 3159 refusal, a verified connection for the declared name, key
# file modes, idempotence and check mode with TLS) is tested in the lab, where the site file turns it
# on for the primary and the standby (extensions/molecule/lab/tests/test_lab.py::test_mysql_takes_w_b_s_user_over_tls_only).


def test_check_mode_on_a_new_host_previews_without_installing():
    run = run_playbook("check_new_host.yml", check=True, diff=True)
    assert run.rc == 0, run.failure_messages()
    changed = [name for name, _host in run.changed_tasks()]
    assert "Install the MySQL server and the Python driver the role's modules use" in changed
    assert "Write the W&B settings file, checked by mysqld before it is used" in changed
    new = testinfra.get_host("ansible://onprem-wandb-mysql-new",
                             ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])
    assert not new.package("mysql-server").is_installed
    assert not new.file("/etc/mysql/onprem-wandb.cnf").exists
    assert PASSWORD not in run.stdout + run.stderr
