"""Where a playbook run's time goes: read the TASKS RECAP that ansible.posix.profile_tasks printed at the
end of a run's log (every task, PROFILE_TASKS_TASK_OUTPUT_LIMIT large) and print the seconds per role
(tasks outside a role count as "(playbook)") and the slowest tasks.

Usage: python3 tests/bench/profile_summary.py LOG [TOP]

Under the free strategy profile_tasks charges a task the time until the next task starts on any host, so
the split between roles that run side by side is approximate; the total is the run's wall time.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict

LINE = re.compile(r"^(?P<name>.+?) -+ *(?P<seconds>[0-9]+\.[0-9]+)s$")


def recap(lines):
    """(task name, seconds) for each line of the TASKS RECAP section."""
    inside = False
    for line in lines:
        if line.startswith("TASKS RECAP"):
            inside = True
            continue
        match = LINE.match(line.rstrip()) if inside else None
        if match:
            yield match["name"].strip(), float(match["seconds"])


def role_of(name):
    """The role a task name belongs to ("role : task"), or "(playbook)"."""
    role, sep, _task = name.partition(" : ")
    return role if sep else "(playbook)"


def summary(tasks, top=15):
    """Printable lines: seconds and tasks per role, then the `top` slowest tasks."""
    per_role = defaultdict(lambda: [0.0, 0])
    for name, seconds in tasks:
        entry = per_role[role_of(name)]
        entry[0] += seconds
        entry[1] += 1
    total = sum(seconds for _name, seconds in tasks)
    out = [f"{'role':40} {'seconds':>8} {'share':>6} {'tasks':>6}"]
    for role, (seconds, count) in sorted(per_role.items(), key=lambda item: -item[1][0]):
        out.append(f"{role:40} {seconds:8.1f} {seconds / total:6.0%} {count:6d}")
    out.append(f"{'total':40} {total:8.1f}")
    out.append("")
    out.append(f"slowest {top} tasks:")
    for name, seconds in sorted(tasks, key=lambda task: -task[1])[:top]:
        out.append(f"  {seconds:6.2f}s  {name}")
    return out


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8", errors="replace") as handle:
        tasks = list(recap(handle))
    if not tasks:
        sys.exit(f"{argv[1]}: no TASKS RECAP from ansible.posix.profile_tasks")
    print("\n".join(summary(tasks, int(argv[2]) if len(argv) == 3 else 15)))


if __name__ == "__main__":
    main(sys.argv)
