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
import threading
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
    processes: str = ""  # what ProcessWatch saw (run_playbook's watch)
    process_samples: int = 0

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
            # ansible-core 2.21 leaves `failed` out of a loop item's result in callbacks (a registered result
            # keeps it); a failed item still carries `exception` there.
            items = ([item for item in result.get("results", []) if item.get("failed")]
                     or [item for item in result.get("results", []) if "exception" in item] or [result])
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


class ProcessWatch(threading.Thread):
    """Samples the command line and environment of every process on this machine, over and over,
    until stopped: what ps (or root's /proc) would have shown during a run. The containers' processes
    are this kernel's too, so one /proc shows the controller and every host of the scenario. Each
    distinct line is kept once."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval, self.lines, self.samples, self.done = interval, set(), 0, threading.Event()

    def sample(self):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            for name, separator in (("cmdline", " "), ("environ", "\n")):
                try:
                    with open(f"/proc/{pid}/{name}", "rb") as handle:
                        data = handle.read()
                except OSError:  # the process ended
                    continue
                self.lines.update(data.decode("utf-8", "replace").replace("\0", separator).splitlines())
        self.samples += 1

    def run(self):
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)

    def stop(self) -> str:
        self.done.set()
        self.join()
        return "\n".join(sorted(self.lines))


_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                    r"\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


_TASK = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(?:[^\]]* : )?(.*)\] \**$")
_RESULT = re.compile(r"^(ok|changed|failed|fatal|skipping): \[([^\]]+)\]")


def verbose_tasks(text: str) -> list:
    """(task, host, {"changed", "failed"}) for each result line of the default callback's output."""
    tasks, name = [], None
    for line in text.splitlines():
        header = _TASK.match(line)
        if header:
            name = header.group(1)
            continue
        result = _RESULT.match(line)
        if result and name is not None:
            status = result.group(1)
            tasks.append((name, result.group(2), {"changed": status == "changed", "failed": status in ("failed", "fatal")}))
    return tasks


def recap_stats(text: str) -> dict:
    """The play recap of the default callback's output, as the JSON callback's stats."""
    names = ("ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored")
    return {m.group(1): dict(zip(names, map(int, m.groups()[1:]))) for m in _RECAP.finditer(text)}


def run_playbook(playbook: str | Path, extra_vars: dict | None = None, check: bool = False,
                 diff: bool = False, args: list | None = None, verbose: bool = False,
                 watch: bool = False) -> PlaybookRun:
    """Run a playbook of the scenario (a file, or a collection playbook by FQCN) and parse the JSON report.

    verbose: run at -vvv with the default output instead: every command Ansible executes on a host is
    printed (with its environment), so a secret in a task's argv or environment would be in the text.
    rc, stats (from the recap), stdout, stderr and each task's changed/failed status are filled then.
    watch: sample every process's command line and environment during the run (ProcessWatch); the
    text is in .processes and the number of rounds in .process_samples.
    """
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
    if verbose:
        cmd.append("-vvv")
        env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    else:
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        # Extra vars go through a mode-0600 file, never on the command line (they may hold secrets).
        json.dump(extra_vars or {}, handle)
        vars_file = handle.name
    watcher = ProcessWatch() if watch else None
    if watcher:
        watcher.start()
    try:
        proc = subprocess.run(cmd + ["-e", f"@{vars_file}"], env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(vars_file)
        processes = watcher.stop() if watcher else ""
    if verbose:
        run = PlaybookRun(rc=proc.returncode, stats=recap_stats(proc.stdout), tasks=verbose_tasks(proc.stdout),
                          stdout=proc.stdout, stderr=proc.stderr)
    else:
        run = parse_report(proc.stdout, proc.returncode, proc.stderr)
    run.processes, run.process_samples = processes, (watcher.samples if watcher else 0)
    return run


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
