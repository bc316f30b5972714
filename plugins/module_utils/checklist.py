# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One vocabulary for the check modules' outcomes, and the verify report built from them.

Every check module returns ``checks``: check name -> ``passed``, ``passed: <detail>``,
``failed: <why>`` or ``not run: <why>``. ``verify.yml`` turns each module's result into report
lines (one per check) and renders them as a checklist, JSON and Markdown. The rules live here so
they are unit-tested: a check that did not run is never shown as passing, a module that failed
outright (no connection) is one failed line naming the error, and only required failures fail
the report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PASSED = "passed"
FAILED = "failed"
NOT_RUN = "not run"
STATES = (PASSED, FAILED, NOT_RUN)
MARKS = {"pass": "[PASS]", "fail": "[FAIL]", "warn": "[WARN]", "skip": "[SKIP]"}


def outcome(problems, detail=""):
    """'passed[: detail]' when there are no problems, else 'failed: <problems joined>'."""
    if problems:
        return "%s: %s" % (FAILED, "; ".join(str(p) for p in problems))
    return "%s: %s" % (PASSED, detail) if detail else PASSED


def not_run(reason):
    return "%s: %s" % (NOT_RUN, reason)


def parse_outcome(value):
    """(state, reason) from an outcome string; an unknown state is a failure that says so."""
    text = str(value if value is not None else "")
    state, _sep, reason = text.partition(":")
    state = state.strip()
    if state not in STATES:
        return FAILED, "the check reported %r, which is not passed, failed or not run" % text
    return state, reason.strip()


def result_lines(component, target, result, required=True):
    """Report lines for one check module result.

    component: what was checked (mysql, minio, ...); target: where (host or endpoint);
    result: the registered module result; required: whether a failure fails the report (a bool
    or a set of the check names that are required).
    """
    result = result or {}

    def line(check, state, reason):
        needed = required if isinstance(required, bool) else check in required
        if state == PASSED:
            status = "pass"
        elif state == NOT_RUN:
            status = "skip"
        else:
            status = "fail" if needed else "warn"
        return {"component": component, "target": str(target), "check": check,
                "status": status, "required": bool(needed), "reason": reason}

    if result.get("skipped"):
        return [line("run", NOT_RUN, result.get("skip_reason") or "the check task was skipped")]
    checks = result.get("checks")
    if isinstance(checks, dict) and checks:
        lines = [line(name, *parse_outcome(value)) for name, value in checks.items()]
        # A module can report failures outside its per-check table; they must not vanish.
        if result.get("failed") and not any(item["status"] in ("fail", "warn") for item in lines):
            lines.append(line("run", FAILED, _message(result)))
        return lines
    if result.get("failed") or result.get("unreachable"):
        return [line("run", FAILED, _message(result))]
    if result.get("passed") is True:
        return [line("run", PASSED, "")]
    failures = result.get("failures") or []
    return [line("run", FAILED, "; ".join(failures) if failures else "the module returned no outcome")]


def _message(result):
    failures = result.get("failures") or []
    message = result.get("msg") or "; ".join(str(f) for f in failures) or "the check failed without a message"
    return " ".join(str(message).split())


def summary(lines):
    counts = dict((status, 0) for status in MARKS)
    for item in lines:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    required_failures = [item for item in lines if item["status"] == "fail"]
    # Nothing that passed is no proof: a report of skips alone fails.
    return {"passed": not required_failures and counts["pass"] > 0, "counts": counts, "total": len(lines),
            "required_failures": len(required_failures)}


def verdict(lines):
    info = summary(lines)
    if not lines:
        return "FAILED: no check ran"
    counts = info["counts"]
    text = "%d passed, %d failed, %d warnings, %d not run" % (counts["pass"], counts["fail"], counts["warn"],
                                                              counts["skip"])
    return ("PASSED: " if info["passed"] else "FAILED: ") + text


def render_text(lines, title="W&B infrastructure verify"):
    """The checklist: a line per check with a mark, where, what and a one-line reason."""
    width_component = max([len(item["component"]) for item in lines] + [9])
    width_target = max([len(item["target"]) for item in lines] + [6])
    width_check = max([len(item["check"]) for item in lines] + [5])
    out = [title]
    for item in lines:
        reason = item["reason"] or ("ok" if item["status"] == "pass" else "")
        if item["status"] == "warn":
            reason = "(not required) " + reason
        out.append("%s %s  %s  %s  %s" % (MARKS[item["status"]], item["component"].ljust(width_component),
                                          item["target"].ljust(width_target), item["check"].ljust(width_check),
                                          reason))
    out.append(verdict(lines))
    return "\n".join(line.rstrip() for line in out)


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(lines, title="W&B infrastructure verify", context=None):
    """The same checklist as a Markdown report (a table per component)."""
    out = ["# %s" % title, ""]
    for key, value in sorted((context or {}).items()):
        out.append("- **%s**: %s" % (_cell(key), _cell(value)))
    if context:
        out.append("")
    out += ["**%s**" % verdict(lines), ""]
    components = []
    for item in lines:
        if item["component"] not in components:
            components.append(item["component"])
    for component in components:
        out += ["## %s" % component, "", "| | Target | Check | Reason |", "|---|---|---|---|"]
        for item in lines:
            if item["component"] == component:
                reason = item["reason"] or ("ok" if item["status"] == "pass" else "")
                if item["status"] == "warn":
                    reason = "(not required) " + reason
                out.append("| %s | %s | %s | %s |" % (MARKS[item["status"]], _cell(item["target"]),
                                                      _cell(item["check"]), _cell(reason)))
        out.append("")
    return "\n".join(out)


def report(lines, title="W&B infrastructure verify", context=None):
    """The JSON report: the summary, the context (site, URL) and every line."""
    return {"title": title, "context": dict(context or {}), "summary": summary(lines), "verdict": verdict(lines),
            "checks": list(lines)}
