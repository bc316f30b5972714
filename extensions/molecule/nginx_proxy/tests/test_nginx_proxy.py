"""Verify the nginx proxy role against the real nginx it converged (Debian 12), with echo upstreams
standing in for W&B."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from playbook_run import assert_rejected_before_change, run_playbook
from pki import write_test_pki

testinfra_hosts = ["ansible://wandb_proxy"]

CONTAINER = "onprem-wandb-proxy"
CONF = "/etc/nginx/conf.d/onprem-wandb.conf"
PKI = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "pki"


def checks(**extra):
    run = run_playbook("check_from_controller.yml", extra_vars=extra)
    assert run.rc == 0, run.failure_messages()
    results = {name: result for name, _h, result in run.tasks if name.startswith("Check the ")}
    return results["Check the TLS endpoint"], results["Check the proxy path"]


def master_pid(host):
    return host.run("systemctl show --property=MainPID --value nginx").stdout.strip()


def test_nginx_running_enabled_and_files_private(host):
    assert host.service("nginx").is_running and host.service("nginx").is_enabled
    key = host.file("/etc/nginx/onprem-wandb/tls/server.key")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)
    assert host.file(CONF).mode == 0o644
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    assert host.run("nginx -t").rc == 0


def test_site_keeps_the_vendor_behaviour(host):
    conf = host.file(CONF).content_string
    for line in ("proxy_http_version 1.1;", "proxy_buffering off;", "keepalive_timeout 10;",
                 "proxy_set_header X-Forwarded-Proto $onprem_wandb_forwarded_proto;",
                 "add_header Strict-Transport-Security $onprem_wandb_sts always;",
                 "ssl_protocols TLSv1.2 TLSv1.3;", "client_max_body_size 64m;", "keepalive 32;",
                 "server 127.0.0.1:8081 max_fails=3 fail_timeout=10s;", "server_name minio.example.test;",
                 # The object store endpoint: every node, least connections, the next node on a failure,
                 # streamed bodies without a limit, long timeouts, S3 headers kept.
                 "least_conn;", "server 127.0.0.1:8089 max_fails=3 fail_timeout=10s;",
                 "proxy_next_upstream error timeout http_502 http_503 http_504;", "client_max_body_size 0;",
                 "proxy_read_timeout 3600s;", "ignore_invalid_headers off;", "proxy_request_buffering off;"):
        assert line in conf, line


def test_tls_and_proxy_checks_pass():
    tls, proxy = checks()
    assert tls["passed"] is True, tls["failures"]
    assert tls["verified"] is True and tls["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert tls["legacy_protocols"] == {"TLSv1": "refused", "TLSv1.1": "refused"}
    assert tls["certificate"]["subject_alt_names"] == ["DNS:wandb.example.test", "DNS:minio.example.test"]
    assert 50 <= tls["certificate"]["days_left"] <= 60 and tls["certificate"]["self_signed"] is False
    assert proxy["passed"] is True, proxy["failures"]
    assert {name: check["status"] for name, check in proxy["checks"].items()} == dict.fromkeys(
        ["large_body", "forwarded_headers", "hsts", "redirect", "unknown_name", "websocket"], "passed")
    # The refusals as the client met them: no certificate for an unknown TLS name, the connection
    # closed for an unknown Host on the right TLS name.
    assert proxy["checks"]["unknown_name"]["reason"] == (
        "TLS name and Host unknown.invalid: SSLError; Host unknown.invalid: RemoteDisconnected"), proxy["checks"]
    assert proxy["checks"]["large_body"]["reason"] == "11010048 bytes answered HTTP 200"
    assert set(tls["checks"]) == {"handshake", "chain", "self_signed", "expiry", "legacy_protocols"}
    assert all(check["status"] == "passed" for check in tls["checks"].values()), tls["checks"]


def test_modules_report_failures_with_what_came_back(tmp_path):
    tls, proxy = checks(check_min_days=90, check_body_size=70 * 1024 * 1024)
    assert tls["passed"] is False
    assert re.search(r"in 5[0-9] days; at least 90 are required", tls["failures"][0]), tls["failures"]
    assert tls["checks"]["expiry"]["status"] == "failed" and tls["checks"]["expiry"]["reason"] == tls["failures"][0]
    assert tls["checks"]["expiry"]["expected"] == "at least 90 days", tls["checks"]
    assert "with 73400320 bytes answered HTTP 413" in proxy["failures"][0]
    assert proxy["checks"]["large_body"] == {"status": "failed", "reason": proxy["failures"][0]}
    # A CA that did not sign the proxy's certificate. (Not the proxy's own certificate: Python 3.13's default
    # context trusts a certificate in its CA file as an anchor, VERIFY_X509_PARTIAL_CHAIN, as clients on it do.)
    untrusted, _proxy = checks(check_ca=write_test_pki(tmp_path, "unrelated.example.test")["other_ca"])
    assert untrusted["verified"] is False and "does not verify" in untrusted["failures"][0]
    wrong_name, _proxy = checks(check_server_name="other.example.test")
    # A name the proxy does not serve: the handshake is refused, no certificate shown.
    assert wrong_name["passed"] is False and wrong_name["failures"] == [wrong_name["checks"]["handshake"]["reason"]]
    assert "other.example.test" in wrong_name["failures"][0] and "UNRECOGNIZED_NAME" in wrong_name["failures"][0]


def test_minio_server_streams_large_uploads_over_tls():
    tls, proxy = checks(check_server_name="minio.example.test", check_body_size=70 * 1024 * 1024)
    assert tls["passed"] is True, tls["failures"]
    assert proxy["checks"]["large_body"] == {"status": "passed", "reason": "73400320 bytes answered HTTP 200"}, \
        proxy["failures"]


def test_the_object_store_endpoint_skips_a_node_that_is_down(address):
    """127.0.0.1:8089 refuses every connection; no request through the endpoint may fail because of it."""
    import urllib3  # pylint: disable=import-outside-toplevel

    pool = urllib3.HTTPSConnectionPool(address, 443, server_hostname="minio.example.test",
                                       assert_hostname="minio.example.test", ca_certs=str(PKI / "proxy-ca.crt"),
                                       retries=False, timeout=30)
    statuses = [pool.urlopen("PUT", f"/wandb/object-{n}", body=os.urandom(1024 * 1024),
                             headers={"Host": "minio.example.test"}).status for n in range(12)]
    assert statuses == [200] * 12


def gateway(host):
    """The address the proxy sees the controller's requests come from (the Docker network's gateway)."""
    return host.run("ip -4 route show default").stdout.split()[2]


def test_a_declared_load_balancer_and_a_new_hsts_age_reload_nginx_and_the_way_back_shows_no_key(host):
    """From a declared load balancer the client's X-Forwarded-* pass (here the controller is declared,
    so the check's forged headers get through and it says so); from anyone else they never do (the
    checks above). The same converge changes the HSTS max-age: both are a reload, never a restart. The
    converge back runs at -vvv with --diff (every command and result printed) while every process on
    the machine is sampled: the proxy's private key is in none of them."""
    before = master_pid(host)
    try:
        run = run_playbook("converge.yml", extra_vars={"nginx_proxy_trusted_proxies": [f"{gateway(host)}/32"],
                                                       "nginx_proxy_hsts_max_age": 63072000})
        assert run.rc == 0, run.failure_messages()
        assert ("Reload nginx", CONTAINER) in run.changed_tasks()
        assert master_pid(host) == before
        assert "max-age=63072000; includeSubDomains" in host.file(CONF).content_string
        _tls, proxy = checks()
        assert proxy["checks"]["forwarded_headers"]["status"] == "failed", proxy["checks"]
        reason = proxy["checks"]["forwarded_headers"]["reason"]
        for header in ("x-forwarded-host: forged.invalid", "x-forwarded-proto: http", "x-forwarded-for: 192.0.2.66"):
            assert f"the upstream received {header}" in reason, reason
    finally:
        back = run_playbook("converge.yml", diff=True, verbose=True, watch=True)
    assert back.rc == 0, back.stdout[-3000:]
    assert ("Reload nginx", CONTAINER) in back.changed_tasks() and master_pid(host) == before
    assert " EXEC " in back.stdout + back.stderr and back.process_samples > 20
    key = (PKI / "proxy.key").read_text(encoding="utf-8").splitlines()[1]
    shown = back.stdout + back.stderr + back.processes
    assert "PRIVATE KEY" not in shown and key not in shown
    _tls, proxy = checks()
    assert proxy["checks"]["forwarded_headers"]["status"] == "passed", proxy["checks"]


