"""Verify the common role on a converged Debian 12 systemd container."""

from __future__ import annotations

import socket
import time

import pytest
from playbook_run import assert_rejected_before_change, run_playbook

testinfra_hosts = ["ansible://wandb_common"]


@pytest.mark.parametrize("package", ["acl", "ca-certificates", "chrony", "curl", "python3-apt", "less"])
def test_packages_installed(host, package):
    assert host.package(package).is_installed


def test_chrony_config_lists_only_the_site_servers(host):
    conf = host.file("/etc/chrony/chrony.conf")
    assert conf.user == "root" and conf.group == "root" and conf.mode == 0o644
    content = conf.content_string
    assert "server ntp1.example.internal iburst" in content
    assert "server 192.0.2.123 iburst" in content
    # Air-gapped shape: the distribution's public pool must be gone.
    assert "pool " not in content
    assert "makestep 1.0 3" in content


def test_chrony_config_parses(host):
    result = host.run("chronyd -p -f /etc/chrony/chrony.conf")
    assert result.rc == 0, result.stderr
    assert "server ntp1.example.internal iburst" in result.stdout


def test_chrony_enabled_but_left_to_the_container_host(host):
    chrony = host.service("chrony")
    assert chrony.is_enabled
    # In a container the clock belongs to the host: the role does not start chrony there.
    assert host.ansible("setup", "gather_subset=virtual")["ansible_facts"]["ansible_virtualization_type"] in (
        "docker", "container")
    assert not chrony.is_running


def test_service_account_convention(host):
    user = host.user("wandb-svc")
    assert user.exists
    assert user.uid < 1000, "a service account must be a system account"
    assert user.group == "wandb-svc"
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/var/lib/wandb-svc"
    assert user.password in ("!", "!*", "*"), "a service account must have no usable password"
    home = host.file("/var/lib/wandb-svc")
    assert home.is_directory and home.user == "wandb-svc" and home.mode == 0o750


@pytest.fixture(scope="module")
def listeners(host):
    """A listener on each of three ports in the container: two the firewall guards, one it does not list."""
    ports = (18081, 18082, 18083)
    for port in ports:
        host.run_test(f"systemd-run --unit=probe-{port} python3 -m http.server --bind 0.0.0.0 {port}")
    for port in ports:
        for _attempt in range(50):  # bounded: until each listener answers inside the container
            if host.run(f"curl -s -o /dev/null http://127.0.0.1:{port}/").rc == 0:
                break
            time.sleep(0.2)
    yield ports
    for port in ports:
        host.run(f"systemctl stop probe-{port}")


def reaches(address, port):
    """A TCP connection from the controller: True when accepted, False when reset (refused)."""
    try:
        with socket.create_connection((address, port), timeout=5):
            return True
    except ConnectionRefusedError:
        return False


def test_the_firewall_lets_only_the_listed_sources_reach_a_port(host, address, listeners):
    """The controller is outside the sources of port 18081 (refused with a reset, so clients fail fast), inside
    those of 18082 (served); 18083 has no rule (untouched), and the host itself still reaches every port. The
    rules come back when the unit restarts (as at boot) and are nftables', checked by nft before use."""
    assert (reaches(address, 18081), reaches(address, 18082), reaches(address, 18083)) == (False, True, True)
    for port in listeners:
        assert host.run(f"curl -s -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{port}/").stdout == "200", port
    unit = host.service("onprem-wandb-firewall")
    assert unit.is_enabled and unit.is_running
    host.run_test("systemctl restart onprem-wandb-firewall")
    assert (reaches(address, 18081), reaches(address, 18082)) == (False, True)
    table = host.run_test("nft list table inet onprem_wandb").stdout
    assert "192.0.2.0/24" in table and "2001:db8::/32" in table and "198.51.100.7" in table, table
    rules = host.file("/etc/onprem-wandb-firewall.nft")
    assert rules.user == "root" and rules.mode == 0o644
    host.run_test("nft --check --file /etc/onprem-wandb-firewall.nft")


