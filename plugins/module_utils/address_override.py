# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connect to a given address for one host name, like ``curl --resolve``.

A check of a declared endpoint (https://s3.example.com) must send what W&B's users send: the name
in the Host header and in TLS SNI, and the certificate verified against that name. Before DNS is
live (or in a lab whose names only the containers know) the controller cannot resolve the name, so
the check module connects to the address the site gives instead, for that one name, inside the
module's own process. Every library the modules use (urllib3 under botocore, PyMySQL, redis-py)
resolves through ``socket.getaddrinfo``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import socket


@contextlib.contextmanager
def connect_to(name, address):
    """Within the block, resolving ``name`` (case-insensitive) resolves ``address`` instead."""
    if not name or not address:
        yield
        return
    original = socket.getaddrinfo
    wanted = str(name).lower().rstrip(".")

    def getaddrinfo(host, *args, **kwargs):
        text = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if isinstance(text, str) and text.lower().rstrip(".") == wanted:
            host = address
        return original(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = original
