"""The corpus of broken site files (site_corpus/, one defect each, README there): every file is refused
before Ansible has a host, the message names each key path the file's `# expect:` lines give, no
traceback, no secret value, and none takes 2 s.

Every file goes through Ansible's own InventoryManager with unparsed_is_failed, the code path
ansible-inventory and ansible-playbook take, in one process (so the time measured is the plugin's,
not an interpreter's start-up); a sample, and every file that hides a secret, also through the real
`ansible-inventory` and `ansible-playbook` commands.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "site_corpus"
# A file given twice the same key is kept as NNN-*.yml.in (sanity's yamllint refuses duplicate keys in the
# collection's YAML); the tests read it under a .yml name of its own, as a user's file would be.
FILES = sorted(list(CORPUS.glob("[0-9]*.yml")) + list(CORPUS.glob("[0-9]*.yml.in")))
AS_YAML = Path(tempfile.mkdtemp(prefix="site-corpus-yml-"))


def as_yaml(path: Path) -> Path:
    """The file under a .yml name the site plugin reads (a copy for the .yml.in files)."""
    if path.suffix != ".in":
        return path
    copy = AS_YAML / path.name[:-len(".in")]
    copy.write_text(path.read_text())
    return copy


ROOT = Path(__file__).resolve().parents[4]


def header(path: Path, name: str) -> list:
    found = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"^#\s*%s:\s*(.+?)\s*$" % name, line)
        if match:
            found.append(match.group(1))
    return found


REFUSE = r"""
import json, sys, time
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.utils.display import Display

init_plugin_loader()
C.INVENTORY_UNPARSED_IS_FAILED = True
shown = []

def keep(_self, msg, *args, **kwargs):  # what ansible-inventory prints: each plugin's failure and its causes
    shown.append(str(msg))
    error = kwargs.get("exception") or next((arg for arg in args if isinstance(arg, BaseException)), None)
    while error is not None:
        shown.append(str(error))
        error = error.__cause__ or error.__context__

Display.warning = Display.error_as_warning = keep
found = {}
for path in sys.argv[1:]:
    del shown[:]
    start = time.monotonic()
    try:
        InventoryManager(loader=DataLoader(), sources=[path])
        message = ""
    except AnsibleError as error:
        message = "\n".join(shown + [str(error)])
    found[path] = [message, time.monotonic() - start]
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def refusals():
    """{file: (message, seconds)} of Ansible's inventory manager on each site file, as ansible-inventory runs it,
    in one process of its own (Ansible's collection loader, unparsed_is_failed)."""
    paths = {str(as_yaml(p)): p for p in FILES}
    paths[str(SIXTY_PATH)] = SIXTY_PATH
    run = subprocess.run([sys.executable, "-c", REFUSE, *paths], capture_output=True, text=True, check=True,
                         env=_env(), timeout=600)
    return {paths[path]: tuple(value) for path, value in json.loads(run.stdout).items()}


def test_the_corpus_is_large_and_every_file_says_what_it_expects():
    assert len(FILES) >= 150, len(FILES)
    for path in FILES:
        assert header(path, "class") and header(path, "expect"), path.name


@pytest.mark.parametrize("path", FILES, ids=[p.name.split(".")[0] for p in FILES])
def test_every_broken_site_file_is_refused_naming_the_key(path, refusals):
    message, seconds = refusals[path]
    assert message, "%s was accepted" % path.name
    assert "Traceback" not in message and "could not be read as a site" not in message, message
    for key in header(path, "expect"):
        key = "the site file" if key == "(document)" else key
        assert key in message, "%s: the refusal does not name %s:\n%s" % (path.name, key, message)
    for secret in header(path, "secret"):
        assert secret not in message, "%s: the refusal prints the secret:\n%s" % (path.name, message)
    assert seconds < 2, "%s took %.2f s" % (path.name, seconds)


def _env():
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_INVENTORY")}
    env.update(ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_NOCOLOR="1")
    return env


SECRET_FILES = [p for p in FILES if header(p, "secret")]
SAMPLE = FILES[::25] + SECRET_FILES


@pytest.mark.parametrize("path", SAMPLE, ids=[p.name.split(".")[0] for p in SAMPLE])
def test_the_commands_refuse_it_before_any_play_and_print_no_secret(path):
    exe = Path(sys.executable).parent
    path = as_yaml(path)
    inventory = subprocess.run([str(exe / "ansible-inventory"), "-i", str(path), "--list"], capture_output=True,
                               text=True, check=False, env=_env(), timeout=120)
    playbook = subprocess.run([str(exe / "ansible-playbook"), "-i", str(path), "onprem.wandb.site", "-vvv"],
                              capture_output=True, text=True, check=False, env=_env(), timeout=300, cwd=str(ROOT))
    for run in (inventory, playbook):
        shown = run.stdout + run.stderr
        assert run.returncode != 0, shown[-2000:]
        assert "Traceback" not in shown and "PLAY [" not in shown, shown[-2000:]
        for key in header(path, "expect"):
            key = "the site file" if key == "(document)" else key
            assert key in shown, "%s: %s not named:\n%s" % (path.name, key, shown[-3000:])
        for secret in header(path, "secret"):
            assert secret not in shown, "%s prints the secret:\n%s" % (path.name, shown)


def test_a_site_of_sixty_thousand_hosts_is_refused_in_under_a_second(refusals):
    message, seconds = refusals[SIXTY_PATH]
    assert "describes 60003 hosts" in message, message
    assert seconds < 1, seconds


SIXTY_PATH = Path(tempfile.mkdtemp(prefix="site-corpus-")) / "sixty-thousand.yml"
SIXTY_PATH.write_text("""plugin: onprem.wandb.site
site: big
domain: example.test
components:
  mysql: {hosts: [mysql1]}
  minio:
    drives: ["/srv/minio/disk[1:2]"]
    hosts:
%s
  redis: {hosts: [redis1]}
  proxy: {hosts: [proxy1]}
secrets: {wandb_license: vault_a, mysql_user_password: vault_b, minio_root_user: vault_c, minio_root_password: vault_d,
          minio_wandb_secret_key: vault_e, redis_password: vault_f}
""" % "\n".join('      - "rack%02d-minio[1:1000]"' % rack for rack in range(1, 61)))
