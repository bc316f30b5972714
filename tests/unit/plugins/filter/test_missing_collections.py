"""onprem.wandb.missing_collections: the controller's own module loader says which collection is absent
(run through `ansible`, whose collection loader is the one a playbook has)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def missing(modules: list) -> list:
    exe = Path(sys.executable).parent / "ansible"
    run = subprocess.run([str(exe), "-i", "localhost,", "-c", "local", "localhost", "-o", "-m", "ansible.builtin.debug", "-a",
                          "msg={{ %s | onprem.wandb.missing_collections }}" % json.dumps(modules)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout.split(" => ", 1)[1])["msg"]


def test_a_collection_that_is_not_installed_is_named_once_and_installed_ones_not_at_all():
    assert missing(["ansible.builtin.ping", "nosuch.collection.module_a", "nosuch.collection.module_b",
                    "ansible.mysql.mysql_user", "community.crypto.x509_certificate_info"]) == ["nosuch.collection"]
