"""Day-2 drills on real MySQL: the hot standby, the off-host backups (restic to a separate MinIO over
TLS), restores (whole, point in time, onto a fresh host), retention, verify's checks and, last, the
promotion and the rebuild of the old primary as a replica.

This file sorts after test_mysql.py on purpose: the promotion at its end swaps the roles of the hosts.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path

import pytest
import testinfra
import yaml
from playbook_run import assert_rejected_before_change, run_playbook

testinfra_hosts = ["ansible://wandb_mysql"]

SITE = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars" / "site.yml").read_text())
SECRETS = [SITE["mysql_user_password"], SITE["mysql_replication_password"], SITE["mysql_backup_password"],
           SITE["mysql_backup_repository_env"]["AWS_SECRET_ACCESS_KEY"]]
TOOL = "/usr/local/sbin/onprem-wandb-mysql-backup"
PRIMARY, REPLICA, FRESH = "onprem-wandb-mysql", "onprem-wandb-mysql-replica", "onprem-wandb-mysql-new"


def other(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def sql(host, query):
    result = host.run("mysql --batch --skip-column-names -e %s", query)
    assert result.rc == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def checksum(host, table):
    """CHECKSUM TABLE and the row count: what a restore must bring back exactly."""
    (row,) = sql(host, f"CHECKSUM TABLE wandb_local.{table}")
    ((count,),) = sql(host, f"SELECT COUNT(*) FROM wandb_local.{table}")
    return row[1], count


def wait_for(predicate, timeout=180):
    """Poll until predicate() is true (returns at once then). The limit is generous: a replica whose source
    restarted reconnects on its retry interval, and a loaded CI machine runs this scenario 1.5x slower.
    A query that fails meanwhile (a table the replica has not created yet: sql() asserts on it) counts as
    not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except AssertionError:
            pass
        time.sleep(1)
    return predicate()


def replica_state(host):
    """What a replication wait that timed out reports: the receiver's and the applier's state and last errors."""
    return host.run("mysql --vertical -e %s", "SHOW REPLICA STATUS").stdout


def backup(host, job):
    result = host.run(f"systemctl start onprem-wandb-mysql-backup@{job}.service")
    assert result.rc == 0, host.run(f"journalctl -u onprem-wandb-mysql-backup@{job} -n 30 --no-pager").stdout


def assert_no_secret(run):
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr


@pytest.fixture(scope="module")
def replica():
    return other(REPLICA)


