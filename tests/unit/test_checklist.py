"""Unit tests of the check results' shape (module_utils/checklist.py) and the verify report (plugin_utils/report.py)."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.wandb.plugins.filter.verify_lines import verify_lines
from ansible_collections.onprem.wandb.plugins.filter.verify_report import verify_report
from ansible_collections.onprem.wandb.plugins.module_utils import checklist
from ansible_collections.onprem.wandb.plugins.plugin_utils import report as checkreport

S3 = {"changed": False, "passed": False, "failures": ["CORS preflight ... the W&B origin is not allowed"],
      "checks": {"bucket": checklist.passed(), "presigned_put": checklist.passed("1048576 bytes"),
                 "cors": checklist.failed("CORS preflight ... the W&B origin is not allowed"),
                 "disallowed_origin": checklist.not_run("no origin given")}}


def test_one_shape_for_every_check():
    assert checklist.outcome([]) == {"status": "passed", "reason": ""}
    assert checklist.outcome([], "8.4.3", found="8.4.3") == {"status": "passed", "reason": "8.4.3", "found": "8.4.3"}
    assert checklist.outcome(["a", "b"], "ignored", expected=1, found=2) == {
        "status": "failed", "reason": "a; b", "expected": 1, "found": 2}
    assert checklist.not_run("no origin") == {"status": "not_run", "reason": "no origin"}
    assert checklist.warn("old\n  but fine") == {"status": "warn", "reason": "old but fine"}
    with pytest.raises(ValueError, match="passed, failed, warn, not_run"):
        checklist.result("ok")
    checks = {"a": checklist.failed("x"), "b": checklist.warn("y"), "c": checklist.passed()}
    assert checklist.failures(checks) == ["x"] and checklist.warnings(checks) == ["y"]


def test_a_value_outside_the_shape_is_a_failure_not_a_pass():
    (line,) = verify_lines({"checks": {"version": "passed: 8.4.3"}}, "mysql", "m")
    assert line["status"] == "fail" and "not a checklist result" in line["reason"]


def test_warnings_keep_their_reason_expected_and_found():
    result = {"passed": True, "checks": {"server": checklist.warn(
        "MySQL 9.7.4 is not named by W&B; accepted by mysql_accept_unnamed_versions",
        expected="8.4.x (recommended)", found="mysql 9.7.4")}}
    (line,) = verify_lines(result, "mysql", "db1")
    assert line["status"] == "warn" and line["required"] is True
    assert line["expected"] == "8.4.x (recommended)" and line["found"] == "mysql 9.7.4"
    text = verify_report([line], "text")
    assert "[WARN] mysql      db1     server  MySQL 9.7.4 is not named by W&B; accepted by" in text
    assert text.splitlines()[-1] == "FAILED: 0 passed, 0 failed, 1 warnings, 0 not run"
    assert checkreport.summary([line])["passed"] is False  # a warning alone is no proof either


def test_lines_one_per_check_and_not_run_is_never_a_pass():
    lines = verify_lines(S3, "minio", "http://10.0.0.2:9000")
    assert [(line["check"], line["status"]) for line in lines] == [
        ("bucket", "pass"), ("presigned_put", "pass"), ("cors", "fail"), ("disallowed_origin", "skip")]
    assert lines[1]["reason"] == "1048576 bytes"
    assert lines[2]["reason"] == "CORS preflight ... the W&B origin is not allowed"
    assert all(line["component"] == "minio" and line["required"] for line in lines)


def test_not_required_failures_are_warnings_and_do_not_fail():
    lines = verify_lines(S3, "minio", "m1", required=["bucket"])
    assert [line["status"] for line in lines] == ["pass", "pass", "warn", "skip"]
    assert checkreport.summary(lines)["passed"] is True
    assert verify_report(lines, "json")["verdict"] == "PASSED: 2 passed, 0 failed, 1 warnings, 1 not run"


def test_module_that_failed_outright_is_one_failed_line():
    result = {"failed": True, "msg": "Can't connect to MySQL server on '10.0.0.5'\n (timed out)", "failures": []}
    lines = verify_lines(result, "mysql", "mysql1")
    assert lines == [{"component": "mysql", "target": "mysql1", "check": "run", "status": "fail", "required": True,
                      "reason": "Can't connect to MySQL server on '10.0.0.5' (timed out)"}]


def test_failed_module_keeps_its_message_when_its_checks_look_fine():
    result = {"failed": True, "msg": "reading failed: lost connection", "checks": {"connection": checklist.passed()}}
    lines = verify_lines(result, "mysql", "mysql1")
    assert [line["status"] for line in lines] == ["pass", "fail"]
    assert lines[1]["reason"] == "reading failed: lost connection"


def test_a_skipped_check_task_fails_and_an_empty_report_fails():
    lines = verify_lines({"skipped": True, "skip_reason": "Conditional result was False"}, "proxy", "p1")
    assert lines[0]["status"] == "fail" and lines[0]["reason"] == "the check did not run (Conditional result was False)"
    assert checkreport.summary(lines)["passed"] is False
    optional = verify_lines({"skipped": True}, "proxy", "p1", required=["tls"])
    assert optional[0]["status"] == "warn" and optional[0]["reason"] == "(not required) the check did not run (the task was skipped)"
    assert checkreport.verdict([]) == "FAILED: no check ran"
    assert verify_report([], "json")["summary"]["passed"] is False


def test_module_without_checks_is_judged_by_passed():
    assert verify_lines({"passed": True}, "x", "t")[0]["status"] == "pass"
    line = verify_lines({"passed": False, "failures": ["a", "b"]}, "x", "t")[0]
    assert line["status"] == "fail" and line["reason"] == "a; b"
    assert verify_lines({}, "x", "t")[0]["reason"] == "the module returned no outcome"


def test_text_checklist_marks_and_verdict():
    text = verify_report(verify_lines(S3, "minio", "m1"), "text", title="lab verify")
    rows = text.splitlines()
    assert rows[0] == "lab verify"
    assert rows[1].startswith("[PASS] minio") and rows[1].rstrip().endswith("ok")
    assert rows[3].startswith("[FAIL] minio") and "the W&B origin is not allowed" in rows[3]
    assert rows[4].startswith("[SKIP] minio") and rows[4].endswith("no origin given")
    assert rows[-1] == "FAILED: 2 passed, 1 failed, 0 warnings, 1 not run"
    # The columns line up: every check name starts at the same offset.
    assert len({row.index(check) for row, check in zip(rows[1:5], S3["checks"])}) == 1


def test_summary_is_a_line_per_component_then_what_did_not_pass():
    lines = verify_lines(S3, "minio", "m1") + verify_lines({"passed": True, "checks": {"version": checklist.passed("Redis 7.0.15")}},
                                                           "redis", "r1")
    rows = verify_report(lines, "summary", title="lab verify", report_path="/tmp/r/lab-verify.md").splitlines()
    assert rows[0] == "lab verify"
    # Components in the report's order (minio before redis), each with its worst mark and its counts.
    assert rows[1].split() == ["[FAIL]", "minio", "4", "checks:", "2", "passed,", "1", "failed,", "1", "not", "run"]
    assert rows[2].split() == ["[PASS]", "redis", "1", "checks:", "1", "passed"]
    # Then the checks that did not pass, as the checklist prints them, the report's place and the verdict.
    assert rows[3].startswith("[FAIL] minio") and "the W&B origin is not allowed" in rows[3]
    assert rows[4].startswith("[SKIP] minio") and rows[4].endswith("no origin given")
    assert rows[5:] == ["Every check: /tmp/r/lab-verify.md", "FAILED: 3 passed, 1 failed, 0 warnings, 1 not run"]
    passing = verify_report(lines[-1:], "summary").splitlines()
    assert passing == ["W&B infrastructure verify", "[PASS] redis      1 checks: 1 passed", "PASSED: 1 passed, 0 failed, 0 warnings, 0 not run"]


def test_markdown_and_json_reports():
    lines = verify_lines(S3, "minio", "m1") + verify_lines({"passed": True, "checks": {"version": checklist.passed("Redis 7.0.15")}},
                                                           "redis", "r|1")
    markdown = verify_report(lines, "markdown", context={"site": "lab", "url": "https://wandb.lab.test"})
    assert "# W&B infrastructure verify" in markdown and "- **site**: lab" in markdown
    assert "## minio" in markdown and "## redis" in markdown
    assert "| [PASS] | r\\|1 | version | Redis 7.0.15 |" in markdown
    document = verify_report(lines, "json", context={"site": "lab"})
    assert json.loads(json.dumps(document))["summary"] == {
        "passed": False, "counts": {"pass": 3, "fail": 1, "warn": 0, "skip": 1}, "total": 5, "required_failures": 1}


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="registered module result"):
        verify_lines("passed", "x", "t")
    with pytest.raises(AnsibleFilterError, match="required must be a bool"):
        verify_lines({}, "x", "t", required="yes")
    with pytest.raises(AnsibleFilterError, match="not a verify_lines line"):
        verify_report([{"component": "x"}])
    with pytest.raises(AnsibleFilterError, match="format must be"):
        verify_report([], "html")


def test_report_order_does_not_depend_on_which_host_answered_first():
    def lines(component, target, *checks):
        return [{"component": component, "target": target, "check": c, "status": "pass", "reason": ""} for c in checks]
    primary = lines("mysql", "db1", "connection", "version") + lines("mysql", "db1 backups", "age")
    standby = lines("mysql", "db2", "connection", "version") + lines("mysql", "db2 standby", "io_thread")
    others = lines("operator", "k8s", "crd") + lines("custom", "x", "a") + lines("minio", "https://s3", "bucket", "cors")
    one = verify_report(primary + standby + others, "json")["checks"]
    other = verify_report(others + standby + primary, "json")["checks"]
    assert one == other
    assert [(line["component"], line["target"], line["check"]) for line in one] == [
        ("mysql", "db1", "connection"), ("mysql", "db1", "version"), ("mysql", "db1 backups", "age"),
        ("mysql", "db2", "connection"), ("mysql", "db2", "version"), ("mysql", "db2 standby", "io_thread"),
        ("minio", "https://s3", "bucket"), ("minio", "https://s3", "cors"), ("operator", "k8s", "crd"), ("custom", "x", "a")]


def test_a_host_or_component_that_wrote_no_line_fails_the_report():
    lines = verify_lines({"checks": {"connection": checklist.passed()}}, "mysql", "db1") + \
        verify_lines({"checks": {"replication_lag": checklist.passed()}}, "mysql", "db1 standby")
    expected = {"mysql": {"hosts": ["db1", "db2"], "each": True}, "minio": {"hosts": ["m1", "m2"], "each": False},
                "redis": {"hosts": ["r1"], "each": True}}
    report = verify_report(lines + verify_lines({"checks": {"bucket": checklist.passed()}}, "minio", "https://s3"),
                           "json", expected=expected)
    failed = [(line["component"], line["target"], line["reason"]) for line in report["checks"] if line["status"] == "fail"]
    assert failed == [
        ("mysql", "db2", "db2 wrote no report line: it was unreachable or failed before its checks (see the run's output)"),
        ("redis", "r1", "no check of redis reported: its hosts were unreachable or failed before their checks (see the run's output)")]
    assert report["summary"]["passed"] is False
    # Everything expected answered (MinIO once for its pool): passes.
    answered = lines + verify_lines({"checks": {"connection": checklist.passed()}}, "mysql", "db2")
    assert verify_report(answered, "json", expected={"mysql": expected["mysql"]})["summary"]["passed"] is True
