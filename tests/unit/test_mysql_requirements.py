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
    ("8.0.32", "MySQL Community Server - GPL", "mysql", (8, 0, 32)),
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
    check = req.server_check(req.parse_server_version("10.11.6-MariaDB-0+deb12u1", ""))
    assert check["status"] == "failed"
    assert check["reason"].startswith("mariadb 10.11.6: MariaDB is not MySQL")
    assert "W&B accepts MySQL 8.4.x (recommended)" in check["reason"]


@pytest.mark.parametrize(("version", "status"), [
    ("8.0.31", "failed"), ("8.0.32", "warn"), ("5.7.44", "failed"), ("8.4.0", "passed"), ("9.1.0", "failed"),
])
def test_server_check_follows_the_policy(version, status):
    assert req.server_check(req.parse_server_version(version, ""))["status"] == status


def test_unnamed_version_accepted_explicitly_is_a_warning():
    check = req.server_check(req.parse_server_version("9.7.4", ""), accept_unnamed=True)
    assert check["status"] == "warn" and "accepted by mysql_accept_unnamed_versions" in check["reason"]


def test_unreadable_version_is_a_failure():
    assert req.server_check(req.parse_server_version("garbage", "")) == {
        "status": "failed", "reason": "could not read a version from @@version 'garbage'"}


def test_settings_checks_report_each_mismatch_with_expected_and_found():
    actual = {"binlog_format": "ROW", "innodb_online_alter_log_max_size": "268435456", "sync_binlog": "1",
              "innodb_flush_log_at_trx_commit": "2", "binlog_row_image": "FULL", "sort_buffer_size": "262144",
              "max_prepared_stmt_count": "16382"}
    checks = req.settings_checks(actual)
    assert len(checks) == 7
    assert checks["binlog_format"] == {"status": "passed", "reason": "ROW", "expected": "ROW", "found": "ROW"}
    assert checks["max_prepared_stmt_count"] == {
        "status": "failed", "reason": "max_prepared_stmt_count is 16382, W&B requires 1048576",
        "expected": 1048576, "found": "16382"}
    assert checks["sort_buffer_size"]["reason"] == "sort_buffer_size is 262144, W&B requires at least 67108864"
    assert [name for name, check in checks.items() if check["status"] == "failed"] == [
        "binlog_row_image", "innodb_flush_log_at_trx_commit", "max_prepared_stmt_count", "sort_buffer_size"]


def test_sort_buffer_may_be_larger_but_exact_settings_may_not():
    checks = req.settings_checks({"sort_buffer_size": "128M", "sync_binlog": "2"},
                                 {"sort_buffer_size": "64M", "sync_binlog": 1})
    assert checks["sort_buffer_size"]["status"] == "passed"
    assert checks["sync_binlog"]["reason"] == "sync_binlog is 2, W&B requires 1"


def test_missing_variable_is_unset():
    assert req.settings_checks({}, {"binlog_format": "ROW"})["binlog_format"] == {
        "status": "failed", "reason": "binlog_format is unset, W&B requires ROW", "expected": "ROW"}


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
