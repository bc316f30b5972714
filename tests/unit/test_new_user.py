"""A new user's first hour, from outside the repository: the built tarball installed with ansible-galaxy, the
example site file and the example vault copied as the README says (one directory per site, the vault in
group_vars/all/vault.yml beside the site file, encrypted), and Ansible's defaults (no ansible.cfg of ours).
Each step's command is the one the docs print; the test fails when a command or a file they name is wrong."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection as a user has it: built, installed offline into a collections path of its own."""
    out = tmp_path_factory.mktemp("new-user")
    build = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), str(ROOT)],
                           capture_output=True, text=True, check=False, env=user_env(out))
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = next(out.glob("onprem-wandb-*.tar.gz"))
    install = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force", "-p",
                              str(out / "collections"), str(tarball)], capture_output=True, text=True, check=False,
                             env=user_env(out))
    assert install.returncode == 0, install.stdout + install.stderr
    return out, out / "collections" / "ansible_collections" / "onprem" / "wandb"


def user_env(out: Path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(out / "collections"), ANSIBLE_NOCOLOR="1", **extra)
    return env


def run(out: Path, cwd: Path, *command, **extra):
    return subprocess.run([str(BIN / command[0]), *command[1:]], capture_output=True, text=True, check=False,
                          cwd=str(cwd), env=user_env(out, **extra), timeout=300)


def test_the_files_the_readme_names_are_in_the_installed_collection(installed):
    _out, collection = installed
    readme = (ROOT / "README.md").read_text()
    for name in ("sites/example.yml", "inventories/vault.example.yml"):
        assert name in readme, name
        assert (collection / name).is_file(), name


@pytest.fixture(scope="module")
def site_dir(installed):
    """sites/example/ as the docs lay a site out: the site file, and its vault encrypted beside it."""
    out, collection = installed
    site = out / "home" / "sites" / "example"
    (site / "group_vars" / "all").mkdir(parents=True)
    shutil.copy(collection / "sites" / "example.yml", site / "site.yml")
    shutil.copy(collection / "inventories" / "vault.example.yml", site / "group_vars" / "all" / "vault.yml")
    password = out / "home" / "vault-password"
    password.write_text("new-user-vault-password\n")
    password.chmod(0o600)
    encrypt = run(out, out / "home", "ansible-vault", "encrypt", "--vault-password-file", str(password),
                  str(site / "group_vars" / "all" / "vault.yml"))
    assert encrypt.returncode == 0, encrypt.stdout + encrypt.stderr
    return site, password


def test_the_example_site_file_lists_every_group_outside_the_repository(installed, site_dir):
    out, _collection = installed
    site, _password = site_dir
    graph = run(out, site.parent.parent, "ansible-inventory", "-i", str(site / "site.yml"), "--graph")
    assert graph.returncode == 0, graph.stdout + graph.stderr
    for group in ("@wandb_mysql:", "@wandb_minio:", "@wandb_redis:", "@wandb_proxy:", "@wandb_operator:"):
        assert group in graph.stdout, graph.stdout


def test_the_first_run_stops_before_any_host_naming_the_site_keys_and_the_placeholders(installed, site_dir):
    """On a controller without the site's files, the first failure names the site keys whose files are missing;
    with them in place it names the vault's placeholders. Nothing is contacted: one play (the guard) runs."""
    out, _collection = installed
    site, password = site_dir
    first = run(out, site.parent.parent, "ansible-playbook", "-i", str(site / "site.yml"), "onprem.wandb.site", "--check",
                "--vault-password-file", str(password))
    shown = " ".join((first.stdout + first.stderr).split())
    assert first.returncode != 0, shown[-2000:]
    assert "file(s) the site file names are not on this controller" in shown and "components.mysql.tls.certificate: " in shown, \
        shown[-2000:]
    assert re.findall(r"PLAY \[([^\]]*)\]", shown) == ["Check the inventory gives this run its hosts"], shown[-2000:]
    # The site's PKI in place (paths of the example under a prefix): the placeholders are next, named, not printed.
    pki = out / "home" / "pki"
    pki.mkdir()
    text = (site / "site.yml").read_text().replace("/srv/pki/", str(pki) + "/")
    (site / "site.yml").write_text(text)
    for name in ("mysql1.example.internal", "mysql2.example.internal", "redis1.example.internal"):
        for suffix in (".crt", ".key"):
            (pki / (name + suffix)).write_text("placeholder\n")
    (pki / "site-ca.crt").write_text("placeholder\n")
    second = run(out, site.parent.parent, "ansible-playbook", "-i", str(site / "site.yml"), "onprem.wandb.site", "--check",
                 "--vault-password-file", str(password))
    shown = " ".join((second.stdout + second.stderr).split())
    assert second.returncode != 0, shown[-2000:]
    assert "secret(s) of the site file are not real secrets yet: secrets.wandb_license (vault_wandb_license) is still the " \
           "example vault's placeholder text" in shown, shown[-2000:]
    assert "REPLACE: the W&B license" not in shown
    assert re.findall(r"PLAY \[([^\]]*)\]", shown) == ["Check the inventory gives this run its hosts"], shown[-2000:]


def test_a_refused_site_file_stops_ansible_with_the_setting_the_readme_gives(installed, site_dir, tmp_path):
    out, _collection = installed
    site, _password = site_dir
    broken = tmp_path / "site.yml"
    broken.write_text((site / "site.yml").read_text().replace("certificate_mode: files", "certificate_mode: letsencrypt"))
    assert "ANSIBLE_INVENTORY_UNPARSED_FAILED=true" in (ROOT / "README.md").read_text()
    refused = run(out, tmp_path, "ansible-inventory", "-i", str(broken), "--graph", ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert refused.returncode != 0
    assert "components.proxy.certificate_mode must be one of files, acme, internal_ca, got 'letsencrypt'" in refused.stderr
