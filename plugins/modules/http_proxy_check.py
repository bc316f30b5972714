#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: http_proxy_check
short_description: Check that a reverse proxy in front of W&B passes what W&B needs
version_added: 0.1.0
description:
  - Sends a large request body (by default a bit over W&B's 10 MB check) through the proxy and
    fails on HTTP 413 or any other error answer; checks HSTS on https answers, the plain-HTTP
    redirect to https, and that a WebSocket upgrade passes through (HTTP 101 with the right
    C(Sec-WebSocket-Accept)).
  - With O(expect_echo=true), for an upstream that answers with what it received (a test fixture,
    or a diagnostics endpoint) as JSON C({"headers":{...},"body_bytes":N}), also checks that
    C(Host), C(X-Forwarded-Proto), C(X-Forwarded-Host), C(X-Forwarded-For) and C(X-Real-IP) reached
    the upstream and that the whole body arrived. The large request also carries forged
    C(X-Forwarded-Host), C(-Proto), C(-Port) and C(-For) headers, as any client can send them; the
    check fails when they reach the upstream (run it from a host that is not one of the proxy's
    trusted load balancers).
  - Checks that a request for a name the proxy does not serve (another TLS name, or the right TLS
    name with another C(Host)) does not reach a backend.
  - Each failure names the request and the answer.
extends_documentation_fragment:
  - onprem.wandb.requirements_check
author:
  - onprem.wandb maintainers (@onprem)
options:
  url:
    description: URL as clients use it, for example C(https://wandb.example.com/).
    type: str
    required: true
  connect_host:
    description: Address to connect to instead of resolving the URL's host (the URL's host is still sent as SNI and Host).
    type: str
  ca_bundle:
    description: CA bundle (PEM) that verifies the proxy's certificate; without it the system trust store is used.
    type: path
  body_size:
    description: Bytes of the large request body.
    type: int
    default: 11010048
  expect_echo:
    description: The upstream answers with the headers and body size it received (see above).
    type: bool
    default: false
  http_port:
    description: Plain-HTTP port that must redirect to the https URL; C(0) skips the check.
    type: int
    default: 80
  websocket_path:
    description: Path of a WebSocket endpoint behind the proxy; without it the upgrade is not checked.
    type: str
  timeout:
    description: Seconds for connecting and for each answer.
    type: float
    default: 60
attributes:
  check_mode:
    support: full
    description: It only sends requests; the upstream decides what they do (W&B's own check does the same).
  idempotent:
    support: full
    description: The requests are the same on every run.
"""

EXAMPLES = r"""
- name: Check the proxy in front of W&B
  onprem.wandb.http_proxy_check:
    url: https://wandb.example.com/
    connect_host: 10.0.0.5
    ca_bundle: /etc/ssl/certs/site-ca.pem
  delegate_to: localhost
"""

RETURN = r"""
passed:
  description: Whether every check that ran passed.
  returned: always
  type: bool
  sample: true
failures:
  description: One sentence per failed check.
  returned: always
  type: list
  elements: str
  sample: ["POST https://wandb.example.com/ with 11010048 bytes answered HTTP 413 Request Entity Too Large: raise the proxy's body limit"]
checks:
  description: >-
    One result per check: C(status) (passed, failed, warn, not_run), a one-line C(reason) and,
    where they exist, the C(expected) and C(found) values.
  returned: always
  type: dict
  sample:
    large_body: {status: passed, reason: 11010048 bytes answered HTTP 200}
    websocket: {status: not_run, reason: no websocket_path given}
large_body_status:
  description: HTTP status of the large request.
  returned: when the request was answered
  type: int
  sample: 200
"""

import base64
import http.client
import json
import os
import socket
import ssl
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import not_run, outcome
from ansible_collections.onprem.wandb.plugins.module_utils.http_proxy import (
    FORGED_FORWARDED,
    forwarded_problems,
    hsts_problems,
    unknown_name_problem,
    websocket_accept,
)


UNKNOWN_NAME = "unknown.invalid"


def unverified_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Target(object):
    def __init__(self, params):
        parts = urlsplit(params["url"])
        self.scheme = parts.scheme
        self.name = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = parts.path or "/"
        self.host_header = parts.netloc
        self.address = params["connect_host"] or self.name
        self.timeout = params["timeout"]
        self.context = ssl.create_default_context(cafile=params["ca_bundle"]) if self.scheme == "https" else None

    def connection(self, port=None, plain=False, tls_name=None, context=None):
        port = port or self.port
        if plain or self.context is None:
            return http.client.HTTPConnection(self.address, port, timeout=self.timeout)
        context = context or self.context
        conn = http.client.HTTPSConnection(self.address, port, timeout=self.timeout, context=context)
        name = tls_name or self.name

        def connect():  # Connect to the address, but present the URL's name (SNI and certificate check).
            raw = socket.create_connection((self.address, port), self.timeout)
            conn.sock = context.wrap_socket(raw, server_hostname=name)
        conn.connect = connect
        return conn

    def request(self, method, path, body=None, headers=None, port=None, plain=False, tls_name=None, context=None):
        conn = self.connection(port, plain, tls_name, context)
        try:
            conn.request(method, path, body=body, headers=dict({"Host": self.host_header}, **(headers or {})))
            answer = conn.getresponse()
            # A 101 answer switches protocols: there is no HTTP body to read.
            body = b"" if answer.status == 101 else answer.read()
            return answer.status, answer.reason, dict(answer.getheaders()), body
        finally:
            conn.close()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            connect_host=dict(type="str"),
            ca_bundle=dict(type="path"),
            body_size=dict(type="int", default=11010048),
            expect_echo=dict(type="bool", default=False),
            http_port=dict(type="int", default=80),
            websocket_path=dict(type="str"),
            timeout=dict(type="float", default=60),
            fail_on_failure=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params["url"].startswith(("http://", "https://")):
        module.fail_json(msg="url %r must start with http:// or https://" % params["url"])
    target = Target(params)
    failures, checks, result = [], {}, dict(changed=False)

    def record(name, problems, detail=""):
        checks[name] = outcome(problems, detail)
        failures.extend(problems)

    sent = "POST %s with %d bytes" % (params["url"], params["body_size"])
    try:
        status, reason, headers, body = target.request("POST", target.path, body=os.urandom(params["body_size"]),
                                                       headers=dict(FORGED_FORWARDED, **{"Content-Type": "application/octet-stream"}))
        result["large_body_status"] = status
        problems = []
        if status == 413:
            problems.append("%s answered HTTP 413 %s: raise the proxy's body limit" % (sent, reason))
        elif not 200 <= status < 300:
            problems.append("%s answered HTTP %d %s" % (sent, status, reason))
        record("large_body", problems, "%d bytes answered HTTP %d" % (params["body_size"], status))
        if params["expect_echo"] and status == 200:
            echo = json.loads(body)
            problems = forwarded_problems(echo.get("headers", {}), target.scheme, target.host_header, FORGED_FORWARDED)
            if echo.get("body_bytes") != params["body_size"]:
                problems.append("the upstream received %s of the %d bytes sent" % (echo.get("body_bytes"),
                                                                                   params["body_size"]))
            record("forwarded_headers", problems)
        else:
            checks["forwarded_headers"] = not_run("expect_echo is false" if not params["expect_echo"]
                                                  else "the large request failed")
        if target.scheme == "https":
            record("hsts", hsts_problems(headers))
        else:
            checks["hsts"] = not_run("the URL is not https")
    except (OSError, ssl.SSLError, http.client.HTTPException, ValueError) as error:
        record("large_body", ["%s failed: %s" % (sent, error)])

    if target.scheme == "https" and params["http_port"]:
        want = "https://%s%s" % (target.host_header, target.path)
        try:
            status, _reason, headers, _body = target.request("GET", target.path, port=params["http_port"], plain=True,
                                                             headers={"Host": target.name})
            location = {k.lower(): v for k, v in headers.items()}.get("location")
            record("redirect", [] if status in (301, 308) and location == want else [
                "GET http://%s:%d%s answered HTTP %d with Location %s; expected 301 to %s"
                % (target.name, params["http_port"], target.path, status, location, want)])
        except (OSError, http.client.HTTPException) as error:
            record("redirect", ["GET http://%s:%d%s failed: %s" % (target.name, params["http_port"], target.path, error)])
    else:
        checks["redirect"] = not_run("http_port is 0" if target.scheme == "https" else "the URL is not https")

    # A name the proxy does not serve: "unknown.invalid" (RFC 2606) as the TLS name, then the right TLS
    # name with it as Host.
    problems, seen = [], []
    for tls_name, what in ((UNKNOWN_NAME, "TLS name and Host %s" % UNKNOWN_NAME), (None, "Host %s" % UNKNOWN_NAME)):
        if tls_name and target.context is None:
            continue
        try:
            # A certificate for another name is what the check is about, not a failure of it.
            answer = ("answered", target.request("GET", target.path, headers={"Host": UNKNOWN_NAME}, tls_name=tls_name,
                                                 context=unverified_context())[0])
        except (OSError, ssl.SSLError, http.client.HTTPException) as error:
            answer = ("refused", type(error).__name__)
        seen.append("%s: %s" % (what, answer[1]))
        problem = unknown_name_problem(answer)
        if problem:
            problems.append("GET %s://%s%s with %s %s" % (target.scheme, target.address, target.path, what, problem))
    record("unknown_name", problems, "; ".join(seen))

    if params["websocket_path"]:
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        what = "WebSocket upgrade of %s://%s%s" % (target.scheme, target.host_header, params["websocket_path"])
        try:
            status, reason, headers, _body = target.request("GET", params["websocket_path"], headers={
                "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key,
                "Sec-WebSocket-Version": "13"})
            accept = {k.lower(): v for k, v in headers.items()}.get("sec-websocket-accept")
            record("websocket", [] if status == 101 and accept == websocket_accept(key) else [
                "%s answered HTTP %d %s with Sec-WebSocket-Accept %s; expected 101 with %s"
                % (what, status, reason, accept, websocket_accept(key))])
        except (OSError, http.client.HTTPException) as error:
            record("websocket", ["%s failed: %s" % (what, error)])
    else:
        checks["websocket"] = not_run("no websocket_path given")

    result.update(passed=not failures, failures=failures, checks=checks)
    if failures and params["fail_on_failure"]:
        module.fail_json(msg="; ".join(failures), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
