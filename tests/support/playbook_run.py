"""Run playbooks against a Molecule scenario's containers and judge what the run did.

The helpers run real ansible-playbook commands against the scenario's containers (Molecule's own
inventory and ansible.cfg, from the environment Molecule gives its verifier) and read the
outcome from the JSON callback, so tests assert on what a real run did: check mode reporting no
change, and bad input failing in a validation task before any task that could change a host.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Tasks that only validate input or read facts; a bad-input run may reach these and nothing else.
VALIDATION_TASK_PREFIXES = ("Check ", "Validating arguments against arg spec", "Gathering Facts", "Read ")


@dataclass
class PlaybookRun:
    """The outcome of one ansible-playbook run, as the JSON callback reported it."""

    rc: int
    stats: dict
    tasks: list = field(default_factory=list)  # (task name, host, result) in execution order
    stdout: str = ""
    stderr: str = ""

    @property
    def changed(self) -> int:
        """Changed tasks over all hosts, from the play recap."""
        return sum(host.get("changed", 0) for host in self.stats.values())

    def changed_tasks(self) -> list:
        """(task, host) of every task result that reported a change."""
        return [(name, host) for name, host, result in self.tasks if result.get("changed")]

    def failures(self) -> list:
        """(task, host, result) of every failed task result."""
        return [(name, host, result) for name, host, result in self.tasks if result.get("failed")]

    def tasks_before_first_failure(self) -> list:
        """Names of the tasks that ran before the first failure."""
        names = []
        for name, _host, result in self.tasks:
            if result.get("failed"):
                break
            names.append(name)
        return names

    def failure_messages(self) -> str:
        """Every failure message, one line per host, task and failed loop item."""
        parts = []
        for name, host, result in self.failures():
            # A failed loop reports per item; its own msg only says that items failed.
            items = [item for item in result.get("results", []) if item.get("failed")] or [result]
            for item in items:
                msg = item.get("msg", "")
                if isinstance(msg, list):
                    msg = " ".join(str(m) for m in msg)
                parts.append(f"{host} [{name}]: {msg}")
        return "\n".join(parts)


def parse_report(stdout: str, rc: int, stderr: str = "") -> PlaybookRun:
    """Parse the ansible.posix.json callback's report into a PlaybookRun."""
    start = stdout.find("{")
    if start < 0:
        raise AssertionError(f"ansible-playbook printed no JSON report (rc={rc}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
    report = json.loads(stdout[start:])
    tasks = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            # Drop the "namespace.collection.role : " prefix so names read as written in the role.
            name = task["task"]["name"].split(" : ", 1)[-1]
            for host, result in task.get("hosts", {}).items():
                tasks.append((name, host, result))
    return PlaybookRun(rc=rc, stats=report.get("stats", {}), tasks=tasks, stdout=stdout, stderr=stderr)


def run_playbook(playbook: str | Path, extra_vars: dict | None = None, check: bool = False,
                 diff: bool = False, args: list | None = None) -> PlaybookRun:
    """Run a playbook of the scenario (a file, or a collection playbook by FQCN) and parse the JSON report."""
    if re.match(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$", str(playbook)):
        pass  # onprem.wandb.<playbook>, exactly as a site runs it
    elif not Path(playbook).is_absolute():
        playbook = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / playbook
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
    # The inventory directory, as Molecule passes it: the generated file plus provisioner.inventory.hosts.
    cmd = [str(ansible_playbook), "-i", str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent), str(playbook)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    cmd += list(args or [])
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        # Extra vars go through a mode-0600 file, never on the command line (they may hold secrets).
        json.dump(extra_vars or {}, handle)
        vars_file = handle.name
    try:
        proc = subprocess.run(cmd + ["-e", f"@{vars_file}"], env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(vars_file)
    return parse_report(proc.stdout, proc.returncode, proc.stderr)


def run_playbook_verbose(playbook: str | Path, extra_vars: dict | None = None, args: list | None = None) -> tuple:
    """(rc, everything printed) of a run at -vvv with the default output: the command lines Ansible
    executes on the hosts are shown, so a secret passed through a task's environment or argv (which
    the host's ps shows while the task runs) is in this text."""
    playbook = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / playbook if not Path(playbook).is_absolute() else playbook
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
    cmd = [str(ansible_playbook), "-vvv", "-i", str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent), str(playbook)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(extra_vars or {}, handle)
        vars_file = handle.name
    try:
        proc = subprocess.run(cmd + list(args or []) + ["-e", f"@{vars_file}"], env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
                              capture_output=True, text=True, check=False)
    finally:
        os.unlink(vars_file)
    return proc.returncode, proc.stdout + proc.stderr


def assert_rejected_before_change(run: PlaybookRun, *fragments: str) -> None:
    """Bad input must fail, in a validation task, before any task that could change a host."""
    assert run.rc != 0, "the run with bad input succeeded"
    messages = run.failure_messages()
    assert messages, f"the run failed without a failed task: {run.stderr[-2000:]}"
    for fragment in fragments:
        assert fragment in messages, f"{fragment!r} not in the failure message:\n{messages}"
    failed_task = run.failures()[0][0]
    assert failed_task.startswith(VALIDATION_TASK_PREFIXES), f"failed in {failed_task!r}, not a validation task"
    reached = [name for name in run.tasks_before_first_failure() if not name.startswith(VALIDATION_TASK_PREFIXES)]
    assert not reached, f"tasks that may change the host ran before the failure: {reached}"
    assert run.changed == 0, f"hosts changed: {run.changed_tasks()}"
