"""Unit tests of the Redis requirement logic."""

from __future__ import annotations

import ssl

import pytest

from ansible_collections.onprem.wandb.plugins.module_utils import redis_requirements as req

GOOD = {"redis_version": "7.0.15", "redis_mode": "standalone", "maxmemory_policy": "volatile-lru"}


def statuses(info, accept_unnamed=False):
    return {name: check["status"] for name, check in req.server_checks(info, accept_unnamed).items()}


def test_good_server_passes():
    assert statuses(GOOD) == {"version": "passed", "mode": "passed", "maxmemory_policy": "passed"}


@pytest.mark.parametrize(("version", "status"), [("6.2.14", "failed"), ("7.0.0", "passed"), ("7.2.4", "passed"),
                                                 ("8.0.1", "failed")])
def test_version_policy(version, status):
    assert statuses({**GOOD, "redis_version": version})["version"] == status


def test_redis_8_and_valkey_are_warnings_once_accepted():
    redis8 = req.server_checks({**GOOD, "redis_version": "8.0.1"}, accept_unnamed=True)["version"]
    assert redis8["status"] == "warn" and "Redis 8.0.1 is not named by W&B" in redis8["reason"]
    valkey = {**GOOD, "redis_version": "7.2.4", "server_name": "valkey", "valkey_version": "8.0.1"}
    assert req.server_flavour(valkey) == ("valkey", "8.0.1")
    check = req.server_checks(valkey)["version"]
    assert check["status"] == "failed" and check["found"] == "valkey 8.0.1"
    assert "set redis_accept_unnamed_versions: true" in check["reason"]
    assert req.server_checks(valkey, accept_unnamed=True)["version"]["status"] == "warn"


def test_unreadable_version():
    check = req.server_checks({**GOOD, "redis_version": None})["version"]
    assert check["status"] == "failed" and "no version could be read" in check["reason"]


def test_cluster_mode_is_refused():
    check = req.server_checks({**GOOD, "redis_mode": "cluster"})["mode"]
    assert check == {"status": "failed", "reason": "Redis runs in cluster mode; W&B uses a single standalone Redis",
                     "expected": "standalone", "found": "cluster"}


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_policies_that_evict_queue_keys(policy):
    check = req.server_checks({**GOOD, "maxmemory_policy": policy})["maxmemory_policy"]
    assert check["status"] == "failed"
    assert check["reason"].startswith(f"maxmemory-policy is {policy}, which can evict W&B's queue keys")


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random"])
def test_policies_that_keep_queue_keys(policy):
    assert statuses({**GOOD, "maxmemory_policy": policy})["maxmemory_policy"] == "passed"


def test_persistence_summary():
    assert req.persistence_summary({"aof_enabled": 1, "rdb_last_bgsave_status": "ok",
                                    "rdb_changes_since_last_save": 3}) == {
        "aof_enabled": True, "rdb_last_bgsave_status": "ok", "rdb_changes_since_last_save": 3}
    assert req.persistence_summary({})["aof_enabled"] is False


class AuthenticationError(Exception):
    """Stands in for redis.exceptions.AuthenticationError (same name, as the logic matches by name)."""


def test_describe_auth_failure():
    message = req.describe_connection_error(AuthenticationError("invalid username-password pair"), "r:6379", False, None)
    assert message == "authentication failed at r:6379: invalid username-password pair"


def test_describe_tls_trust_failure_through_the_cause_chain():
    outer = ConnectionError("Error 1 connecting to r:6379.")
    outer.__cause__ = ssl.SSLCertVerificationError("certificate verify failed: unable to get local issuer certificate")
    message = req.describe_connection_error(outer, "r:6379 (TLS)", True, "/etc/ca.pem")
    assert message.startswith("TLS trust failure connecting to r:6379 (TLS): the server certificate does not "
                              "verify against /etc/ca.pem")


def test_describe_noauth_and_plain_errors():
    assert req.describe_connection_error(Exception("NOAUTH Authentication required."), "r:1", False, None) == \
        "r:1 requires authentication and none was given"
    assert req.describe_connection_error(Exception("Connection refused"), "r:1", False, None) == \
        "cannot connect to Redis at r:1: Connection refused"


def test_server_checks_one_result_per_requirement():
    bad = req.server_checks({**GOOD, "redis_version": "6.2.1", "maxmemory_policy": "allkeys-lru"})
    assert bad["version"]["reason"] == ("redis 6.2.1: older than 7.0, the oldest release W&B names "
                                        "(W&B accepts 7.x (recommended))")
    assert bad["version"]["expected"] == "7.x (recommended)" and bad["version"]["found"] == "redis 6.2.1"
    assert bad["maxmemory_policy"]["reason"].startswith("maxmemory-policy is allkeys-lru")
    assert bad["mode"] == {"status": "passed", "reason": "standalone", "expected": "standalone", "found": "standalone"}
