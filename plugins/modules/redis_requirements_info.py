#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: redis_requirements_info
short_description: Check that a Redis server meets W&B Server's requirements
version_added: 0.1.0
description:
  - Connects to Redis (password, or ACL user and password; optional TLS verified against a CA) and
    reports the server version, mode, maxmemory policy and persistence, and whether a write/read
    round trip works (a short-lived key under O(probe_key_prefix), deleted again).
  - Judges the version by W&B's policy (the collection's requirements table,
    C(plugins/module_utils/wandb_requirements.py)) - Redis 7.x passes; older fails; versions and
    forks W&B does not name (Redis 8.x, Valkey) fail unless O(accept_unnamed_versions=true), then
    they are a warning.
  - Fails with a clear message when the version fails that policy, Redis is not standalone, uses a
    policy that can evict W&B's queue keys, authentication fails, TLS trust fails, or the round
    trip fails.
extends_documentation_fragment:
  - onprem.wandb.requirements_check
author:
  - onprem.wandb maintainers (@onprem)
options:
  host:
    description: Redis host name or address.
    type: str
    default: localhost
  port:
    description: Redis port.
    type: int
    default: 6379
  username:
    description: ACL user; omit for the default user.
    type: str
  password:
    description: Password. Never logged.
    type: str
  tls:
    description: Connect with TLS.
    type: bool
    default: false
  ca_cert:
    description: CA bundle (PEM) that verifies the server certificate; without it the system store is used.
    type: path
  check_hostname:
    description: Whether the certificate must match O(host).
    type: bool
    default: true
  connect_address:
    description:
      - Address to connect to for O(host)'s name, like C(curl --resolve) (before DNS is live, or where
        only the servers resolve the name); TLS still checks the certificate against O(host).
    type: str
  certificate_min_days:
    description:
      - With O(tls), the C(certificate) check fails when the server's certificate has fewer days left
        than this, naming the days left.
    type: int
    default: 14
  timeout:
    description: Seconds to wait for the connection and each command.
    type: float
    default: 5
  probe_key_prefix:
    description: Prefix of the key the round trip writes (it expires after 60 seconds and is deleted at once).
    type: str
    default: "onprem-wandb:probe:"
  accept_unnamed_versions:
    description:
      - Accept a Redis version or fork W&B's requirements do not name (Redis 8.x, Valkey) as a
        warning instead of a failure. The role passes C(redis_accept_unnamed_versions).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The round trip writes one short-lived probe key, also in check mode, because proving writes work is the point.
  idempotent:
    support: full
    description: The probe key is removed again; the server is left as it was.
requirements:
  - redis (redis-py) on the host that runs the module
"""

EXAMPLES = r"""
- name: Check Redis for W&B over TLS as the W&B ACL user
  onprem.wandb.redis_requirements_info:
    host: redis1.example.internal
    port: 6379
    username: wandb
    password: "{{ vault_redis_password }}"
    tls: true
    ca_cert: /etc/ssl/certs/site-ca.pem
  delegate_to: localhost
"""

RETURN = r"""
passed:
  description: Whether every requirement is met.
  returned: always
  type: bool
  sample: true
failures:
  description: One sentence per failed check (its reason).
  returned: always
  type: list
  elements: str
  sample: ["maxmemory-policy is allkeys-lru, which can evict W&B's queue keys (they have no TTL); use volatile-lru or noeviction"]
warned:
  description: One sentence per check that warns (its reason).
  returned: always
  type: list
  elements: str
  sample: ["valkey 8.0.1: valkey is not named by W&B (W&B names Redis 7.x (recommended)); accepted by redis_accept_unnamed_versions"]
server:
  description: Flavour (C(redis) or C(valkey)), version and mode.
  returned: when connected
  type: dict
  sample: {flavour: redis, version: 7.0.15, mode: standalone}
memory:
  description: maxmemory (bytes) and maxmemory_policy.
  returned: when connected
  type: dict
  sample: {maxmemory: 1073741824, maxmemory_policy: volatile-lru}
persistence:
  description: Whether AOF is on and the last RDB save status.
  returned: when connected
  type: dict
  sample: {aof_enabled: true, rdb_last_bgsave_status: ok, rdb_changes_since_last_save: 0}
round_trip:
  description: Whether a written probe value was read back.
  returned: when connected
  type: bool
  sample: true
checks:
  description: >-
    One result per check (C(connection), C(version), C(mode), C(maxmemory_policy), C(round_trip)):
    C(status) (passed, failed, warn, not_run), a one-line C(reason) and, where they exist, the
    C(expected) and C(found) values.
  returned: always
  type: dict
  sample:
    connection: {status: passed, reason: "10.0.0.6:6379 as wandb"}
    certificate: {status: passed, reason: "80 days left (at least 14 required), CN=redis1.example.com",
                  expected: at least 14 days, found: 80 days}
    version: {status: passed, reason: "redis 7.0.15: W&B runs on Redis 7.x", expected: 7.x (recommended), found: redis 7.0.15}
