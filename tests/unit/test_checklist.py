"""Unit tests of the checklist vocabulary and the verify report (plugins/module_utils/checklist.py)."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.wandb.plugins.filter.verify_lines import verify_lines
from ansible_collections.onprem.wandb.plugins.filter.verify_report import verify_report
from ansible_collections.onprem.wandb.plugins.module_utils import checklist

S3 = {"changed": False, "passed": False, "failures": ["CORS preflight ... the W&B origin is not allowed"],
      "checks": {"bucket": "passed", "presigned_put": "passed: 1048576 bytes",
                 "cors": "failed: CORS preflight ... the W&B origin is not allowed",
                 "disallowed_origin": "not run: no origin given"}}


def test_outcome_vocabulary():
    assert checklist.outcome([]) == "passed"
    assert checklist.outcome([], "8.4.3") == "passed: 8.4.3"
    assert checklist.outcome(["a", "b"], "ignored") == "failed: a; b"
    assert checklist.not_run("no origin") == "not run: no origin"
    assert checklist.parse_outcome("failed: x: y") == ("failed", "x: y")
    assert checklist.parse_outcome("passed") == ("passed", "")
    state, reason = checklist.parse_outcome("ok")
    assert state == "failed" and "'ok'" in reason


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
    assert checklist.summary(lines)["passed"] is True
    assert verify_report(lines, "json")["verdict"] == "PASSED: 2 passed, 0 failed, 1 warnings, 1 not run"


def test_module_that_failed_outright_is_one_failed_line():
    result = {"failed": True, "msg": "Can't connect to MySQL server on '10.0.0.5'\n (timed out)", "failures": []}
    lines = verify_lines(result, "mysql", "mysql1")
    assert lines == [{"component": "mysql", "target": "mysql1", "check": "run", "status": "fail", "required": True,
                      "reason": "Can't connect to MySQL server on '10.0.0.5' (timed out)"}]


def test_failed_module_keeps_its_message_when_its_checks_look_fine():
    result = {"failed": True, "msg": "reading failed: lost connection", "checks": {"connection": "passed"}}
    lines = verify_lines(result, "mysql", "mysql1")
    assert [line["status"] for line in lines] == ["pass", "fail"]
    assert lines[1]["reason"] == "reading failed: lost connection"


def test_skipped_task_is_a_skip_line_and_an_empty_report_fails():
    lines = verify_lines({"skipped": True, "skip_reason": "Conditional result was False"}, "proxy", "p1")
    assert lines[0]["status"] == "skip" and lines[0]["reason"] == "Conditional result was False"
    assert checklist.summary(lines)["passed"] is False  # nothing passed: only a skip
    assert checklist.verdict([]) == "FAILED: no check ran"
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


def test_markdown_and_json_reports():
    lines = verify_lines(S3, "minio", "m1") + verify_lines({"passed": True, "checks": {"version": "passed: Redis 7.0.15"}},
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
