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
  - Fails with a clear message when Redis is older than 7.0, not standalone, uses a policy that can
    evict W&B's queue keys, authentication fails, TLS trust fails, or the round trip fails.
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
  timeout:
    description: Seconds to wait for the connection and each command.
    type: float
    default: 5
  probe_key_prefix:
    description: Prefix of the key the round trip writes (it expires after 60 seconds and is deleted at once).
    type: str
    default: "onprem-wandb:probe:"
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
  description: One sentence per unmet requirement.
  returned: always
  type: list
  elements: str
  sample: ["maxmemory-policy is allkeys-lru, which can evict W&B's queue keys (they have no TTL); use volatile-lru or noeviction"]
server:
  description: Version and mode.
  returned: when connected
  type: dict
  sample: {version: 7.0.15, mode: standalone}
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
    Outcome per check (C(connection), C(version), C(mode), C(maxmemory_policy), C(round_trip)):
    C(passed) with a detail, C(failed: <why>) or C(not run: <why>).
  returned: always
  type: dict
  sample: {connection: "passed: 10.0.0.6:6379 as wandb", version: "passed: Redis 7.0.15", round_trip: passed}
tls:
  description: Whether the connection used TLS.
  returned: always
  type: bool
  sample: false
"""

import traceback
import uuid

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import outcome
from ansible_collections.onprem.wandb.plugins.module_utils.redis_requirements import (
    check_server,
    describe_connection_error,
    persistence_summary,
    server_checks,
)

try:
    import redis

    HAS_REDIS = True
    REDIS_IMPORT_ERROR = None
except ImportError:
    HAS_REDIS = False
    REDIS_IMPORT_ERROR = traceback.format_exc()


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
            timeout=dict(type="float", default=5),
            probe_key_prefix=dict(type="str", default="onprem-wandb:probe:", no_log=False),
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

    result = dict(changed=False, tls=params["tls"], failures=[], passed=False, checks={})
    client = redis.Redis(**kwargs)
    try:
        info = client.info("everything")
        key = params["probe_key_prefix"] + uuid.uuid4().hex
        value = uuid.uuid4().hex
        client.set(key, value, ex=60)
        result["round_trip"] = client.get(key) == value
        client.delete(key)
    except Exception as exc:  # pylint: disable=broad-except
        message = describe_connection_error(exc, target, params["tls"], params["ca_cert"])
        result["failures"] = [message]
        result["checks"] = {"connection": outcome([message])}
        if params["fail_on_failure"]:
            module.fail_json(msg=message, **result)
        module.exit_json(**result)
    finally:
        client.close()

    failures = check_server(info)
    round_trip = [] if result["round_trip"] else ["a value written to %s did not read back" % target]
    failures.extend(round_trip)
    checks = {"connection": outcome([], target + (" as %s" % params["username"] if params["username"] else ""))}
    checks.update(server_checks(info))
    checks["round_trip"] = outcome(round_trip, "a probe key was written, read back and deleted")
    result.update(
        checks=checks,
        server=dict(version=info.get("redis_version"), mode=info.get("redis_mode")),
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
