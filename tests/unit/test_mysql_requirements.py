"""Unit tests of the MySQL requirement logic: value comparison, versions, database and grants."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.wandb.plugins.module_utils import mysql_requirements as req


@pytest.mark.parametrize(("expected", "actual"), [
    ("64M", "67108864"),
    (67108864, "64M"),
    ("64MiB", 67108864),
    ("1G", "1073741824"),
    ("256M", 268435456),
    ("ROW", "row"),
    ("MINIMAL", "minimal"),
    (1, "ON"),
    ("ON", "1"),
    (0, "OFF"),
    (True, "1"),
    ("'ROW'", "ROW"),
])
def test_equal_by_meaning(expected, actual):
    assert req.values_equal(expected, actual)


@pytest.mark.parametrize(("expected", "actual"), [
    ("64M", "262144"),
    (67108864, "67108863"),
    ("ROW", "MIXED"),
    ("MINIMAL", "FULL"),
    (1, "0"),
    (1, None),
    ("64M", "64K"),
])
def test_different_values(expected, actual):
    assert not req.values_equal(expected, actual)


def test_parse_size_rejects_text():
    assert req.parse_size("lots") is None
    assert req.parse_size("64X") is None
    assert req.parse_size("12") == 12


def test_settings_diff_names_only_the_differing_and_missing():
    desired = {"sort_buffer_size": "64M", "binlog_format": "ROW", "sync_binlog": 1, "max_connections": 500}
    actual = {"SORT_BUFFER_SIZE": "67108864", "binlog_format": "MIXED", "sync_binlog": "1"}
    assert req.settings_diff(desired, actual) == ["binlog_format", "max_connections"]


def test_settings_diff_accepts_dashed_option_names():
    assert req.settings_diff({"sort-buffer-size": "64M"}, {"sort_buffer_size": "67108864"}) == []


@pytest.mark.parametrize(("version", "comment", "flavour", "numbers"), [
    ("8.0.28", "MySQL Community Server - GPL", "mysql", (8, 0, 28)),
    ("8.4.3", "MySQL Community Server - GPL", "mysql", (8, 4, 3)),
    ("9.7.4", "(Debian)", "mysql", (9, 7, 4)),
    ("8.0.36-28", "Percona Server (GPL), Release 28, Revision 47601f19", "percona", (8, 0, 36)),
    ("10.11.6-MariaDB-0+deb12u1", "Debian 12", "mariadb", (10, 11, 6)),
    ("5.5.5-10.11.6-MariaDB", "mariadb.org binary distribution", "mariadb", (10, 11, 6)),
    ("8.0.36-0ubuntu0.22.04.1", "(Ubuntu)", "mysql", (8, 0, 36)),
])
def test_parse_server_version(version, comment, flavour, numbers):
    server = req.parse_server_version(version, comment)
    assert server["flavour"] == flavour
    assert server["version"] == numbers


def test_mariadb_is_refused_with_the_reason():
    failures = req.check_server(req.parse_server_version("10.11.6-MariaDB-0+deb12u1", ""))
    assert len(failures) == 1
    assert "MariaDB 10.11.6-MariaDB-0+deb12u1, not MySQL" in failures[0]
    assert "8.0.28" in failures[0]


@pytest.mark.parametrize(("version", "ok"), [
    ("8.0.27", False), ("8.0.28", True), ("5.7.44", False), ("8.4.0", True), ("9.1.0", True),
])
def test_minimum_version(version, ok):
    failures = req.check_server(req.parse_server_version(version, ""))
    assert (not failures) is ok
    if not ok:
        assert failures == ["MySQL %s is older than W&B's minimum 8.0.28" % version]


def test_unreadable_version_is_a_failure():
    assert req.check_server(req.parse_server_version("garbage", "")) == ["could not read a version from @@version 'garbage'"]


def test_check_settings_reports_each_mismatch():
    actual = {"binlog_format": "ROW", "innodb_online_alter_log_max_size": "268435456", "sync_binlog": "1",
              "innodb_flush_log_at_trx_commit": "2", "binlog_row_image": "FULL", "sort_buffer_size": "262144"}
    report, failures = req.check_settings(actual)
    assert report["binlog_format"]["ok"] and report["sync_binlog"]["ok"]
    assert report["sort_buffer_size"] == {"expected": 67108864, "actual": "262144", "ok": False}
    assert failures == [
        "binlog_row_image is FULL, W&B requires MINIMAL",
        "innodb_flush_log_at_trx_commit is 2, W&B requires 1",
        "sort_buffer_size is 262144, W&B requires 67108864",
    ]


def test_check_settings_missing_variable():
    _report, failures = req.check_settings({}, {"binlog_format": "ROW"})
    assert failures == ["binlog_format is unset, W&B requires ROW"]


def test_check_database():
    assert req.check_database("wandb_local", "utf8mb4", "utf8mb4_general_ci") == []
    assert req.check_database("wandb_local", None, None) == ["database wandb_local does not exist"]
    assert req.check_database("wandb_local", "utf8mb4", "utf8mb4_0900_ai_ci") == [
        "database wandb_local has collation utf8mb4_0900_ai_ci, W&B requires utf8mb4_general_ci"]
    assert req.check_database("w", "latin1", "latin1_swedish_ci")[0] == \
        "database w has character set latin1, W&B requires utf8mb4"


@pytest.mark.parametrize(("lines", "ok"), [
    (["GRANT USAGE ON *.* TO `wandb_local`@`%`",
      "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION"], True),
    (["GRANT ALL PRIVILEGES ON `wandb\\_local`.* TO `wandb_local`@`%` WITH GRANT OPTION"], True),
    (["GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%`"], False),
    (["GRANT SELECT, INSERT ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION"], False),
    (["GRANT ALL PRIVILEGES ON `other`.* TO `wandb_local`@`%` WITH GRANT OPTION"], False),
    ([], False),
])
def test_grants_cover_database(lines, ok):
    assert req.grants_cover_database(lines, "wandb_local") is ok


def test_settings_checks_one_outcome_per_setting_with_the_failure_sentence():
    report, failures = req.check_settings({"binlog_format": "ROW", "sort_buffer_size": "262144"},
                                          {"binlog_format": "ROW", "sort_buffer_size": "64M", "sync_binlog": 1})
    checks = req.settings_checks(report)
    assert checks == {"binlog_format": "passed: ROW",
                      "sort_buffer_size": "failed: sort_buffer_size is 262144, W&B requires 64M",
                      "sync_binlog": "failed: sync_binlog is unset, W&B requires 1"}
    assert failures == [checks["sort_buffer_size"][len("failed: "):], checks["sync_binlog"][len("failed: "):]]
