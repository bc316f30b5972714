"""Unit tests of connect_to: one name resolves to the given address inside the block, nothing else changes."""

from __future__ import annotations

import socket

from ansible_collections.onprem.wandb.plugins.module_utils.address_override import connect_to


def addresses(name):
    return {info[4][0] for info in socket.getaddrinfo(name, 443, proto=socket.IPPROTO_TCP)}


def test_the_name_resolves_to_the_address_only_inside_the_block():
    original = socket.getaddrinfo
    with connect_to("S3.Lab.Test", "127.0.0.1"):
        assert addresses("s3.lab.test") == {"127.0.0.1"}
        assert addresses("s3.lab.test.") == {"127.0.0.1"}
        assert addresses("localhost") == addresses("localhost")  # other names resolve as before
    assert socket.getaddrinfo is original


def test_a_real_connection_goes_to_the_address():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        with connect_to("service.lab.test", "127.0.0.1"):
            client = socket.create_connection(("service.lab.test", port), timeout=5)
        accepted, _peer = server.accept()
        assert client.getpeername() == ("127.0.0.1", port)
        client.close()
        accepted.close()
    finally:
        server.close()


def test_no_address_changes_nothing():
    original = socket.getaddrinfo
    with connect_to("s3.lab.test", ""):
        assert socket.getaddrinfo is original
    with connect_to("", "127.0.0.1"):
        assert socket.getaddrinfo is original
