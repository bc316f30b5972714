"""Unit tests of the day-2 judgements: a replica (module_utils/mysql_replication.py) and the backups
(module_utils/mysql_backup.py). The Molecule drills prove them against real MySQL and restic."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.wandb.plugins.module_utils.mysql_backup import backup_checks
from ansible_collections.onprem.wandb.plugins.module_utils.mysql_replication import promotion_refusals, replication_checks

HEALTHY = {"Source_Host": "db1", "Source_Port": 3306, "Auto_Position": 1, "Replica_IO_Running": "Yes",
           "Replica_SQL_Running": "Yes", "Seconds_Behind_Source": 0, "Retrieved_Gtid_Set": "u:1-5"}
READ_ONLY = {"super_read_only": "ON", "read_only": "ON", "gtid_mode": "ON"}


def statuses(checks):
    return {name: check["status"] for name, check in checks.items()}


def test_a_healthy_replica_passes_every_check():
    checks = replication_checks(HEALTHY, READ_ONLY, "db1", 3306, 60)
    assert set(statuses(checks).values()) == {"passed"}
    assert checks["replication_lag"] == {"status": "passed", "reason": "every received transaction applied, within the limit",
                                         "expected": "<= 60s"}


@pytest.mark.parametrize(("change", "check", "fragment"), [
    ({"Source_Host": "db9"}, "replication_source", "replicates from db9, the site declares db1"),
    ({"Auto_Position": 0}, "replication_source", "GTID auto-positioning is off"),
    ({"Replica_IO_Running": "Connecting", "Last_IO_Error": "error connecting to source"}, "replication_threads",
     "the receiver (IO) thread is Connecting: error connecting to source"),
    ({"Replica_SQL_Running": "No", "Last_SQL_Error": "duplicate key"}, "replication_threads",
     "the applier (SQL) thread is No: duplicate key"),
    ({"Seconds_Behind_Source": 61}, "replication_lag", "61s behind the source"),
    ({"Seconds_Behind_Source": None}, "replication_lag", "the lag is unknown"),
])
def test_each_replica_fault_fails_its_check_with_the_reason(change, check, fragment):
    checks = replication_checks({**HEALTHY, **change}, READ_ONLY, "db1", 3306, 60)
    assert checks[check]["status"] == "failed"
    assert fragment in checks[check]["reason"]


def test_a_writable_standby_and_missing_gtids_fail():
    checks = replication_checks(HEALTHY, {"super_read_only": "OFF", "gtid_mode": "OFF"}, "db1", 3306)
    assert checks["read_only"]["status"] == checks["gtid_mode"]["status"] == "failed"


def test_unconfigured_replication_fails_all_replication_checks():
    checks = replication_checks({}, READ_ONLY, "db1", 3306)
    assert [checks[n]["status"] for n in ("replication_source", "replication_threads", "replication_lag")] == ["failed"] * 3


def test_unapplied_transactions_fail_the_lag_check_even_at_zero_seconds():
    assert replication_checks(HEALTHY, READ_ONLY, all_applied=False)["replication_lag"]["status"] == "failed"


def test_promotion_rules():
    assert promotion_refusals(HEALTHY, True, 60) == []
    # Source down: the receiver is not running; everything received is applied: promote.
    assert promotion_refusals({**HEALTHY, "Replica_IO_Running": "Connecting", "Seconds_Behind_Source": None}, True, 60) == []
    assert "not applied yet" in promotion_refusals(HEALTHY, False, 60)[0]
    assert "behind a source that is still up" in promotion_refusals({**HEALTHY, "Seconds_Behind_Source": 300}, True, 60)[0]
    assert "already promoted?" in promotion_refusals({}, True, 60)[0]
    assert "stopped on an error" in promotion_refusals({**HEALTHY, "Replica_SQL_Running": "No", "Last_SQL_Error": "x"}, True)[0]


NOW = 1_800_000_000
STATUS = {"now": NOW, "reachable": True, "retention": ["--keep-daily", "7", "--keep-weekly", "4"],
          "dumps": [{"id": "a", "time": NOW - 3600}], "binlogs": [{"id": "b", "time": NOW - 600}],
          "retention_would_remove": 0, "last_success": {"check": NOW - 86400}}


def test_fresh_backups_pass():
    checks = backup_checks(STATUS, 26, 3, 8, "--keep-daily 7 --keep-weekly 4")
    assert set(statuses(checks).values()) == {"passed"}, checks
    # Times, not ages: a report of unchanged backups stays the same from run to run.
    assert checks["last_dump"] == {"status": "passed", "reason": "the newest dump was made at 2027-01-15 07:00:00 UTC",
                                   "expected": "within 26h 0m", "found": "2027-01-15 07:00:00 UTC"}


@pytest.mark.parametrize(("change", "check", "fragment"), [
    ({"dumps": [{"id": "a", "time": NOW - 27 * 3600}]}, "last_dump", "the newest dump was made at 2027-01-14 05:00:00 UTC, 27h 0m ago"),
    ({"dumps": []}, "last_dump", "no dump in the repository"),
    ({"binlogs": [{"id": "b", "time": NOW - 4 * 86400}]}, "last_binlogs", "4d 0h ago"),
    ({"retention_would_remove": 3}, "retention", "3 snapshots are outside the retention"),
    ({"retention": ["--keep-daily", "3"]}, "retention", "the tool keeps '--keep-daily 3'"),
    ({"last_success": {}}, "last_check", "restic check has never succeeded"),
    ({"last_success": {"check": NOW - 9 * 86400}}, "last_check", "9d 0h ago"),
])
def test_each_backup_fault_fails_its_check(change, check, fragment):
    checks = backup_checks({**STATUS, **change}, 26, 3, 8, "--keep-daily 7 --keep-weekly 4")
    assert checks[check]["status"] == "failed"
    assert fragment in checks[check]["reason"]


def test_an_unreachable_repository_fails_every_check_naming_why():
    checks = backup_checks({"now": NOW, "reachable": False, "error": "restic exited with 1"})
    assert checks["repository"] == {"status": "failed", "reason": "the repository cannot be read: restic exited with 1"}
    assert all(c["status"] == "failed" and c["reason"].startswith("not judged") for n, c in checks.items() if n != "repository")
