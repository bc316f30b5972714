"""Unit tests of W&B's requirements table and its version policy (plugins/module_utils/wandb_requirements.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError, AnsibleLookupError

from ansible_collections.onprem.wandb.plugins.filter.version_policy import version_policy
from ansible_collections.onprem.wandb.plugins.lookup.wandb_requirements import LookupModule
from ansible_collections.onprem.wandb.plugins.module_utils import wandb_requirements as req

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("version", "flavour", "status", "fragment"), [
    ("8.4.0", "mysql", "passed", "8.4.x is the release W&B tells sites to run"),
    ("8.4.7", "percona", "passed", "percona 8.4.7"),
    ("8.0.44", "mysql", "warn", "end of life since 2026-04; upgrade to 8.4"),
    ("8.0.32", "mysql", "warn", "end of life"),
    ("8.0.31", "mysql", "failed", "older than 8.0.32, the oldest release W&B names"),
    ("5.7.44", "mysql", "failed", "older than 8.0.32"),
    ("8.2.0", "mysql", "failed", "MySQL 8.2.0 is not named by W&B"),
    ("9.7.4", "mysql", "failed", "set mysql_accept_unnamed_versions: true to run it anyway"),
    ("10.11.6", "mariadb", "failed", "MariaDB is not MySQL"),
    ("8.4.3", "mariadb", "failed", "MariaDB is not MySQL"),
])
def test_mysql_policy(version, flavour, status, fragment):
    judged = req.judge_version("mysql", version, flavour)
    assert judged["status"] == status, judged
    assert fragment in judged["reason"]
    assert judged["expected"] == "8.4.x (recommended), 8.0.x from 8.0.32 (end of life)"
    assert judged["found"] == "%s %s" % (flavour, version)


def test_unnamed_accepted_is_a_warning_but_refused_stays_refused():
    assert req.judge_version("mysql", "9.7.4", "mysql", accept_unnamed=True)["status"] == "warn"
    assert req.judge_version("mysql", "8.0.27", "mysql", accept_unnamed=True)["status"] == "failed"
    assert req.judge_version("mysql", "10.11.6", "mariadb", accept_unnamed=True)["status"] == "failed"


@pytest.mark.parametrize(("version", "flavour", "accept", "status"), [
    ("7.0.15", "redis", False, "passed"), ("7.4.2", "redis", False, "passed"), ("6.2.14", "redis", True, "failed"),
    ("8.0.1", "redis", False, "failed"), ("8.0.1", "redis", True, "warn"), ("8.0.1", "valkey", True, "warn"),
    ("7.2.4", "valkey", False, "failed"),
])
def test_redis_policy(version, flavour, accept, status):
    assert req.judge_version("redis", version, flavour, accept_unnamed=accept)["status"] == status


@pytest.mark.parametrize(("version", "follows", "status", "fragment"), [
    ("v1.36.3", None, "passed", "W&B supports Kubernetes 1.34 or newer"),
    ("v1.34.0", None, "passed", "1.34"),
    ("v1.33.5", None, "failed", "older than 1.34, the oldest release W&B names"),
    ("v1.33.5", "1.32", "warn", "accepted because wandb_operator_kubernetes_follows follows the earlier minimum 1.32"),
    ("v1.31.0", "1.32", "failed", "older than 1.32, the earlier minimum"),
    ("v1.29.1", "1.29", "warn", "bare metal"),
    ("v1.33.5", "1.30", "failed", "must name an earlier Kubernetes minimum W&B published (1.28, 1.29, 1.32)"),
])
def test_kubernetes_policy(version, follows, status, fragment):
    judged = req.judge_version("kubernetes", version, "kubernetes", follows=follows)
    assert judged["status"] == status, judged
    assert fragment in judged["reason"]


@pytest.mark.parametrize(("text", "numbers"), [
    ("8.4.3", (8, 4, 3)), ("1:8.4.3-1debian12", (8, 4, 3)), ("v1.36.3", (1, 36, 3)), ("5:7.0.15-1~deb12u1", (7, 0, 15)),
    ("7", (7,)), ("9.7.4-1", (9, 7, 4)), ("", None), ("garbage", None),
])
def test_parse_version(text, numbers):
    assert req.parse_version(text) == numbers


def test_every_rule_and_source_is_well_formed():
    for component, table in req.REQUIREMENTS.items():
        assert table["source"] in req.SOURCES, component
        for rule in table.get("versions", []):
            assert rule["status"] in req.VERSION_STATUSES and "from" in rule and rule["reason"]
            assert req.classify(component, rule["from"])[0] == rule["status"]
    for source in req.SOURCES.values():
        assert source["url"].startswith("https://docs.wandb.ai/") and source["read"]
    assert set(req.REQUIREMENTS["kubernetes"]["earlier_minimums"].values()) <= set(req.SOURCES)
    # Each MySQL setting's page: the seventh came with the 2026 requirements page, the rest from the bare-metal guide.
    assert set(req.REQUIREMENTS["mysql"]["settings_source"].values()) <= set(req.SOURCES)
    assert set(req.REQUIREMENTS["mysql"]["settings_source"]) - {"default"} <= set(req.required_settings())
    assert len(req.required_settings()) == 7
    assert req.required_settings(134217728)["sort_buffer_size"] == 134217728


def test_lookup_and_filter_read_the_same_table():
    (mysql,) = LookupModule().run(["mysql"])
    assert mysql["settings"]["max_prepared_stmt_count"] == 1048576
    assert mysql["minimum"] == "8.0.32"
    assert LookupModule().run(["sources"])[0]["requirements"]["url"].endswith("/self-managed/requirements")
    with pytest.raises(AnsibleLookupError, match="known: kubernetes, mysql, object_store, redis"):
        LookupModule().run(["postgres"])
    assert version_policy("9.7.4", "mysql", "mysql", accept_unnamed=True)["status"] == "warn"
    assert version_policy({"installed": "8.4.3", "from oracle_apt": "8.0.20"}, "mysql", "mysql") == {
        "installed": req.judge_version("mysql", "8.4.3", "mysql"),
        "from oracle_apt": req.judge_version("mysql", "8.0.20", "mysql")}
    with pytest.raises(AnsibleFilterError, match="component must be one of kubernetes, mysql, redis"):
        version_policy("1", "object_store")


def test_each_requirement_is_spelled_once():
    """The values W&B requires appear in no other code or role file: everything reads the table."""
    values = ["max_prepared_stmt_count", "268435456", "67108864", "8.0.32", "1.34", "utf8mb4_general_ci", "MINIMAL"]
    table = ROOT / "plugins" / "module_utils" / "wandb_requirements.py"
    offenders = []
    for path in list((ROOT / "plugins").rglob("*.py")) + list((ROOT / "roles").rglob("*.yml")) + \
            list((ROOT / "roles").rglob("*.j2")):
        if path == table or path.name == "argument_specs.yml":  # argument_specs.yml is documentation
            continue
        text = path.read_text(encoding="utf-8")
        # Documentation (docstrings, comments, descriptions) may quote a requirement; code may not spell it.
        code = re.sub(r'(?s)r?""".*?"""', "", text)
        code = "\n".join(line for line in code.splitlines()
                         if not line.lstrip().startswith(("#", "description", "- ", "sample")))
        offenders += ["%s: %s" % (path.relative_to(ROOT), value) for value in values if re.search(
            r"(?<![0-9.])%s(?![0-9])" % re.escape(value), code)]
    assert offenders == []