def test_a_check_module_names_the_refused_port_and_the_port_without_tls(address, listeners):
    """onprem.wandb.tls_endpoint_info from the controller, as verify runs it: on 18081 (the firewall resets the
    controller) the handshake fails naming the refused connection; on 18082 a connection is made but no TLS
    handshake (plain HTTP answers). Each failure names the endpoint; neither run fails the play."""
    run = run_playbook("check_module.yml", extra_vars={"probe_address": address})
    assert run.rc == 0, run.failure_messages()
    (_name, _host, result), = [task for task in run.tasks if task[0] == "Check the TLS endpoint on each probe port"]
    refused, plain = result["results"]
    assert (refused["item"], plain["item"]) == (18081, 18082)
    for outcome, port in ((refused, 18081), (plain, 18082)):
        assert outcome["passed"] is False and outcome["changed"] is False, outcome
        assert outcome["checks"]["handshake"]["status"] == "failed", outcome
        assert outcome["failures"][0].startswith(f"common.example.test ({address}:{port}): no TLS handshake"), outcome
    assert "Connection refused" in refused["checks"]["handshake"]["reason"], refused
    assert "refused" not in plain["checks"]["handshake"]["reason"].lower(), plain


def test_check_mode_on_converged_host_changes_nothing(converge_check_run):
    """On the default (newest) ansible-core and the oldest of the matrix (tests/run.sh): nothing deprecated is used."""
    assert converge_check_run.rc == 0, converge_check_run.failure_messages()
    assert converge_check_run.changed == 0, converge_check_run.changed_tasks()
    assert "DEPRECATION" not in converge_check_run.stdout + converge_check_run.stderr, converge_check_run.stderr


@pytest.mark.parametrize(
    ("extra_vars", "fragments"),
    [
        pytest.param({"common_ntp_servers": [], "common_ntp_pools": []},
                     ["common_ntp_servers ([])", "common_ntp_pools ([])", "at least one NTP server or pool"],
                     id="no-time-source"),
        pytest.param({"common_ntp_servers": "ntp1.example.org"},
                     ['common_ntp_servers is "ntp1.example.org"', "must be a list"], id="string-not-list"),
        pytest.param({"common_ntp_servers": ["ntp.example.org iburst minpoll 1"]},
                     ['"ntp.example.org iburst minpoll 1"', "common_ntp_servers", "not a host name"],
                     id="server-with-options"),
        pytest.param({"common_ntp_makestep_limit": "three"},
                     ["common_ntp_makestep_limit", "int"],
                     id="limit-not-an-integer"),
        pytest.param({"common_ntp_makestep_threshold": 0},
                     ["common_ntp_makestep_threshold is 0", "above 0"],
                     id="zero-step-threshold"),
        pytest.param({"common_service_accounts": [{"name": "Bad Name"}]},
                     ["common_service_accounts names ['Bad Name']", "must match"],
                     id="invalid-account-name"),
        pytest.param({"common_service_accounts": [{"name": "minio"}, {"name": "minio"}]},
                     ["['minio', 'minio']", "appear only once"],
                     id="duplicate-account"),
        pytest.param({"common_service_accounts": [{"comment": "no name"}]},
                     ["common_service_accounts", "name"],
                     id="account-without-name"),
        # Each rule is checked on its own: the three bad ones are all named in one run.
        pytest.param({"common_firewall_rules": [{"name": "mysql", "port": 3306, "sources": ["10.0.0.0/33", "db.example"]},
                                                {"name": "redis", "port": 6379, "sources": ["0.0.0.0/0"]},
                                                {"name": "MinIO", "port": 70000, "sources": ["10.0.0.1"]}]},
                     ['common_firewall_rules item', 'Not an address or CIDR: ["10.0.0.0/33", "db.example"]',
                      '"sources": ["0.0.0.0/0"]', "none of them every address", '"name": "MinIO"', "port 1-65535"],
                     id="firewall-bad-rules"),
        pytest.param({"common_firewall_rules": [{"name": "a", "port": 3306, "sources": ["10.0.0.1"]},
                                                {"name": "b", "port": 3306, "sources": ["10.0.0.2"]}]},
                     ["common_firewall_rules is", "the ports ['tcp/3306', 'tcp/3306']"],
                     id="firewall-port-twice"),
    ],
)
def test_bad_input_fails_before_any_change(extra_vars, fragments):
    run = run_playbook("converge.yml", extra_vars=extra_vars)
    assert_rejected_before_change(run, *fragments)
