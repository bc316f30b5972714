"""Fingerprints of OpenPGP signing keys, as the MySQL role pins Oracle's (fixtures made with GnuPG;
the expected values are what `gpg --show-keys --with-colons` printed for them)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ansible_collections.onprem.wandb.plugins.filter.openpgp_fingerprints import openpgp_fingerprints
from ansible_collections.onprem.wandb.plugins.filter.openpgp_pin import FilterModule as PinFilters
from ansible_collections.onprem.wandb.plugins.module_utils import openpgp

FIXTURES = Path(__file__).parent / "fixtures"
ED25519 = (FIXTURES / "test-signing-key.asc").read_text(encoding="ascii")
RSA = (FIXTURES / "other-signing-key.asc").read_text(encoding="ascii")


def test_fingerprints_are_gnupg_s():
    assert openpgp.primary_fingerprints(ED25519) == ["D7BA9F94A7B9FFE2D5CE879F58CDEAC8B1EB1133"]
    assert openpgp.primary_fingerprints(RSA) == ["60691DB09EDB4FE05574D7BEFBE4E754040D38B7"]


def test_two_keys_in_one_file_are_both_listed_and_armour_headers_are_skipped():
    with_header = ED25519.replace("-----\n\n", "-----\nComment: published by the vendor\n\n", 1)
    assert openpgp_fingerprints(with_header + RSA) == [
        "D7BA9F94A7B9FFE2D5CE879F58CDEAC8B1EB1133", "60691DB09EDB4FE05574D7BEFBE4E754040D38B7"]


def new_format(data: bytes) -> bytes:
    """The same packets with new-format headers (what other OpenPGP tools write)."""
    out = b""
    for tag, body in openpgp.packets(data):
        length = len(body)
        if length < 192:
            size = bytes([length])
        elif length < 8384:
            size = bytes([((length - 192) >> 8) + 192, (length - 192) & 0xFF])
        else:
            size = b"\xff" + length.to_bytes(4, "big")
        out += bytes([0xC0 | tag]) + size + body
    return out


def test_new_format_packet_headers_give_the_same_fingerprint():
    rewritten = base64.b64encode(new_format(openpgp.dearmour(RSA))).decode("ascii")
    text = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n%s\n-----END PGP PUBLIC KEY BLOCK-----\n" % rewritten
    assert openpgp.primary_fingerprints(text) == ["60691DB09EDB4FE05574D7BEFBE4E754040D38B7"]


@pytest.mark.parametrize(("text", "error"), [
    ("<html>404 Not Found</html>", "error: not an ASCII-armoured OpenPGP public key"),
    ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64!\n-----END PGP PUBLIC KEY BLOCK-----", "error: the armoured key is not valid base64"),
    (ED25519.replace(ED25519.splitlines()[2], ED25519.splitlines()[2][:20], 1), "error: "),
])
def test_what_is_not_a_key_file_is_an_error_item(text, error):
    (result,) = openpgp_fingerprints(text)
    assert result.startswith(error), result


@pytest.mark.parametrize("written", ["BCA4 3417 C3B4 85DD 128E C6D4  B7B3 B788 A8D3 785C",
                                     "0xbca43417c3b485dd128ec6d4b7b3b788a8d3785c"])
def test_a_pin_is_normalised_however_it_is_written(written):
    """Through the filter the role's assert uses (onprem.wandb.openpgp_pin)."""
    assert PinFilters().filters()["openpgp_pin"](written) == "BCA43417C3B485DD128EC6D4B7B3B788A8D3785C"
