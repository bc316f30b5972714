"""Verify the nginx proxy role's ACME path against a real ACME CA (Pebble) on the scenario network."""

from __future__ import annotations

import os
import ssl
import urllib.request
from pathlib import Path

import pytest
import testinfra
from playbook_run import assert_rejected_before_change, run_playbook

testinfra_hosts = ["ansible://wandb_proxy"]

PKI = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "pki"
RENEW = "/usr/local/libexec/onprem-wandb/nginx-acme-renew"


@pytest.fixture(scope="module")
def pebble_root(tmp_path_factory):
    """Pebble's current root, from its management API (trusted through the test's API CA)."""
    acme = testinfra.get_host("ansible://onprem-wandb-acme", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])
    address = acme.ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]
    context = ssl.create_default_context(cafile=str(PKI / "api-ca.crt"))
    context.check_hostname = False  # the API certificate names onprem-wandb-acme; we reach it by address
    with urllib.request.urlopen(f"https://{address}:15000/roots/0", context=context, timeout=10) as answer:
        root = tmp_path_factory.mktemp("pebble") / "root.pem"
        root.write_bytes(answer.read())
    return str(root)


def served(pebble_root):
    run = run_playbook("check_from_controller.yml", extra_vars={"check_ca": pebble_root})
    assert run.rc == 0, run.failure_messages()
    return [r for name, _h, r in run.tasks if name == "Check the TLS endpoint"][0]


def test_certificate_comes_from_the_acme_ca(host, pebble_root):
    result = served(pebble_root)
    assert result["passed"] is True, result["failures"]
    assert result["verified"] is True
    assert result["certificate"]["issuer"].startswith("CN=Pebble Intermediate CA")
    assert result["certificate"]["subject_alt_names"] == ["DNS:wandb.example.test"]
    for key in ("/etc/nginx/onprem-wandb/acme/account.key", "/etc/nginx/onprem-wandb/tls/server.key"):
        assert (host.file(key).user, host.file(key).mode) == ("root", 0o600)
    # No challenge file is left behind.
    assert host.run("find /var/lib/onprem-wandb/acme/.well-known/acme-challenge -type f").stdout == ""


def test_renewal_timer_is_active_and_renews_with_a_reload(host, pebble_root):
    timer = host.service("onprem-wandb-acme-renew.timer")
    assert timer.is_enabled and timer.is_running
    due = host.run("systemctl start onprem-wandb-acme-renew.service && journalctl -u onprem-wandb-acme-renew "
                   "--no-pager -n 5 -o cat")
    assert due.rc == 0 and "nothing to renew" in due.stdout, due.stdout + due.stderr
    before = served(pebble_root)["certificate"]["serial"]
    pid = host.run("systemctl show --property=MainPID --value nginx").stdout
    renewed = host.run(f"ONPREM_WANDB_ACME_RENEW_DAYS=3650 {RENEW}")
    assert renewed.rc == 0 and renewed.stdout.startswith("renewed "), renewed.stdout + renewed.stderr
    after = served(pebble_root)
    assert after["passed"] is True and after["certificate"]["serial"] != before
    assert host.run("systemctl show --property=MainPID --value nginx").stdout == pid


def test_rerun_and_check_mode_change_nothing(converge_check_run):
    assert converge_check_run.rc == 0, converge_check_run.failure_messages()
    assert converge_check_run.changed == 0, converge_check_run.changed_tasks()
    again = run_playbook("converge.yml")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
    # The account is registered by acme_account, the orders never modify it: no deprecation from community.crypto.
    for run in (converge_check_run, again):
        assert "DEPRECATION" not in run.stdout + run.stderr, run.stderr


@pytest.mark.parametrize(
    ("extra_vars", "fragments"),
    [
        ({"nginx_proxy_acme_terms_agreed": False}, ["nginx_proxy_acme_terms_agreed true"]),
        ({"nginx_proxy_acme_directory": "http://onprem-wandb-acme:14000/dir"},
         ['found "http://onprem-wandb-acme:14000/dir"']),
        ({"nginx_proxy_http_port": 8088}, ["nginx_proxy_http_port 80 (found 8088)"]),
    ],
)
def test_bad_acme_input_fails_before_any_change(extra_vars, fragments):
    assert_rejected_before_change(run_playbook("converge.yml", extra_vars=extra_vars), *fragments)