tls:
  description: Whether the connection used TLS.
  returned: always
  type: bool
  sample: false
"""

import socket
import ssl
import traceback
import uuid

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failures as failed_reasons
from ansible_collections.onprem.wandb.plugins.module_utils.address_override import connect_to
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import not_run, outcome, warnings
from ansible_collections.onprem.wandb.plugins.module_utils.redis_requirements import (
    describe_connection_error,
    persistence_summary,
    server_checks,
    server_flavour,
)
from ansible_collections.onprem.wandb.plugins.module_utils.tls_endpoint import HAS_CRYPTOGRAPHY, certificate_expiry_check

try:
    import redis

    HAS_REDIS = True
    REDIS_IMPORT_ERROR = None
except ImportError:
    HAS_REDIS = False
    REDIS_IMPORT_ERROR = traceback.format_exc()


def server_certificate(params):
    """The certificate (DER) Redis presents on a TLS handshake, verified the way the client above verified it."""
    context = ssl.create_default_context(cafile=params["ca_cert"] or None)
    context.check_hostname = params["check_hostname"]
    with socket.create_connection((params["host"], params["port"]), timeout=params["timeout"]) as raw:
        with context.wrap_socket(raw, server_hostname=params["host"]) as tls:
            return tls.getpeercert(binary_form=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", default="localhost"),
            port=dict(type="int", default=6379),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            tls=dict(type="bool", default=False),
            ca_cert=dict(type="path"),
            check_hostname=dict(type="bool", default=True),
            connect_address=dict(type="str"),
            certificate_min_days=dict(type="int", default=14),
            timeout=dict(type="float", default=5),
            probe_key_prefix=dict(type="str", default="onprem-wandb:probe:", no_log=False),
            accept_unnamed_versions=dict(type="bool", default=False),
            fail_on_failure=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_REDIS:
        module.fail_json(msg=missing_required_lib("redis"), exception=REDIS_IMPORT_ERROR, failures=[], passed=False)
    params = module.params
    target = "%s:%s%s" % (params["host"], params["port"], " (TLS)" if params["tls"] else "")
    kwargs = dict(host=params["host"], port=params["port"], socket_timeout=params["timeout"],
                  socket_connect_timeout=params["timeout"], decode_responses=True)
    if params["username"]:
        kwargs["username"] = params["username"]
    if params["password"] is not None:
        kwargs["password"] = params["password"]
    if params["tls"]:
        kwargs.update(ssl=True, ssl_cert_reqs="required", ssl_check_hostname=params["check_hostname"])
        if params["ca_cert"]:
            kwargs["ssl_ca_certs"] = params["ca_cert"]

    result = dict(changed=False, tls=params["tls"], failures=[], warned=[], passed=False, checks={})
    client = redis.Redis(**kwargs)
    der = None
    # The name (SNI, certificate, messages) stays the host's; only the address it resolves to changes.
    with connect_to(params["host"], params["connect_address"]):
        try:
            info = client.info("everything")
            if params["tls"]:
                der = server_certificate(params)
            key = params["probe_key_prefix"] + uuid.uuid4().hex
            value = uuid.uuid4().hex
            client.set(key, value, ex=60)
            result["round_trip"] = client.get(key) == value
            client.delete(key)
        except Exception as exc:  # pylint: disable=broad-except
            message = describe_connection_error(exc, target, params["tls"], params["ca_cert"])
            result["checks"] = {"connection": outcome([message])}
            result["failures"] = failed_reasons(result["checks"])
            if params["fail_on_failure"]:
                module.fail_json(msg=message, **result)
            module.exit_json(**result)
        finally:
            client.close()

    round_trip = [] if result["round_trip"] else ["a value written to %s did not read back" % target]
    checks = {"connection": outcome([], target + (" as %s" % params["username"] if params["username"] else ""))}
    if params["tls"]:
        checks["certificate"] = (certificate_expiry_check(target, der, params["certificate_min_days"]) if HAS_CRYPTOGRAPHY
                                 else not_run("the Python package cryptography is needed to read the certificate"))
    checks.update(server_checks(info, params["accept_unnamed_versions"]))
    checks["round_trip"] = outcome(round_trip, "a probe key was written, read back and deleted")
    failures = failed_reasons(checks)
    flavour, version = server_flavour(info)
    result.update(
        checks=checks,
        warned=warnings(checks),
        server=dict(flavour=flavour, version=version, mode=info.get("redis_mode")),
        memory=dict(maxmemory=info.get("maxmemory"), maxmemory_policy=info.get("maxmemory_policy")),
        persistence=persistence_summary(info),
        failures=failures,
        passed=not failures,
    )
    if failures and params["fail_on_failure"]:
        module.fail_json(msg="Redis at %s does not meet W&B's requirements: %s" % (target, "; ".join(failures)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
