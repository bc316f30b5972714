"""Make `ansible_collections.onprem.wandb` importable for unit tests of the collection's Python code.

In a checkout the collection is seen through ANSIBLE_COLLECTIONS_PATH (tests/run.sh points it at
this work tree); in ansible-test's copy the work tree already sits under ansible_collections/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if ROOT.parent.parent.name == "ansible_collections":
    sys.path.insert(0, str(ROOT.parent.parent.parent))
for entry in reversed([p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]):
    sys.path.insert(0, entry)
