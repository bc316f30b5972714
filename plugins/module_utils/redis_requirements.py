# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic behind the Redis check: what W&B needs from a Redis server and how to judge it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import ssl

MINIMUM_VERSION = (7, 0, 0)
# Policies that may drop keys without a TTL: W&B's queue entries have none.
POLICIES_EVICTING_QUEUE = ("allkeys-lru", "allkeys-lfu", "allkeys-random")


def parse_version(text):
    """(7, 0, 15) from '7.0.15'; None when unreadable."""
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", str(text or ""))
    return tuple(int(part) for part in match.groups()) if match else None


def check_server(info):
    """Failures for a Redis server, from INFO fields (server, memory, persistence)."""
    failures = []
    version = parse_version(info.get("redis_version"))
    if version is None:
        failures.append("could not read a version from redis_version %r" % info.get("redis_version"))
    elif version < MINIMUM_VERSION:
        failures.append("Redis %s is older than 7.0, the oldest W&B supports" % info.get("redis_version"))
    mode = info.get("redis_mode")
    if mode and mode != "standalone":
        failures.append("Redis runs in %s mode; W&B uses a single standalone Redis" % mode)
    policy = info.get("maxmemory_policy")
    if policy in POLICIES_EVICTING_QUEUE:
        failures.append("maxmemory-policy is %s, which can evict W&B's queue keys (they have no TTL); "
                        "use volatile-lru or noeviction" % policy)
    return failures


def persistence_summary(info):
    """RDB/AOF facts from INFO persistence."""
    return {
        "aof_enabled": str(info.get("aof_enabled", "0")) == "1",
        "rdb_last_bgsave_status": info.get("rdb_last_bgsave_status"),
        "rdb_changes_since_last_save": info.get("rdb_changes_since_last_save"),
    }


def describe_connection_error(exc, target, tls, ca_cert):
    """One sentence that says what went wrong connecting to Redis, from a redis-py exception."""
    name = type(exc).__name__
    text = str(exc)
    cause = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(cause):
            return ("TLS trust failure connecting to %s: the server certificate does not verify against %s (%s)"
                    % (target, ca_cert or "the system CA store", cause))
        cause = cause.__cause__ or cause.__context__
    if name in ("AuthenticationError", "AuthenticationWrongNumberOfArgsError") or "WRONGPASS" in text \
            or "invalid username-password" in text:
        return "authentication failed at %s: %s" % (target, text)
    if "NOAUTH" in text:
        return "%s requires authentication and none was given" % target
    if tls and ("wrong version number" in text or "EOF occurred" in text):
        return "TLS handshake failed at %s (is TLS enabled on that port?): %s" % (target, text)
    return "cannot connect to Redis at %s: %s" % (target, text)
