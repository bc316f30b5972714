"""Unit tests of the benches' profile summary (tests/bench/profile_summary.py): roles, totals, slowest tasks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import profile_summary  # noqa: E402  pylint: disable=wrong-import-position

LOG = """\
TASK [onprem.wandb.redis : Read the package lists] ******************************
ok: [redis1]

PLAY RECAP *********************************************************************
redis1                     : ok=3    changed=0    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0

TASKS RECAP ********************************************************************
Friday 04 December 2026  09:10:11 +0000 (0:00:00.040)       0:00:06.010 *******
===============================================================================
onprem.wandb.redis : Read the package lists ------------------------------- 3.50s
Gathering Facts ----------------------------------------------------------- 1.25s
onprem.wandb.redis : Write the Redis configuration, checked by redis-server before it is used --- 1.00s
onprem.wandb.minio : Read the installed binaries' checksums --------------- 0.25s
"""


def test_recap_reads_every_task_line_and_nothing_else():
    tasks = list(profile_summary.recap(LOG.splitlines()))
    assert tasks == [("onprem.wandb.redis : Read the package lists", 3.5), ("Gathering Facts", 1.25),
                     ("onprem.wandb.redis : Write the Redis configuration, checked by redis-server before it is used", 1.0),
                     ("onprem.wandb.minio : Read the installed binaries' checksums", 0.25)]


def test_summary_groups_by_role_sorted_by_time_with_shares():
    lines = profile_summary.summary(list(profile_summary.recap(LOG.splitlines())), top=2)
    assert lines[1].split() == ["onprem.wandb.redis", "4.5", "75%", "2"]
    assert lines[2].split() == ["(playbook)", "1.2", "21%", "1"]
    assert lines[3].split() == ["onprem.wandb.minio", "0.2", "4%", "1"]
    assert lines[4].split() == ["total", "6.0"]
    assert lines[-2:] == ["    3.50s  onprem.wandb.redis : Read the package lists", "    1.25s  Gathering Facts"]


def test_a_log_without_a_recap_is_refused(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("PLAY RECAP\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no TASKS RECAP"):
        profile_summary.main(["profile_summary.py", str(log)])
