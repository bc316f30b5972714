# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One shape for every check a check module reports, built by one helper.

Every check module returns ``checks``: check name -> a dict with
``status`` (passed, failed, warn or not_run), ``reason`` (one line: what was found, or why it is
wrong, or why the check did not run) and, where they exist, ``expected`` and ``found``. The report
(plugin_utils/report.py, on the controller) and the tests read the structure; nothing parses
sentences back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PASSED = "passed"
FAILED = "failed"
WARN = "warn"
NOT_RUN = "not_run"
STATUSES = (PASSED, FAILED, WARN, NOT_RUN)


def result(status, reason="", expected=None, found=None):
    """A check's result; expected/found only when given (None means there is no such value)."""
    if status not in STATUSES:
        raise ValueError("a check's status is one of %s, got %r" % (", ".join(STATUSES), status))
    value = {"status": status, "reason": " ".join(str(reason or "").split())}
    if expected is not None:
        value["expected"] = expected
    if found is not None:
        value["found"] = found
    return value


def passed(reason="", expected=None, found=None):
    return result(PASSED, reason, expected, found)


def failed(reason, expected=None, found=None):
    return result(FAILED, reason, expected, found)


def warn(reason, expected=None, found=None):
    return result(WARN, reason, expected, found)


def not_run(reason):
    return result(NOT_RUN, reason)


def outcome(problems, detail="", expected=None, found=None):
    """passed (reason: detail) when there are no problems, else failed with the problems joined."""
    if problems:
        return failed("; ".join(str(p) for p in problems), expected, found)
    return passed(detail, expected, found)


def failures(checks):
    """The reasons of the failed checks, in the checks' order (each reason names what it is about)."""
    return [value["reason"] for value in (checks or {}).values()
            if isinstance(value, dict) and value.get("status") == FAILED]


def warnings(checks):
    """The reasons of the checks that warn."""
    return [value["reason"] for value in (checks or {}).values()
            if isinstance(value, dict) and value.get("status") == WARN]
