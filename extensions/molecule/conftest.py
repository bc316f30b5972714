"""Shared fixtures for the Molecule scenarios' testinfra verifiers (pytest loads this file for
every scenario under extensions/molecule/). The helpers live in tests/support/playbook_run.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
# The collection under test (tests/run.sh points ANSIBLE_COLLECTIONS_PATH at this work tree), so tests
# read W&B's requirements from the same table the roles and modules use.
for _entry in reversed([p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]):
    sys.path.insert(0, _entry)

from playbook_run import PlaybookRun, assert_rejected_before_change, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

__all__ = ["PlaybookRun", "assert_rejected_before_change", "run_playbook"]


@pytest.fixture(scope="session")
def converge_check_run() -> PlaybookRun:
    """The scenario's converge playbook in --check --diff mode against the converged hosts."""
    return run_playbook("converge.yml", check=True, diff=True)


@pytest.fixture(scope="module")
def address(host):
    """The host's default IPv4 address: where W&B (and the controller) reach its service."""
    return host.ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]
