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


def forwarded_problems(received, scheme, host):
    """What is wrong with the forwarded headers the upstream received (names lower-cased)."""
    headers = {name.lower(): value for name, value in received.items()}
    expected = {"x-forwarded-proto": scheme, "x-forwarded-host": host, "host": host}
    problems = ["the upstream received %s: %s, expected %s" % (name, headers.get(name, "(absent)"), value)
                for name, value in sorted(expected.items()) if headers.get(name) != value]
    for name in ("x-forwarded-for", "x-real-ip"):
        if not headers.get(name):
            problems.append("the upstream received no %s header" % name)
    return problems


def hsts_problems(headers, min_age=31536000):
    """HSTS must be present on https answers with a max-age of at least min_age."""
    value = {name.lower(): v for name, v in headers.items()}.get("strict-transport-security")
    if not value:
        return ["the https answer has no Strict-Transport-Security header"]
    ages = [part.strip()[len("max-age="):] for part in value.split(";") if part.strip().lower().startswith("max-age=")]
    if not ages or not ages[0].isdigit() or int(ages[0]) < min_age:
        return ["Strict-Transport-Security is %r: max-age must be at least %d" % (value, min_age)]
    return []