def test_sslyze_finds_the_endpoint_compliant_with_mozilla_intermediate(address):
    sslyze = Path(__file__).resolve().parents[4] / ".venv-sslyze" / "bin" / "python"
    script = Path(__file__).resolve().parents[4] / "tests" / "support" / "mozilla_tls.py"
    for name in ("wandb.example.test", "minio.example.test"):
        out = subprocess.run([str(sslyze), str(script), address, "443", name, str(PKI / "proxy-ca.crt")],
                             capture_output=True, text=True, check=True, timeout=300).stdout
        assert json.loads(out) == {"compliant": True, "issues": {}}, out


def test_tls_module_detects_a_server_that_accepts_tls_1_0(host, address):
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        ["docker", "exec", CONTAINER, "openssl", "s_server", "-accept", "18443", "-www", "-tls1",
         "-cipher", "DEFAULT:@SECLEVEL=0", "-cert", "/etc/nginx/onprem-wandb/tls/fullchain.pem",
         "-key", "/etc/nginx/onprem-wandb/tls/server.key"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _attempt in range(50):
            if "LISTEN" in host.run("ss -Hltn 'sport = :18443'").stdout:
                break
            time.sleep(0.2)
        run = run_playbook("legacy_tls.yml", extra_vars={"legacy_host": address})
        (result,) = [r for name, _h, r in run.tasks if name == "Check a TLS 1.0 server"]
        assert result["legacy_protocols"]["TLSv1"] == "accepted"
        assert any("accepts TLSv1; only TLS 1.2 and 1.3 may be offered" in f for f in result["failures"])
    finally:
        server.terminate()
        subprocess.run(["docker", "exec", CONTAINER, "pkill", "-f", "openssl s_server"], check=False)


def test_failover_to_the_second_backend(host):
    host.run("systemctl stop echo-upstream@8080")
    try:
        _tls, proxy = checks()
        assert proxy["checks"]["large_body"]["status"] == "passed", proxy["failures"]
    finally:
        assert host.run("systemctl start echo-upstream@8080").rc == 0


def test_check_mode_on_converged_host_changes_nothing(converge_check_run):
    assert converge_check_run.rc == 0, converge_check_run.failure_messages()
    assert converge_check_run.changed == 0, converge_check_run.changed_tasks()


def test_broken_directive_is_refused_and_the_old_config_keeps_serving(host):
    before = host.file(CONF).sha256sum
    run = run_playbook("converge.yml", extra_vars={"nginx_proxy_extra_directives": ["proxy_buffer_size 8k 16k;"]})
    assert run.rc != 0
    (failed,) = run.failures()
    assert failed[0] == "Write the W&B site, tested with nginx -t before it replaces the live one"
    assert 'invalid number of arguments in "proxy_buffer_size" directive' in str(failed[2])
    assert host.file(CONF).sha256sum == before
    tls, proxy = checks()
    assert tls["passed"] and proxy["passed"], tls["failures"] + proxy["failures"]


@pytest.fixture(scope="module")
def bad_pki(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad-pki")
    good_names = ["wandb.example.test", "minio.example.test"]
    return {
        "expired": write_test_pki(base / "expired", good_names, days=-2),
        "short": write_test_pki(base / "short", good_names, days=5),
        "other_names": write_test_pki(base / "names", ["wandb.example.com"], days=60),
        "good": write_test_pki(base / "good", good_names, days=60),
        "wildcard": write_test_pki(base / "wildcard", ["*.example.test"], days=60),
        "wandb_only": write_test_pki(base / "wandb-only", ["wandb.example.test"], days=60),
    }


def files(pki, **extra):
    return {"nginx_proxy_cert_src": pki["cert"], "nginx_proxy_key_src": pki["key"],
            "nginx_proxy_trust_ca_src": pki["ca"], **extra}


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        ("key-mismatch", ["is not the key of nginx_proxy_cert_src"]),
        ("expired", ["and has expired", "nginx_proxy_cert_min_days=14"]),
        ("short-validity", ["it must stay valid for at least nginx_proxy_cert_min_days=14 more days"]),
        ("names", ['names ["wandb.example.com"], not ["wandb.example.test", "minio.example.test"]']),
        ("endpoint-not-covered", ['names ["wandb.example.test"], not ["minio.example.test"]']),
        ("minio-node-twice", ["nginx_proxy_minio_upstreams lists 127.0.0.1:8080 more than once"]),
        ("chain", ["does not lead to a root in", "Add the intermediate certificates"]),
        ("small-body-limit", ['nginx_proxy_client_max_body_size is "1m"', "give 11m or more"]),
        ("tls-1.1", ['nginx_proxy_tls_protocols is ["TLSv1.1", "TLSv1.2"]']),
        ("internal-ca-without-ack", ["internal_ca", "labs only", "nginx_proxy_internal_ca_acknowledge_lab_only"]),
        ("no-backends", ["nginx_proxy_upstreams is []"]),
        ("backend-without-port", ['nginx_proxy_upstreams is ["wandb-ingress.example.test"]']),
    ],
)
def test_bad_input_fails_before_nginx_is_touched(case, fragments, bad_pki):
    cases = {
        "key-mismatch": files(bad_pki["good"], nginx_proxy_key_src=bad_pki["other_names"]["key"]),
        "expired": files(bad_pki["expired"]),
        "short-validity": files(bad_pki["short"]),
        "names": files(bad_pki["other_names"]),
        "endpoint-not-covered": files(bad_pki["wandb_only"]),
        "minio-node-twice": {"nginx_proxy_minio_upstreams": ["127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8080"]},
        "chain": files(bad_pki["good"], nginx_proxy_trust_ca_src=bad_pki["good"]["other_ca"]),
        "small-body-limit": {"nginx_proxy_client_max_body_size": "1m"},
        "tls-1.1": {"nginx_proxy_tls_protocols": ["TLSv1.1", "TLSv1.2"]},
        "internal-ca-without-ack": {"nginx_proxy_cert_mode": "internal_ca"},
        "no-backends": {"nginx_proxy_upstreams": []},
        "backend-without-port": {"nginx_proxy_upstreams": ["wandb-ingress.example.test"]},
    }
    run = run_playbook("converge.yml", extra_vars=cases[case])
    assert_rejected_before_change(run, *fragments)


