# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Describe certificates and judge a TLS endpoint (no I/O here, apart from parsing DER)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import not_run, outcome

try:
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False


def _utc(cert, name):
    value = getattr(cert, name + "_utc", None)
    if value is None:  # cryptography < 42
        value = getattr(cert, name).replace(tzinfo=datetime.timezone.utc)
    return value


def describe(der, now=None):
    """Subject, issuer, SANs, validity and self-signature of one DER certificate."""
    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    try:
        sans = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        names = ["DNS:%s" % n for n in sans.get_values_for_type(x509.DNSName)]
        names += ["IP:%s" % n for n in sans.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    not_after = _utc(cert, "not_valid_after")
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "subject_alt_names": names,
        "not_before": _utc(cert, "not_valid_before").isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": int((not_after - now).total_seconds() // 86400),
        "self_signed": cert.subject == cert.issuer,
        "serial": format(cert.serial_number, "x"),
    }


def _expiry_problems(where, leaf, min_days):
    return (["%s: the certificate expires %s, in %d days; at least %d are required"
             % (where, leaf["not_after"], leaf["days_left"], min_days)] if leaf["days_left"] < min_days else [])


def _expiry_figures(leaf, min_days):
    return {"expected": "at least %d days" % min_days, "found": "%d days" % leaf["days_left"]}


def _judged(where, leaf, min_days, verify_error, legacy_accepted, legacy_checked):
    """[(check, problems, detail when it passes)] for an endpoint."""
    judged = [("chain", ["%s: the certificate chain does not verify: %s" % (where, verify_error)]
               if verify_error else [], "verifies")]
    if leaf is not None:
        judged.append(("self_signed", ["%s: the certificate is self-signed (subject = issuer = %s)"
                                       % (where, leaf["subject"])] if leaf["self_signed"] else [],
                       "issued by %s" % leaf.get("issuer", "another certificate")))
        judged.append(("expiry", _expiry_problems(where, leaf, min_days),
                       "%d days left (at least %d required)" % (leaf["days_left"], min_days)))
    if legacy_checked:
        judged.append(("legacy_protocols", ["%s: the server accepts %s; only TLS 1.2 and 1.3 may be offered"
                                            % (where, version) for version in legacy_accepted],
                       "TLS 1.0 and 1.1 refused"))
    return judged


def endpoint_checks(where, leaf, min_days, verify_error=None, legacy_accepted=(), legacy_checked=True):
    """A result per check (chain, self_signed, expiry, legacy_protocols), in the checklist shape."""
    checks = dict((name, outcome(problems, detail)) for name, problems, detail
                  in _judged(where, leaf, min_days, verify_error, legacy_accepted, legacy_checked))
    if leaf is not None:
        checks["expiry"].update(_expiry_figures(leaf, min_days))
    if not legacy_checked:
        checks["legacy_protocols"] = not_run("check_legacy_protocols is false")
    return checks


def endpoint_problems(where, leaf, min_days, verify_error=None, legacy_accepted=()):
    """Sentences for what is wrong with an endpoint, from its leaf and the handshake outcomes."""
    return [problem for _name, problems, _detail in _judged(where, leaf, min_days, verify_error, legacy_accepted, True)
            for problem in problems]


def certificate_expiry_check(where, der, min_days, now=None):
    """The expiry check of a service's certificate (DER, as the handshake gave it), in the checklist shape."""
    if not der:
        return not_run("%s: the server sent no certificate to read" % where)
    leaf = describe(der, now)
    check = outcome(_expiry_problems(where, leaf, min_days),
                    "%d days left (at least %d required), %s" % (leaf["days_left"], min_days, leaf["subject"]))
    check.update(_expiry_figures(leaf, min_days))
    return check
