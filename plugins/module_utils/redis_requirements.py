# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic behind the Redis check: what W&B needs from a Redis server and how to judge it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ssl

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import outcome
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import REQUIREMENTS, judge_version

# Policies that may drop keys without a TTL: W&B's queue entries have none.
POLICIES_EVICTING_QUEUE = ("allkeys-lru", "allkeys-lfu", "allkeys-random")


def server_flavour(info):
    """('valkey', '8.0.1') for Valkey (which also reports a redis_version for compatibility), else ('redis', version)."""
    if str(info.get("server_name", "")).lower() == "valkey" or "valkey_version" in info:
        return "valkey", info.get("valkey_version") or info.get("redis_version")
    return "redis", info.get("redis_version")


def server_checks(info, accept_unnamed=False):
    """A check per requirement (version, mode, maxmemory_policy) from INFO fields."""
    flavour, version = server_flavour(info)
    mode = info.get("redis_mode")
    wanted_mode = REQUIREMENTS["redis"]["mode"]
    policy = info.get("maxmemory_policy")
    return {
        "version": judge_version("redis", version, flavour, accept_unnamed=accept_unnamed),
        "mode": outcome(["Redis runs in %s mode; W&B uses a single %s Redis" % (mode, wanted_mode)]
                        if mode and mode != wanted_mode else [], mode or wanted_mode,
                        expected=wanted_mode, found=mode),
        "maxmemory_policy": outcome(["maxmemory-policy is %s, which can evict W&B's queue keys (they have no TTL); "
                                     "use volatile-lru or noeviction" % policy] if policy in POLICIES_EVICTING_QUEUE
                                    else [], str(policy), found=policy),
    }


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
