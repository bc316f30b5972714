#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_endpoint_info
short_description: Check a TLS endpoint the way W&B's clients will meet it
version_added: 0.1.0
description:
  - Opens TLS connections to O(host):O(port) with SNI O(server_name) and reports the certificate
    (subject, issuer, SANs, expiry, days left, self-signed or not), the chain the server sent, and
    the negotiated protocol and cipher.
  - Verifies the chain against the system trust store or O(ca_bundle) and the name against
    O(server_name), fails when fewer than O(min_days) days are left, when the certificate is
    self-signed, and when the server completes a TLS 1.0 or TLS 1.1 handshake.
extends_documentation_fragment:
  - onprem.wandb.requirements_check
author:
  - onprem.wandb maintainers (@onprem)
options:
  host:
    description: Address or name to connect to.
    type: str
    required: true
  port:
    description: TCP port.
    type: int
    default: 443
  server_name:
    description: Name sent as SNI and checked against the certificate; defaults to O(host).
    type: str
  ca_bundle:
    description: CA bundle (PEM) that must verify the chain; without it the system trust store is used.
    type: path
  min_days:
    description: Days the certificate must still be valid.
    type: int
    default: 14
  allow_self_signed:
    description: Do not count a self-signed leaf as a failure (labs).
    type: bool
    default: false
  check_legacy_protocols:
    description: Try TLS 1.0 and TLS 1.1 handshakes and fail when the server completes one.
    type: bool
    default: true
  timeout:
    description: Seconds for connecting and for each handshake.
    type: float
    default: 10
attributes:
  check_mode:
    support: full
    description: It only connects and reads.
  idempotent:
    support: full
    description: It only connects and reads.
requirements:
  - cryptography on the host that runs the module
notes:
  - The chain the server sent is read with Python's C(get_unverified_chain) (public from Python 3.13,
    present privately since 3.10); where neither exists, RV(chain) holds the leaf only.
  - A legacy protocol the local OpenSSL cannot offer at all is reported as not testable, not as refused.
"""

EXAMPLES = r"""
- name: Check W&B's endpoint through the proxy
  onprem.wandb.tls_endpoint_info:
    host: proxy1.example.internal
    server_name: wandb.example.com
    ca_bundle: /etc/ssl/certs/site-ca.pem
    min_days: 21
  delegate_to: localhost
"""

RETURN = r"""
passed:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
failures:
  description: One sentence per failed check.
  returned: always
  type: list
  elements: str
  sample: ["wandb.example.com (10.0.0.5:443): the certificate expires 2026-12-01T00:00:00+00:00, in 9 days; at least 14 are required"]
checks:
  description: >-
    Outcome per check (C(handshake), C(chain), C(self_signed), C(expiry), C(legacy_protocols)):
    C(status) (passed, failed, warn, not_run), a one-line C(reason) and, where they exist, the
    C(expected) and C(found) values.
  returned: always
  type: dict
  sample:
    handshake: {status: passed, reason: "TLSv1.3, TLS_AES_256_GCM_SHA384"}
    expiry: {status: passed, reason: 300 days left (at least 14 required)}
verified:
  description: Whether the chain and the name verified.
  returned: when connected
  type: bool
  sample: true
certificate:
  description: The leaf certificate.
  returned: when connected
  type: dict
  sample: {subject: CN=wandb.example.com, issuer: CN=Site CA, subject_alt_names: ["DNS:wandb.example.com"],
           not_before: "2026-11-01T00:00:00+00:00", not_after: "2027-11-01T00:00:00+00:00", days_left: 344,
           self_signed: false, serial: 3f2a}
chain:
  description: Subject and issuer of each certificate the server sent, leaf first.
  returned: when connected
  type: list
  elements: dict
  sample: [{subject: CN=wandb.example.com, issuer: CN=Site CA}]
protocol:
  description: Negotiated protocol.
  returned: when connected
  type: str
  sample: TLSv1.3
cipher:
  description: Negotiated cipher suite.
  returned: when connected
  type: str
  sample: TLS_AES_256_GCM_SHA384
legacy_protocols:
  description: Outcome of the TLS 1.0 and 1.1 handshakes (refused, accepted, or not testable here with the reason).
  returned: when O(check_legacy_protocols=true)
  type: dict
  sample: {TLSv1: refused, TLSv1.1: refused}
