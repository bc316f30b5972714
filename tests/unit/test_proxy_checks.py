"""Unit tests of the TLS endpoint and reverse-proxy judgements."""

from __future__ import annotations

import pytest

import datetime
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.onprem.wandb.plugins.module_utils import http_proxy, tls_endpoint

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from pki import write_test_pki  # noqa: E402  pylint: disable=wrong-import-position,import-error


def der(path):
    return x509.load_pem_x509_certificate(Path(path).read_bytes()).public_bytes(serialization.Encoding.DER)


def test_describe_leaf_and_self_signed_ca(tmp_path):
    pki = write_test_pki(tmp_path, ["wandb.example.test"], ["10.0.0.5"], days=30)
    leaf = tls_endpoint.describe(der(pki["cert"]))
    assert leaf["subject"] == "CN=wandb.example.test" and leaf["issuer"] == "CN=site test CA"
    assert leaf["subject_alt_names"] == ["DNS:wandb.example.test", "IP:10.0.0.5"]
    assert leaf["days_left"] in (29, 30) and leaf["self_signed"] is False
    assert tls_endpoint.describe(der(pki["ca"]))["self_signed"] is True


def test_endpoint_problems():
    leaf = {"self_signed": False, "days_left": 40, "not_after": "2027-01-01T00:00:00+00:00", "subject": "CN=x"}
    assert tls_endpoint.endpoint_problems("w (a:443)", leaf, 14) == []
    problems = tls_endpoint.endpoint_problems("w (a:443)", dict(leaf, self_signed=True, days_left=3), 14,
                                              verify_error="unable to get local issuer certificate",
                                              legacy_accepted=["TLSv1"])
    assert problems == [
        "w (a:443): the certificate chain does not verify: unable to get local issuer certificate",
        "w (a:443): the certificate is self-signed (subject = issuer = CN=x)",
        "w (a:443): the certificate expires 2027-01-01T00:00:00+00:00, in 3 days; at least 14 are required",
        "w (a:443): the server accepts TLSv1; only TLS 1.2 and 1.3 may be offered",
    ]


def test_expired_leaf_has_negative_days(tmp_path):
    pki = write_test_pki(tmp_path, "old.example.test", days=-3)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert tls_endpoint.describe(der(pki["cert"]), now=now)["days_left"] <= -3


def test_websocket_accept_matches_rfc_6455_example():
    assert http_proxy.websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_forwarded_headers():
    good = {"Host": "wandb.example.com", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "wandb.example.com",
            "X-Forwarded-For": "10.0.0.9", "X-Real-IP": "10.0.0.9"}
    assert http_proxy.forwarded_problems(good, "https", "wandb.example.com") == []
    problems = http_proxy.forwarded_problems({"host": "backend:8080", "x-forwarded-proto": "http"}, "https",
                                             "wandb.example.com")
    assert problems == [
        "the upstream received host: backend:8080, expected wandb.example.com",
        "the upstream received x-forwarded-host: (absent), expected wandb.example.com",
        "the upstream received x-forwarded-proto: http, expected https",
        "the upstream received no x-forwarded-for header",
        "the upstream received no x-real-ip header",
    ]


def test_forged_forwarded_headers_that_reach_the_upstream_are_named():
    forged = http_proxy.FORGED_FORWARDED
    passed_on = {"host": "wandb.example.com", "x-forwarded-proto": "http", "x-forwarded-host": "forged.invalid",
                 "x-forwarded-for": "192.0.2.66, 10.0.0.9", "x-real-ip": "10.0.0.9", "x-forwarded-port": "443"}
    assert http_proxy.forwarded_problems(passed_on, "https", "wandb.example.com", forged) == [
        "the upstream received x-forwarded-for: 192.0.2.66, 10.0.0.9, which the client sent: the proxy passes a "
        "client's forwarded headers to W&B (only a declared load balancer's may be)",
        "the upstream received x-forwarded-host: forged.invalid, which the client sent: the proxy passes a "
        "client's forwarded headers to W&B (only a declared load balancer's may be)",
        "the upstream received x-forwarded-proto: http, which the client sent: the proxy passes a "
        "client's forwarded headers to W&B (only a declared load balancer's may be)",
    ]
    replaced = dict(passed_on, **{"x-forwarded-proto": "https", "x-forwarded-host": "wandb.example.com",
                                  "x-forwarded-for": "10.0.0.9"})
    assert http_proxy.forwarded_problems(replaced, "https", "wandb.example.com", forged) == []


