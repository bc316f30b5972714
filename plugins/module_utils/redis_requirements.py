# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic behind the Redis check: what W&B needs from a Redis server and how to judge it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import ssl

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import outcome

MINIMUM_VERSION = (7, 0, 0)
# Policies that may drop keys without a TTL: W&B's queue entries have none.
POLICIES_EVICTING_QUEUE = ("allkeys-lru", "allkeys-lfu", "allkeys-random")


def parse_version(text):
    """(7, 0, 15) from '7.0.15'; None when unreadable."""
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", str(text or ""))
    return tuple(int(part) for part in match.groups()) if match else None


def _judged(info):
    """[(check, problems, detail when it passes)] for a Redis server, from INFO fields."""
    version = parse_version(info.get("redis_version"))
    if version is None:
        version_problems = ["could not read a version from redis_version %r" % info.get("redis_version")]
    elif version < MINIMUM_VERSION:
        version_problems = ["Redis %s is older than 7.0, the oldest W&B supports" % info.get("redis_version")]
    else:
        version_problems = []
    mode = info.get("redis_mode")
    policy = info.get("maxmemory_policy")
    return [
        ("version", version_problems, "Redis %s" % info.get("redis_version")),
        ("mode", ["Redis runs in %s mode; W&B uses a single standalone Redis" % mode]
         if mode and mode != "standalone" else [], mode or "standalone"),
        ("maxmemory_policy", ["maxmemory-policy is %s, which can evict W&B's queue keys (they have no TTL); "
                              "use volatile-lru or noeviction" % policy] if policy in POLICIES_EVICTING_QUEUE else [],
         str(policy)),
    ]


def server_checks(info):
    """Outcome per check (version, mode, maxmemory_policy) in the checklist vocabulary."""
    return dict((name, outcome(problems, detail)) for name, problems, detail in _judged(info))


def check_server(info):
    """Failures for a Redis server, from INFO fields (server, memory, persistence)."""
    return [problem for _name, problems, _detail in _judged(info) for problem in problems]


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