"""

import socket
import ssl
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import outcome
from ansible_collections.onprem.wandb.plugins.module_utils.tls_endpoint import (
    HAS_CRYPTOGRAPHY,
    describe,
    endpoint_checks,
    endpoint_problems,
)

LEGACY = (("TLSv1", "TLSv1"), ("TLSv1.1", "TLSv1_1"))


def handshake(params, context):
    """Connect, hand-shake and return (leaf DER, chain DERs, protocol, cipher)."""
    raw = socket.create_connection((params["host"], params["port"]), timeout=params["timeout"])
    with context.wrap_socket(raw, server_hostname=params["server_name"]) as tls:
        leaf = tls.getpeercert(binary_form=True)
        getter = getattr(tls, "get_unverified_chain", None) or getattr(getattr(tls, "_sslobj", None),
                                                                       "get_unverified_chain", None)
        chain = [cert.public_bytes(getattr(ssl, "ENCODING_DER", getattr(ssl._ssl, "ENCODING_DER", 2)))  # pylint: disable=protected-access
                 if hasattr(cert, "public_bytes") else cert
                 for cert in (getter() if getter else [])] or [leaf]
        return leaf, chain, tls.version(), tls.cipher()[0]


def legacy_outcome(params, name, attribute):
    version = getattr(ssl.TLSVersion, attribute)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        context.minimum_version = version
        context.maximum_version = version
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError) as error:
        return "not testable here: %s" % error
    try:
        handshake(params, context)
    except ssl.SSLError as error:
        if "NO_PROTOCOLS_AVAILABLE" in str(error).upper():
            return "not testable here: the local OpenSSL cannot offer %s" % name
        return "refused"
    except (OSError, socket.timeout):
        return "refused"
    return "accepted"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            port=dict(type="int", default=443),
            server_name=dict(type="str"),
            ca_bundle=dict(type="path"),
            min_days=dict(type="int", default=14),
            allow_self_signed=dict(type="bool", default=False),
            check_legacy_protocols=dict(type="bool", default=True),
            timeout=dict(type="float", default=10),
            fail_on_failure=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=traceback.format_exc())
    params = dict(module.params)
    params["server_name"] = params["server_name"] or params["host"]
    where = "%s (%s:%d)" % (params["server_name"], params["host"], params["port"])
    result = dict(changed=False, passed=False, failures=[])

    # The first handshake only reads what the server presents, so it accepts any protocol the
    # local OpenSSL can speak: a server that offers nothing but TLS 1.0 is still described.
    reader = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    reader.check_hostname = False
    reader.verify_mode = ssl.CERT_NONE
    try:
        reader.minimum_version = ssl.TLSVersion.TLSv1
        reader.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pass
    try:
        leaf_der, chain_der, protocol, cipher = handshake(params, reader)
    except (OSError, ssl.SSLError, socket.timeout) as error:
        result["failures"] = ["%s: no TLS handshake: %s" % (where, error)]
        result["checks"] = {"handshake": outcome(result["failures"])}
        if module.params["fail_on_failure"]:
            module.fail_json(msg=result["failures"][0], **result)
        module.exit_json(**result)

    leaf = describe(leaf_der)
    chain = [describe(der) for der in chain_der]
    verifier = ssl.create_default_context(cafile=params["ca_bundle"])
    verify_error = None
    try:
        handshake(params, verifier)
    except ssl.SSLCertVerificationError as error:
        verify_error = error.verify_message or str(error)
    except (OSError, ssl.SSLError) as error:
        verify_error = str(error)

    legacy = {}
    if params["check_legacy_protocols"]:
        legacy = dict((name, legacy_outcome(params, name, attribute)) for name, attribute in LEGACY)
    judged_leaf = dict(leaf, self_signed=leaf["self_signed"] and not params["allow_self_signed"])
    accepted = [name for name, said in legacy.items() if said == "accepted"]
    failures = endpoint_problems(where, judged_leaf, params["min_days"], verify_error, accepted)
    checks = dict(handshake=outcome([], "%s, %s" % (protocol, cipher)))
    checks.update(endpoint_checks(where, judged_leaf, params["min_days"], verify_error, accepted,
                                  params["check_legacy_protocols"]))
    result.update(
        passed=not failures, failures=failures, checks=checks, verified=verify_error is None, certificate=leaf,
        chain=[{"subject": c["subject"], "issuer": c["issuer"]} for c in chain], protocol=protocol, cipher=cipher,
    )
    if params["check_legacy_protocols"]:
        result["legacy_protocols"] = legacy
    if failures and params["fail_on_failure"]:
        module.fail_json(msg="; ".join(failures), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
