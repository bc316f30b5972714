# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify report, built on the controller from the check modules' structured results.

``verify.yml`` turns each module's result into report lines (one per check, see
module_utils/checklist.py for a check's shape) and renders them as a checklist, JSON and
Markdown. The rules live here so they are unit-tested: a check that did not run is never shown
as passing, a module that failed outright (no connection) is one failed line naming the error, a
check that warns is a warning with its reason, and only required failures fail the report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import FAILED, NOT_RUN, PASSED, STATUSES, WARN

MARKS = {"pass": "[PASS]", "fail": "[FAIL]", "warn": "[WARN]", "skip": "[SKIP]"}
FAILED_STATUS = "fail"

# The stack's order: a report lists the components in it, any other component after them.
COMPONENT_ORDER = ("mysql", "minio", "redis", "proxy", "operator")


def ordered(lines):
    """The lines in a stable order that does not depend on which host answered first: by component
    (the stack's order, then the others by name), then by target; a target's checks keep the order
    its module gave them. Two runs against the same site give the same report."""
    def key(line):
        component = str(line.get("component", ""))
        rank = COMPONENT_ORDER.index(component) if component in COMPONENT_ORDER else len(COMPONENT_ORDER)
        return (rank, component, str(line.get("target", "")))
    return sorted(lines, key=key)


def judged(value):
    """(status, reason, expected, found) of one check's value; a value not in the checklist shape
    is a failure that says what it was (a module bug must not pass)."""
    if isinstance(value, dict) and value.get("status") in STATUSES:
        return value["status"], str(value.get("reason") or ""), value.get("expected"), value.get("found")
    return FAILED, "the check reported %r, which is not a checklist result (status, reason)" % (value,), None, None


def result_lines(component, target, result, required=True):
    """Report lines for one check module result.

    component: what was checked (mysql, minio, ...); target: where (host or endpoint);
    result: the registered module result; required: whether a failure fails the report (a bool
    or a set of the check names that are required).
    """
    result = result or {}

    def line(check, state, reason, expected=None, found=None):
        needed = required if isinstance(required, bool) else check in required
        if state == PASSED:
            status = "pass"
        elif state == NOT_RUN:
            status = "skip"
        elif state == WARN:
            status = "warn"
        else:
            status = "fail" if needed else "warn"
            if not needed:
                reason = "(not required) " + reason
        item = {"component": component, "target": str(target), "check": check,
                "status": status, "required": bool(needed), "reason": reason}
        if expected is not None:
            item["expected"] = expected
        if found is not None:
            item["found"] = found
        return item

    if result.get("skipped"):
        # A check the report needs that did not run is no proof: it fails (a warning when not required).
        return [line("run", FAILED, "the check did not run (%s)" % (result.get("skip_reason") or "the task was skipped"))]
    checks = result.get("checks")
    if isinstance(checks, dict) and checks:
        lines = [line(name, *judged(value)) for name, value in checks.items()]
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


def unanswered(lines, expected):
    """Failed lines for what should have reported and did not.

    expected: {component: {"hosts": [...], "each": bool}}; each=True when every host reports its own
    lines (their targets are the host name, or start with it and a space), False when one line set
    stands for them all (checks through a shared endpoint). An unreachable host, or one whose run
    failed before its checks, writes no line: without this the report would pass on what remains.
    """
    missing = []
    for component in sorted(expected or {}, key=str):
        spec = expected[component] or {}
        hosts = [str(host) for host in spec.get("hosts") or []]
        mine = [line for line in lines if line.get("component") == component]
        if not mine:
            missing.append({"component": component, "target": ", ".join(hosts) or "(no host)", "check": "run",
                            "status": FAILED_STATUS, "required": True,
                            "reason": "no check of %s reported: %s" % (component, (
                                "its hosts were unreachable or failed before their checks (see the run's output)"
                                if hosts else "no host of its group answered"))})
            continue
        if not spec.get("each"):
            continue
        targets = [str(line.get("target", "")) for line in mine]
        for host in hosts:
            if not any(target == host or target.startswith(host + " ") for target in targets):
                missing.append({"component": component, "target": host, "check": "run", "status": FAILED_STATUS,
                                "required": True, "reason": "%s wrote no report line: it was unreachable or failed "
                                "before its checks (see the run's output)" % host})
    return missing


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
        out.append("%s %s  %s  %s  %s" % (MARKS[item["status"]], item["component"].ljust(width_component),
                                          item["target"].ljust(width_target), item["check"].ljust(width_check),
                                          reason))
    out.append(verdict(lines))
    return "\n".join(line.rstrip() for line in out)


def render_summary(lines, title="W&B infrastructure verify", report_path=None):
    """The console's short form: a line per component (its worst mark and its counts), then every check
    that did not pass in full (the checklist's line), where the whole report is, and the verdict."""
    out = [title]
    components = []
    for item in lines:
        if item["component"] not in components:
            components.append(item["component"])
    width = max([len(name) for name in components] + [9])
    for name in components:
        own = [item for item in lines if item["component"] == name]
        counts = summary(own)["counts"]
        worst = next(status for status in ("fail", "warn", "pass", "skip") if counts.get(status))
        parts = ["%d %s" % (counts[status], word) for status, word in
                 (("pass", "passed"), ("fail", "failed"), ("warn", "warnings"), ("skip", "not run")) if counts[status]]
        out.append("%s %s  %d checks: %s" % (MARKS[worst], name.ljust(width), len(own), ", ".join(parts)))
    rest = [item for item in lines if item["status"] != "pass"]
    if rest:
        out.extend(render_text(rest, title="").splitlines()[1:-1])
    if report_path:
        out.append("Every check: %s" % report_path)
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
                out.append("| %s | %s | %s | %s |" % (MARKS[item["status"]], _cell(item["target"]),
                                                      _cell(item["check"]), _cell(reason)))
        out.append("")
    return "\n".join(out)


def report(lines, title="W&B infrastructure verify", context=None):
    """The JSON report: the summary, the context (site, URL) and every line."""
    return {"title": title, "context": dict(context or {}), "summary": summary(lines), "verdict": verdict(lines),
            "checks": list(lines)}