class SlowUpload(threading.Thread):
    """One request through the proxy whose body trickles in until told to finish: in flight for as long
    as a converge takes, so a reload that dropped connections would fail it."""

    def __init__(self, address):
        super().__init__()
        self.address, self.finish, self.status, self.sent = address, threading.Event(), None, 0

    def run(self):
        context = ssl.create_default_context(cafile=str(PKI / "proxy-ca.crt"))
        conn = http.client.HTTPSConnection(self.address, 443, timeout=120, context=context)
        conn.sock = context.wrap_socket(socket.create_connection((self.address, 443), 120),
                                        server_hostname="wandb.example.test")
        total = 8 * 1024 * 1024
        conn.putrequest("POST", "/slow-upload", skip_host=True)
        for name, value in (("Host", "wandb.example.test"), ("Content-Length", str(total))):
            conn.putheader(name, value)
        conn.endheaders()
        while self.sent < total // 2 and not self.finish.is_set():
            conn.send(b"x" * 1024)
            self.sent += 1024
            time.sleep(0.05)
        conn.send(b"x" * (total - self.sent))
        self.status = conn.getresponse().status
        conn.close()


def test_a_renewed_certificate_is_previewed_without_its_key_then_reloaded_without_dropping_a_request(
        host, address, bad_pki):
    """The wildcard certificate replaces the site's (a renewal: new certificate, key and CA): --check --diff
    shows the change but never the key; the converge reloads nginx (same master process) while a
    request is in flight, and that request completes."""
    renewal = files(bad_pki["wildcard"])
    preview = run_playbook("converge.yml", extra_vars=renewal, check=True, diff=True)
    assert preview.rc == 0, preview.failure_messages()
    assert ("Install the private key (readable by root only)", CONTAINER) in preview.changed_tasks()
    shown = preview.stdout + preview.stderr
    for key in (bad_pki["wildcard"]["key"], PKI / "proxy.key"):
        assert Path(key).read_text(encoding="utf-8").splitlines()[1] not in shown
    assert "PRIVATE KEY" not in shown
    before = master_pid(host)
    upload = SlowUpload(address)
    upload.start()
    try:
        run = run_playbook("converge.yml", extra_vars=renewal)
        assert run.rc == 0, run.failure_messages()
        assert ("Reload nginx", CONTAINER) in run.changed_tasks() and master_pid(host) == before
        assert upload.is_alive(), "the upload finished before the reload: the test proved nothing"
    finally:
        upload.finish.set()
        upload.join(120)
        assert run_playbook("converge.yml").rc == 0
    assert upload.status == 200


def test_internal_ca_lab_mode(host, tmp_path):
    lab = {"nginx_proxy_cert_mode": "internal_ca", "nginx_proxy_internal_ca_acknowledge_lab_only": True}
    try:
        run = run_playbook("converge.yml", extra_vars=lab)
        assert run.rc == 0, run.failure_messages()
        said = [r.get("msg", "") for name, _h, r in run.tasks if name == "Say that the internal CA is for labs only"]
        assert said and said[0].startswith("UNSUPPORTED IN PRODUCTION")
        assert host.file("/etc/nginx/onprem-wandb/internal-ca/ca.key").mode == 0o600
        ca = tmp_path / "lab-ca.crt"
        ca.write_bytes(host.file("/etc/nginx/onprem-wandb/internal-ca/ca.crt").content)
        tls, _proxy = checks(check_ca=str(ca))
        assert tls["passed"] is True and tls["certificate"]["issuer"].startswith("CN=onprem.wandb lab CA"), tls
        again = run_playbook("converge.yml", extra_vars=lab)
        assert again.rc == 0 and again.changed == 0, again.changed_tasks()
    finally:
        assert run_playbook("converge.yml").rc == 0
