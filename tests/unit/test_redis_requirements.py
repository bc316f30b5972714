"""Unit tests of the Redis requirement logic."""

from __future__ import annotations

import ssl

import pytest

from ansible_collections.onprem.wandb.plugins.module_utils import redis_requirements as req

GOOD = {"redis_version": "7.0.15", "redis_mode": "standalone", "maxmemory_policy": "volatile-lru"}


def test_good_server_passes():
    assert req.check_server(GOOD) == []


@pytest.mark.parametrize(("version", "ok"), [("6.2.14", False), ("7.0.0", True), ("7.2.4", True), ("8.0.1", True)])
def test_minimum_version(version, ok):
    failures = req.check_server({**GOOD, "redis_version": version})
    assert (failures == []) is ok
    if not ok:
        assert failures == [f"Redis {version} is older than 7.0, the oldest W&B supports"]


def test_unreadable_version():
    assert req.check_server({**GOOD, "redis_version": None}) == ["could not read a version from redis_version None"]


def test_cluster_mode_is_refused():
    assert req.check_server({**GOOD, "redis_mode": "cluster"}) == [
        "Redis runs in cluster mode; W&B uses a single standalone Redis"]


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_policies_that_evict_queue_keys(policy):
    (failure,) = req.check_server({**GOOD, "maxmemory_policy": policy})
    assert failure.startswith(f"maxmemory-policy is {policy}, which can evict W&B's queue keys")


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random"])
def test_policies_that_keep_queue_keys(policy):
    assert req.check_server({**GOOD, "maxmemory_policy": policy}) == []


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


def test_server_checks_one_outcome_per_requirement():
    assert req.server_checks(GOOD) == {"version": "passed: Redis 7.0.15", "mode": "passed: standalone",
                                       "maxmemory_policy": "passed: volatile-lru"}
    bad = req.server_checks({**GOOD, "redis_version": "6.2.1", "maxmemory_policy": "allkeys-lru"})
    assert bad["version"] == "failed: Redis 6.2.1 is older than 7.0, the oldest W&B supports"
    assert bad["maxmemory_policy"].startswith("failed: maxmemory-policy is allkeys-lru")
    assert bad["mode"] == "passed: standalone"
