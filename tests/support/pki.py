"""A throw-away PKI for TLS tests: a site CA, a server certificate it signs, and an unrelated CA.

Made on the controller with `cryptography`; the role under test copies the files to the host, the
way a site hands over its own certificates.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate(subject, key, issuer, issuer_key, ca, sans=(), days=1):
    """A certificate with the extensions RFC 5280 asks for (key identifiers, key usage): Python 3.13's
    default TLS context verifies strictly (VERIFY_X509_STRICT) and refuses a chain without them, as
    the W&B SDK or boto3 on 3.13 would."""
    now = datetime.datetime.now(datetime.timezone.utc)
    not_after = now + datetime.timedelta(days=days)
    not_before = min(now - datetime.timedelta(minutes=5), not_after - datetime.timedelta(days=30))
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _ca(label):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{label} test CA")])
    return key, name, _certificate(name, key, name, key, True, days=400)


def write_test_pki(directory: Path, hostname: str | list, address: str | list = (), days: int = 1) -> dict:
    """PEM paths: ca, cert and key (server, valid for the hostname(s) and address(es) for `days`
    days from now, expired when negative; the first hostname is the subject), other_ca (trusts
    nothing here)."""
    directory.mkdir(parents=True, exist_ok=True)
    hostnames = [hostname] if isinstance(hostname, str) else list(hostname)
    addresses = [address] if isinstance(address, str) else list(address)
    ca_key, ca_name, ca = _ca("site")
    _other_key, _other_name, other_ca = _ca("other")
    server_key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(name) for name in hostnames] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    server = _certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]), server_key, ca_name,
                          ca_key, False, sans, days=days)
    paths = {name: directory / f"{name}.pem" for name in ("ca", "other_ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["other_ca"].write_bytes(other_ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    paths["key"].chmod(0o600)
    return {name: str(path) for name, path in paths.items()}
