# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fingerprints of the primary keys in an OpenPGP public key file (RFC 4880 v4, RFC 9580 v6).

Enough of the packet format to pin a downloaded signing key to a published fingerprint without
GnuPG on the host or the controller: the armour is removed, the packets are walked, and each
public-key packet's fingerprint is computed (subkeys, user IDs and signatures are skipped).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import re

_ARMOUR = re.compile(r"-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n(.*?)-----END PGP PUBLIC KEY BLOCK-----", re.S)
PUBLIC_KEY_TAG = 6


class OpenPGPError(ValueError):
    """The input is not an OpenPGP public key file this parser understands."""


def dearmour(text):
    """The binary packets of every ASCII-armoured public key block in text."""
    blocks = _ARMOUR.findall(text)
    if not blocks:
        raise OpenPGPError("not an ASCII-armoured OpenPGP public key (no BEGIN PGP PUBLIC KEY BLOCK line)")
    data = b""
    for block in blocks:
        # Armour headers ("Version: ...") end at the first empty line; the checksum line starts with "=".
        body = block.split("\n\n", 1)[1] if re.match(r"^[A-Za-z-]+: ", block) else block
        lines = [line.strip() for line in body.splitlines() if line.strip() and not line.strip().startswith("=")]
        try:
            data += base64.b64decode("".join(lines), validate=True)
        except (ValueError, TypeError) as error:
            raise OpenPGPError("the armoured key is not valid base64: %s" % error)
    return data


def packets(data):
    """(tag, body) of every packet in data."""
    position = 0
    while position < len(data):
        header = data[position]
        if not header & 0x80:
            raise OpenPGPError("byte %d is not a packet header" % position)
        if header & 0x40:  # new format
            tag = header & 0x3F
            first = data[position + 1]
            if first < 192:
                length, start = first, position + 2
            elif first < 224:
                length, start = ((first - 192) << 8) + data[position + 2] + 192, position + 3
            elif first == 255:
                length, start = int.from_bytes(data[position + 2:position + 6], "big"), position + 6
            else:
                raise OpenPGPError("partial body lengths are not used in key files")
        else:  # old format
            tag, kind = (header >> 2) & 0x0F, header & 0x03
            if kind == 3:
                raise OpenPGPError("indeterminate packet lengths are not used in key files")
            size = (1, 2, 4)[kind]
            length, start = int.from_bytes(data[position + 1:position + 1 + size], "big"), position + 1 + size
        if start + length > len(data):
            raise OpenPGPError("packet at byte %d is truncated" % position)
        yield tag, data[start:start + length]
        position = start + length


def fingerprint(body):
    """The fingerprint of a public-key packet body, upper-case hex."""
    version = body[0] if body else None
    if version == 4:
        return hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
    if version == 6:
        return hashlib.sha256(b"\x9b" + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    raise OpenPGPError("key version %s is not supported (4 and 6 are)" % version)


def primary_fingerprints(text):
    """Fingerprints of the primary keys in an armoured public key file, in file order."""
    found = [fingerprint(body) for tag, body in packets(dearmour(text)) if tag == PUBLIC_KEY_TAG]
    if not found:
        raise OpenPGPError("the file holds no public key")
    return found


def normalise(value):
    """A fingerprint as written anywhere (spaces, lower case, 0x) in the form primary_fingerprints returns."""
    return re.sub(r"[^0-9A-Fa-f]", "", re.sub(r"^0x", "", str(value).strip())).upper()
