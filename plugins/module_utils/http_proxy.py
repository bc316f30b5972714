# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judgements of what a reverse proxy passed on (no I/O here)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def websocket_accept(key):
    """The Sec-WebSocket-Accept value a server must answer to Sec-WebSocket-Key (RFC 6455)."""
    return base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest()).decode("ascii")


# Forwarded headers a client sends to pose as another host, scheme, port or address (the check sends
# them as any client can): the proxy must replace them with its own unless the client is a declared
# load balancer.
FORGED_FORWARDED = {"X-Forwarded-Host": "forged.invalid", "X-Forwarded-Proto": "http", "X-Forwarded-Port": "1",
                    "X-Forwarded-For": "192.0.2.66"}


def forwarded_problems(received, scheme, host, forged=None):
    """What is wrong with the forwarded headers the upstream received (names lower-cased).

    forged: the X-Forwarded-* headers the client sent (FORGED_FORWARDED); any of them reaching the
    upstream is named as such.
    """
    headers = {name.lower(): value for name, value in received.items()}
    problems, named = [], set()
    for name, value in sorted((forged or {}).items()):
        if value in [part.strip() for part in headers.get(name.lower(), "").split(",")]:
            named.add(name.lower())
            problems.append("the upstream received %s: %s, which the client sent: the proxy passes a client's "
                            "forwarded headers to W&B (only a declared load balancer's may be)"
                            % (name.lower(), headers[name.lower()]))
    expected = {"x-forwarded-proto": scheme, "x-forwarded-host": host, "host": host}
    problems.extend("the upstream received %s: %s, expected %s" % (name, headers.get(name, "(absent)"), value)
                    for name, value in sorted(expected.items()) if headers.get(name) != value and name not in named)
    for name in ("x-forwarded-for", "x-real-ip"):
        if not headers.get(name):
            problems.append("the upstream received no %s header" % name)
    return problems


def unknown_name_problem(answer):
    """Whether a request for a name the proxy does not serve was kept from the upstream.

    answer: ("refused", error) when the TLS handshake or the connection was refused or closed without
    an answer, or ("answered", status) for an HTTP answer. Only an answer from an upstream is a
    problem: nginx's catch-all refuses the handshake or closes the connection (444), or answers 4xx.
    """
    kind, detail = answer
    if kind == "refused" or (isinstance(detail, int) and 400 <= detail < 500):
        return None
    return "answered HTTP %s: a request for a name the proxy does not serve reached a backend" % (detail,)


def hsts_problems(headers, min_age=31536000):
    """HSTS must be present on https answers with a max-age of at least min_age."""
    value = {name.lower(): v for name, v in headers.items()}.get("strict-transport-security")
    if not value:
        return ["the https answer has no Strict-Transport-Security header"]
    ages = [part.strip()[len("max-age="):] for part in value.split(";") if part.strip().lower().startswith("max-age=")]
    if not ages or not ages[0].isdigit() or int(ages[0]) < min_age:
        return ["Strict-Transport-Security is %r: max-age must be at least %d" % (value, min_age)]
    return []