@pytest.mark.parametrize(("answer", "problem"), [
    (("refused", "SSLError"), None),
    (("refused", "RemoteDisconnected"), None),
    (("answered", 421), None),
    (("answered", 404), None),
    (("answered", 200), "answered HTTP 200: a request for a name the proxy does not serve reached a backend"),
    (("answered", 502), "answered HTTP 502: a request for a name the proxy does not serve reached a backend"),
])
def test_a_request_for_an_unknown_name_must_not_reach_a_backend(answer, problem):
    assert http_proxy.unknown_name_problem(answer) == problem


def test_hsts():
    assert http_proxy.hsts_problems({"strict-transport-security": "max-age=31536000; includeSubDomains"}) == []
    assert http_proxy.hsts_problems({}) == ["the https answer has no Strict-Transport-Security header"]
    (short,) = http_proxy.hsts_problems({"Strict-Transport-Security": "max-age=300"})
    assert short.endswith("max-age must be at least 31536000")


def test_endpoint_checks_name_each_outcome():
    leaf = {"self_signed": False, "days_left": 40, "not_after": "2027-01-01T00:00:00+00:00", "subject": "CN=x",
            "issuer": "CN=site CA"}
    assert tls_endpoint.endpoint_checks("w (a:443)", leaf, 14) == {
        "chain": {"status": "passed", "reason": "verifies"},
        "self_signed": {"status": "passed", "reason": "issued by CN=site CA"},
        "expiry": {"status": "passed", "reason": "40 days left (at least 14 required)",
                   "expected": "at least 14 days", "found": "40 days"},
        "legacy_protocols": {"status": "passed", "reason": "TLS 1.0 and 1.1 refused"}}
    checks = tls_endpoint.endpoint_checks("w (a:443)", dict(leaf, days_left=3), 14, legacy_accepted=["TLSv1", "TLSv1.1"],
                                          verify_error="unable to get local issuer certificate")
    assert checks["chain"] == {"status": "failed", "reason": "w (a:443): the certificate chain does not verify: "
                                                             "unable to get local issuer certificate"}
    assert checks["expiry"]["status"] == "failed" and checks["expiry"]["found"] == "3 days"
    assert checks["expiry"]["reason"].startswith("w (a:443): the certificate expires 2027-01-01")
    assert checks["legacy_protocols"]["reason"] == (
        "w (a:443): the server accepts TLSv1; only TLS 1.2 and 1.3 may be offered; "
        "w (a:443): the server accepts TLSv1.1; only TLS 1.2 and 1.3 may be offered")
    assert tls_endpoint.endpoint_checks("w", leaf, 14, legacy_checked=False)["legacy_protocols"] == \
        {"status": "not_run", "reason": "check_legacy_protocols is false"}


def test_a_service_certificate_with_too_few_days_left_fails_naming_them(tmp_path):
    """MySQL's and Redis' checks judge the certificate their TLS handshake gave (tls_endpoint.certificate_expiry_check)."""
    fresh = tls_endpoint.certificate_expiry_check("mysql1:3306", der(write_test_pki(tmp_path / "a", "mysql1", days=90)["cert"]), 14)
    assert fresh["status"] == "passed" and fresh["found"] == "89 days" and fresh["reason"].startswith("89 days left (at least 14 required), CN=mysql1")
    short = tls_endpoint.certificate_expiry_check("redis1:6379 (TLS)", der(write_test_pki(tmp_path / "b", "redis1", days=5)["cert"]), 14)
    assert short["status"] == "failed"
    assert short["reason"].startswith("redis1:6379 (TLS): the certificate expires ") and short["reason"].endswith(
        "in 4 days; at least 14 are required")
    assert tls_endpoint.certificate_expiry_check("redis1:6379", None, 14)["status"] == "not_run"
