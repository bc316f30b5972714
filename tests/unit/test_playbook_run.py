"""Unit tests of the verifier helpers' judgement: the bad-input check must catch real defects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))

import playbook_run  # noqa: E402  pylint: disable=wrong-import-position
from playbook_run import assert_rejected_before_change, parse_report  # noqa: E402  pylint: disable=wrong-import-position


def report(tasks, changed=0, failures=1):
    """A JSON callback report with one play of (task name, result) on host h1."""
    return "Some warning line\n" + json.dumps({
        "plays": [{"tasks": [{"task": {"name": f"onprem.wandb.x : {name}"}, "hosts": {"h1": result}}
                             for name, result in tasks]}],
        "stats": {"h1": {"changed": changed, "failures": failures}},
    })


OK = {"changed": False}
CHANGED = {"changed": True}


def test_parse_strips_role_prefix_and_reads_stats():
    run = parse_report(report([("Gathering Facts", OK), ("Install packages", CHANGED)], changed=1, failures=0), 0)
    assert [name for name, _h, _r in run.tasks] == ["Gathering Facts", "Install packages"]
    assert run.changed == 1
    assert run.changed_tasks() == [("Install packages", "h1")]


def test_parse_without_json_fails_loudly():
    with pytest.raises(AssertionError, match="no JSON report"):
        parse_report("ERROR! the playbook could not be found", 1)


def test_loop_failure_messages_come_from_the_failed_items():
    failed = {"failed": True, "msg": "One or more items failed",
              "results": [{"failed": False, "msg": "fine"}, {"failed": True, "msg": "server 'x y' is bad"}]}
    run = parse_report(report([("Check servers", failed)]), 2)
    assert run.failure_messages() == "h1 [Check servers]: server 'x y' is bad"


def test_rejection_in_validation_task_is_accepted():
    run = parse_report(report([("Gathering Facts", OK),
                               ("Check the port", {"failed": True, "msg": "redis_port is 0; allowed: 1-65535"})]), 2)
    assert_rejected_before_change(run, "redis_port is 0", "1-65535")


def test_success_is_not_a_rejection():
    run = parse_report(report([("Check the port", OK)], failures=0), 0)
    with pytest.raises(AssertionError, match="succeeded"):
        assert_rejected_before_change(run)


def test_failure_after_a_changing_task_is_caught():
    run = parse_report(report([("Install packages", OK),
                               ("Check the port", {"failed": True, "msg": "bad port"})]), 2)
    with pytest.raises(AssertionError, match="ran before the failure"):
        assert_rejected_before_change(run, "bad port")


def test_failure_outside_validation_is_caught():
    run = parse_report(report([("Start the service", {"failed": True, "msg": "unit failed"})]), 2)
    with pytest.raises(AssertionError, match="not a validation task"):
        assert_rejected_before_change(run, "unit failed")


def test_missing_message_fragment_is_caught():
    run = parse_report(report([("Check the port", {"failed": True, "msg": "bad"})]), 2)
    with pytest.raises(AssertionError, match="not in the failure message"):
        assert_rejected_before_change(run, "redis_port")


VERBOSE = """\
PLAY [Converge] ****************************************************************

TASK [onprem.wandb.redis : Write the ACL file (passwords only as SHA-256 hashes, readable by redis alone)] ***
changed: [onprem-wandb-redis] => {"censored": "the output has been hidden due to the fact that 'no_log: true' was specified for this result"}

TASK [onprem.wandb.redis : Install the private key] ****************************
ok: [onprem-wandb-redis] => {"changed": false}

RUNNING HANDLER [onprem.wandb.redis : Load the ACL file] ***********************
fatal: [onprem-wandb-redis]: FAILED! => {"msg": "boom"}

PLAY RECAP *********************************************************************
onprem-wandb-redis         : ok=30   changed=1    unreachable=0    failed=1    skipped=3    rescued=0    ignored=0
"""


def test_the_default_callback_s_output_gives_tasks_and_stats():
    assert playbook_run.verbose_tasks(VERBOSE) == [
        ("Write the ACL file (passwords only as SHA-256 hashes, readable by redis alone)", "onprem-wandb-redis",
         {"changed": True, "failed": False}),
        ("Install the private key", "onprem-wandb-redis", {"changed": False, "failed": False}),
        ("Load the ACL file", "onprem-wandb-redis", {"changed": False, "failed": True}),
    ]
    assert playbook_run.recap_stats(VERBOSE) == {"onprem-wandb-redis": {
        "ok": 30, "changed": 1, "unreachable": 0, "failures": 1, "skipped": 3, "rescued": 0, "ignored": 0}}


def test_the_process_watch_sees_a_secret_in_another_process_s_argv_and_environment():
    """The watch must catch what it is there to catch: a short-lived process with a secret in its
    command line, another with one in its environment."""
    watch = playbook_run.ProcessWatch(interval=0.01)
    watch.start()
    try:
        subprocess.run(["sh", "-c", "sleep 0.5", "Argv-Secret-0d1f"], check=True)
        subprocess.run(["sleep", "0.5"], env=dict(os.environ, LEAKED="Env-Secret-7a2c"), check=True)
    finally:
        seen = watch.stop()
    assert watch.samples > 5
    assert "Argv-Secret-0d1f" in seen and "LEAKED=Env-Secret-7a2c" in seen


def test_loop_failure_messages_on_ansible_core_2_21():
    """2.21's callbacks drop `failed` from loop items (as its JSON callback printed a failed assert loop)."""
    failed = {"failed": True, "msg": "One or more items failed",
              "results": [{"item": 1, "msg": "item 1 bad", "exception": "(traceback unavailable)", "evaluated_to": False},
                          {"item": 2, "msg": "All assertions passed"}]}
    run = parse_report(report([("Check each", failed)]), 2)
    assert run.failure_messages() == "h1 [Check each]: item 1 bad"