def test_replica_is_a_read_only_copy_that_streams_the_primary(host, replica):
    sql(host, "DROP TABLE IF EXISTS wandb_local.standby_probe; CREATE TABLE wandb_local.standby_probe (id INT PRIMARY KEY, note VARCHAR(32)); "
              "INSERT INTO wandb_local.standby_probe VALUES (1, 'written on the primary')")
    assert wait_for(lambda: sql(replica, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'standby_probe'")
                    == [["1"]] and sql(replica, "SELECT note FROM wandb_local.standby_probe") == [["written on the primary"]]), \
        replica_state(replica)
    ((io, applier, source, auto),) = sql(replica, "SELECT SERVICE_STATE, (SELECT SERVICE_STATE FROM "
                                                  "performance_schema.replication_applier_status), "
                                                  "(SELECT HOST FROM performance_schema.replication_connection_configuration), "
                                                  "(SELECT AUTO_POSITION FROM performance_schema.replication_connection_configuration) "
                                                  "FROM performance_schema.replication_connection_status")
    assert (io, applier, source, auto) == ("ON", "ON", PRIMARY, "1")
    # Encrypted: the receiver's connection uses TLS.
    assert sql(replica, "SELECT SSL_ALLOWED FROM performance_schema.replication_connection_configuration") == [["YES"]]
    denied = replica.run("mysql -e %s", "INSERT INTO wandb_local.standby_probe VALUES (2, 'written on the standby')")
    assert denied.rc != 0 and "super-read-only" in denied.stderr
    assert sql(replica, "SELECT @@GLOBAL.super_read_only, @@GLOBAL.gtid_mode") == [["1", "ON"]]
    sql(host, "DROP TABLE wandb_local.standby_probe")


def test_replica_meets_w_b_settings_and_has_the_w_b_user(host, replica):
    names = ["binlog_format", "sort_buffer_size", "max_prepared_stmt_count", "innodb_online_alter_log_max_size"]
    query = "SELECT " + ", ".join(f"@@GLOBAL.{n}" for n in names)
    assert sql(replica, query) == sql(host, query)
    assert sql(replica, "SELECT plugin FROM mysql.user WHERE user = 'wandb_local'") == [["caching_sha2_password"]]


def test_backup_files_are_root_only_and_hold_no_secret_in_world_readable_places(host):
    for name in ("password", "restic.env", "aws-credentials", "config.json"):
        item = host.file(f"/etc/onprem-wandb/mysql-backup/{name}")
        assert (item.user, item.mode) == ("root", 0o600), name
    # The S3 keys are in AWS's credentials file, so restic runs with none in its environment.
    assert "AWS_SECRET_ACCESS_KEY" not in host.file("/etc/onprem-wandb/mysql-backup/restic.env").content_string
    assert SECRETS[3] in host.file("/etc/onprem-wandb/mysql-backup/aws-credentials").content_string
    assert host.file("/etc/onprem-wandb/mysql-backup").mode == 0o700
    for secret in SECRETS[2:]:
        found = host.run("grep -rlF --exclude-dir=mysql-backup %s /etc /usr/local /var/log /root", secret).stdout.split()
        assert found == [], f"a backup secret is stored outside the root-only directory: {found}"
    # The unit carries no secret and no environment: the tool reads the root-only files.
    unit = host.file("/etc/systemd/system/onprem-wandb-mysql-backup@.service").content_string
    assert "Environment" not in unit


def test_timers_are_scheduled(host):
    for job in ("dump", "binlogs", "check"):
        timer = host.service(f"onprem-wandb-mysql-backup-{job}.timer")
        assert timer.is_enabled and timer.is_running, job
    shown = host.run("systemctl show -p TimersCalendar -p RandomizedDelayUSec onprem-wandb-mysql-backup-dump.timer").stdout
    assert "OnCalendar=*-*-* 00:00:00" in shown, shown  # daily
    assert "RandomizedDelayUSec=1h" in shown


def test_restore_refuses_a_non_empty_database(host):
    sql(host, "DROP TABLE IF EXISTS wandb_local.drill_runs; CREATE TABLE wandb_local.drill_runs (id INT PRIMARY KEY, name VARCHAR(64), payload BLOB); "
              "INSERT INTO wandb_local.drill_runs SELECT n, CONCAT('run-', n), RANDOM_BYTES(64) FROM "
              "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 500) SELECT n FROM s) t")
    written = checksum(host, "drill_runs")
    backup(host, "dump")
    stamp = host.file("/var/lib/onprem-wandb/mysql-backup/dump.last-success")
    assert stamp.exists and abs(int(stamp.content_string) - time.time()) < 300

    refused = run_playbook("onprem.wandb.mysql_restore", extra_vars=SITE)
    assert refused.rc != 0
    assert "the database wandb_local holds" in refused.failure_messages()
    assert "mysql_backup_restore_force=true" in refused.failure_messages()
    assert checksum(host, "drill_runs") == written, "a refused restore changed the data"
    # The restore itself is the next test's (to a point in time) and the fresh host's (to the latest).


def test_point_in_time_restore_stops_between_two_writes(host):
    written = checksum(host, "drill_runs")
    sql(host, "DROP TABLE IF EXISTS wandb_local.drill_pitr; CREATE TABLE wandb_local.drill_pitr (id INT PRIMARY KEY, phase VARCHAR(16)); "
              "INSERT INTO wandb_local.drill_pitr VALUES (1, 'before dump')")
    backup(host, "dump")
    sql(host, "INSERT INTO wandb_local.drill_pitr VALUES (2, 'after dump')")
    time.sleep(2)
    ((between,),) = sql(host, "SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s')")
    time.sleep(2)
    sql(host, "INSERT INTO wandb_local.drill_pitr VALUES (3, 'too late')")
    backup(host, "binlogs")
    sql(host, "DROP DATABASE wandb_local")
    run = run_playbook("onprem.wandb.mysql_restore", extra_vars={**SITE, "mysql_backup_restore_to_time": between})
    assert run.rc == 0, run.failure_messages()
    assert sql(host, "SELECT id, phase FROM wandb_local.drill_pitr ORDER BY id") == [["1", "before dump"], ["2", "after dump"]]
    # The earlier drill's table came back from the same dump too, byte for byte, in a utf8mb4 database.
    assert checksum(host, "drill_runs") == written
    assert sql(host, "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'wandb_local'") \
        == [["utf8mb4"]]
    assert_no_secret(run)


def test_restore_onto_a_fresh_host_from_the_primary_s_backups(host):
    written = checksum(host, "drill_runs")
    run = run_playbook("onprem.wandb.mysql_restore", extra_vars={
        **SITE, "wandb_mysql_restore_hosts": FRESH, "mysql_backup_restore_from_host": PRIMARY,
        "mysql_replication_enabled": False})
    assert run.rc == 0, run.failure_messages()
    fresh = other(FRESH)
    assert checksum(fresh, "drill_runs") == written
    grants = [row[0] for row in sql(fresh, "SHOW GRANTS FOR 'wandb_local'@'%'")]
    assert "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION" in grants


def expected_kept_days(days):
    """restic's keep-daily 7 + keep-weekly 4 over snapshot days: the newest day of each of the newest 7 days
    and of the newest 4 ISO weeks; a rule with fewer buckets than its count also keeps the oldest snapshot
    (restic 0.17+: "oldest weekly snapshot")."""
    days = sorted(set(days), reverse=True)
    kept = set()
    for count, bucket in ((7, lambda day: day), (4, lambda day: day.isocalendar()[:2])):
        seen = []
        for day in days:
            if bucket(day) not in seen:
                seen.append(bucket(day))
                if len(seen) <= count:
                    kept.add(day)
        if len(seen) < count:
            kept.add(days[-1])
    return kept


def snapshots_tagged(host, tag):
    return json.loads(host.run(f"{TOOL} restic snapshots --json --tag onprem-wandb,{tag}").stdout or "[]")


def dump_days(host):
    status = json.loads(host.run(f"{TOOL} status").stdout)
    return status, sorted({datetime.datetime.fromtimestamp(s["time"]).date() for s in status["dumps"]})


def test_retention_keeps_seven_daily_across_nine_days(host):
    today = datetime.date.today()
    for back in range(1, 10):
        stamp = (datetime.datetime.combine(today - datetime.timedelta(days=back), datetime.time(3, 0))).strftime("%Y-%m-%d %H:%M:%S")
        made = host.run(f"echo drill-{back} | {TOOL} restic backup --host {PRIMARY} --tag onprem-wandb,mysql-dump "
                        f"--time '{stamp}' --stdin --stdin-filename wandb_local.sql")
        assert made.rc == 0, made.stderr
    status, before = dump_days(host)
    assert len(before) == 10 and status["retention_would_remove"] > 0
    check = run_playbook("check_day2.yml", extra_vars=SITE)
    (result,) = [r for name, h, r in check.tasks if name == "Check the backups in the off-host repository"]
    assert result["checks"]["retention"]["status"] == "failed"
    assert "outside the retention" in result["checks"]["retention"]["reason"]

    backup(host, "dump")  # a dump ends with restic forget --prune
    status, after = dump_days(host)
    assert set(after) == expected_kept_days(before)
    assert len([day for day in after if (today - day).days < 7]) == 7
    assert status["retention_would_remove"] == 0
    # The hourly binary-log shipments between two dumps keep to the retention too: verify reads it at any hour
    # (before, every shipment since the last dump counted as "outside the retention" until the next dump).
    before_ships = len(snapshots_tagged(host, "mysql-binlogs"))
    backup(host, "binlogs")
    backup(host, "binlogs")
    status, _days = dump_days(host)
    assert status["retention_would_remove"] == 0, status
    assert len(snapshots_tagged(host, "mysql-binlogs")) <= before_ships + 1  # one kept per day, as the retention says


def test_verify_checks_report_backup_age_and_replication_health(host):
    backup(host, "check")
    run = run_playbook("check_day2.yml", extra_vars=SITE)
    assert run.rc == 0, run.failure_messages()
    results = {(name, h): r for name, h, r in run.tasks}
    backups = results[("Check the backups in the off-host repository", PRIMARY)]
    assert backups["passed"] is True, backups["failures"]
    assert set(backups["checks"]) == {"repository", "last_dump", "last_binlogs", "retention", "last_check"}
    assert backups["checks"]["last_dump"]["expected"] == "within 26h 0m"
    assert backups["checks"]["last_dump"]["found"].endswith(" UTC")
    assert backups["checks"]["retention"]["found"] == "--keep-daily 7 --keep-weekly 4"
    standby = results[("Check the standby's replication", REPLICA)]
    assert standby["passed"] is True, standby["failures"]
    assert standby["checks"]["replication_source"]["found"] == f"{PRIMARY}:3306"
    assert standby["checks"]["replication_lag"]["status"] == "passed"
    assert standby["promotable"] is True
    assert_no_secret(run)


def test_verify_fails_when_the_repository_is_unreachable(host):
    target = other("onprem-wandb-backup-target")
    assert target.run("systemctl stop backup-target").rc == 0
    try:
        run = run_playbook("check_day2.yml", extra_vars=SITE)
        results = {(name, h): r for name, h, r in run.tasks}
        backups = results[("Check the backups in the off-host repository", PRIMARY)]
        assert backups["passed"] is False
        assert backups["checks"]["repository"]["status"] == "failed"
        assert "no answer from s3:https://onprem-wandb-backup-target:9000/wandb-mysql-backups within" \
            in backups["checks"]["repository"]["reason"]
        assert backups["checks"]["last_dump"]["reason"].startswith("not judged")
    finally:
        assert target.run("systemctl start backup-target").rc == 0


def test_a_failing_job_fails_its_unit_and_keeps_the_last_success_time(host):
    password = "/etc/onprem-wandb/mysql-backup/password"
    stamp = "/var/lib/onprem-wandb/mysql-backup/binlogs.last-success"
    before = host.file(stamp).content_string
    saved = host.run(f"cp -p {password} {password}.drill").rc
    assert saved == 0
    try:
        assert host.run(f"printf wrong-password-for-the-drill > {password}").rc == 0
        assert host.run("systemctl start onprem-wandb-mysql-backup@binlogs.service").rc != 0
        assert host.run("systemctl is-failed onprem-wandb-mysql-backup@binlogs.service").stdout.strip() == "failed"
        assert host.file(stamp).content_string == before
    finally:
        host.run(f"mv {password}.drill {password}")
        host.run("systemctl reset-failed onprem-wandb-mysql-backup@binlogs.service")
    backup(host, "binlogs")


@pytest.mark.parametrize(
    ("playbook", "extra_vars", "fragments"),
    [
        pytest.param("bad_input_backup.yml", {**SITE, "mysql_backup_keep_daily": 6},
                     ["mysql_backup_keep_daily is 6", "must be 7 or more"], id="retention-below-a-week"),
        pytest.param("bad_input_backup.yml", {**SITE, "mysql_backup_repository": "s3:https://onprem-wandb-mysql:9000/b"},
                     ["(host onprem-wandb-mysql)", "a backup must leave the MySQL host"], id="target-on-the-mysql-host"),
        pytest.param("bad_input_backup.yml", {**SITE, "mysql_backup_repository": "/srv/backups/wandb"},
                     ['mysql_backup_repository is "/srv/backups/wandb"', "a backup must leave the MySQL host"],
                     id="target-is-a-local-path"),
        pytest.param("bad_input_backup.yml", {k: v for k, v in SITE.items() if k != "mysql_backup_password"},
                     ["mysql_backup_password"], id="missing-repository-password"),
        pytest.param("bad_input_replica.yml", {**SITE, "mysql_replication_source_host": REPLICA},
                     [f"mysql_replication_source_host is \"{REPLICA}\"", "it names this host itself"], id="replica-is-its-own-source"),
        pytest.param("bad_input_replica.yml", {**SITE, "mysql_replication_password": "short"},
                     ["mysql_replication_password is missing, shorter than 16 or longer than 32"], id="short-replication-password"),
        pytest.param("bad_input_replica.yml", {**SITE, "mysql_replication_password": "x" * 33},
                     ["mysql_replication_password is missing, shorter than 16 or longer than 32",
                      "MySQL refuses a replication password longer than 32"], id="long-replication-password"),
    ],
)
def test_bad_day2_input_fails_before_any_change(playbook, extra_vars, fragments):
    run = run_playbook(playbook, extra_vars=extra_vars)
    assert_rejected_before_change(run, *fragments)
    assert_no_secret(run)


def test_promotion_refused_while_not_all_applied_then_promote_and_rebuild(host, replica):
    """Stop the primary, promote the standby, write on it; then rebuild the old primary as its replica."""
    refused = run_playbook("onprem.wandb.mysql_promote", extra_vars={**SITE, "mysql_promote_host": PRIMARY})
    assert refused.rc != 0 and "name one host of the" in refused.failure_messages()

    sql(host, "DROP TABLE IF EXISTS wandb_local.drill_failover; CREATE TABLE wandb_local.drill_failover (id INT PRIMARY KEY); "
              "INSERT INTO wandb_local.drill_failover VALUES (1)")
    assert wait_for(lambda: sql(replica, "SELECT COUNT(*) FROM wandb_local.drill_failover") == [["1"]]), replica_state(replica)
    assert host.run("systemctl stop mysql").rc == 0
    run = run_playbook("onprem.wandb.mysql_promote", extra_vars={**SITE, "mysql_promote_host": REPLICA})
    assert run.rc == 0, run.failure_messages()
    assert sql(replica, "SELECT @@GLOBAL.super_read_only, @@GLOBAL.read_only") == [["0", "0"]]
    assert sql(replica, "SHOW REPLICA STATUS") == []
    sql(replica, "INSERT INTO wandb_local.drill_failover VALUES (2)")
    assert "read_only = OFF" in replica.file("/etc/mysql/onprem-wandb.cnf").content_string
    (next_steps,) = [r for name, _h, r in run.tasks if name == "Print the next steps"]
    assert f"components.mysql.hosts [{REPLICA}]" in next_steps["msg"]
    assert_no_secret(run)

    # Promoting it again is refused: it is not a replica any more.
    again = run_playbook("onprem.wandb.mysql_promote", extra_vars={**SITE, "mysql_promote_host": REPLICA})
    assert again.rc != 0 and "already promoted?" in again.failure_messages()

    # The old primary comes back and is rebuilt as a replica of the new one (docs/operations.md).
    assert host.run("systemctl start mysql").rc == 0
    refused = run_playbook("rebuild_old_primary.yml", extra_vars=SITE)
    assert refused.rc != 0 and "mysql_replication_reclone=true" in refused.failure_messages()
    rebuilt = run_playbook("rebuild_old_primary.yml", extra_vars={**SITE, "mysql_replication_reclone": True})
    assert rebuilt.rc == 0, rebuilt.failure_messages()
    assert wait_for(lambda: sql(host, "SELECT COUNT(*) FROM wandb_local.drill_failover") == [["2"]]), replica_state(host)
    sql(replica, "INSERT INTO wandb_local.drill_failover VALUES (3)")
    assert wait_for(lambda: sql(host, "SELECT COUNT(*) FROM wandb_local.drill_failover") == [["3"]]), replica_state(host)
    assert sql(host, "SELECT @@GLOBAL.super_read_only") == [["1"]]
    settled = run_playbook("rebuild_old_primary.yml", extra_vars=SITE)
    assert settled.rc == 0 and settled.changed == 0, settled.changed_tasks()
