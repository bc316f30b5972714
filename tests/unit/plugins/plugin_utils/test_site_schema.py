"""The site file's schema (plugins/doc_fragments/site.py read by plugin_utils/site_schema.py) and its formats."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.wandb.plugins.plugin_utils import site_inventory as si
from ansible_collections.onprem.wandb.plugins.plugin_utils import site_schema as ss


def test_every_format_names_a_key_of_the_schema():
    assert [path for path in ss.FORMATS if ss.option(path) is None] == []


def test_every_key_the_expansion_reads_is_in_the_schema():
    assert set(ss.schema()) == set(si.SITE_KEYS)
    assert set(ss.option("endpoints")["suboptions"]) == set(si.ENDPOINT_KEYS)
    assert set(ss.option("components")["suboptions"]) == set(si.COMPONENT_KEYS)
    for name, keys in si.COMPONENT_KEYS.items():
        assert set(ss.option("components." + name)["suboptions"]) == keys, name
    assert set(ss.option("components.mysql.backup")["suboptions"]) == set(si.BACKUP_KEYS)
    assert set(ss.option("secrets")["suboptions"]) == set(si.SECRETS)
    assert {k for k, v in ss.option("secrets")["suboptions"].items() if v.get("required")} == set(si.REQUIRED_SECRETS)


@pytest.mark.parametrize(("value", "good"), [
    ("daily", True), ("*-*-* 02:30:00", True), ("Mon..Fri 03:00", True), ("Sat *-*-* 04:00:00 UTC", True),
    ("*:0/15", True), ("2026-12-01", True), ("*-*-* 02:00 Europe/Berlin", True),
    ("every day", False), ("25:00", False), ("daily daily", False), ("*-13-01", False), ("Europe/Berlin", False),
    ("", False), ("*:0/0", False),
])
def test_calendar_expressions_follow_systemd_time(value, good):
    assert (ss.calendar_problem(value) is None) is good


@pytest.mark.parametrize(("name", "good"), [
    ("wandb", True), ("wandb-prod.eu", True), ("w" * 63, True),
    ("Wandb", False), ("wa", False), ("w" * 64, False), ("192.168.5.4", False), ("wandb..b", False), ("xn--wandb", False),
    ("wandb-s3alias", False), ("wandb--ol-s3", False), ("-wandb", False), ("wandb.", False), ("wan_db", False),
])
def test_bucket_names_follow_the_s3_rules(name, good):
    assert (ss.bucket_problem(name) is None) is good


@pytest.mark.parametrize(("value", "kind"), [
    ("https://u:p4ss@h.example", "a password inside a URL"), ("redis://:p4ss@redis1:6379", "a password inside a URL"),
    ("wandb:p4ss@mysql1:3306", "a password inside a host address"),
    ("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----", "a PEM private key"),
    ("AKIAABCDEFGHIJKLMNOP", "an AWS access key id"),
    ("sftp:backup@vault.example:/srv", None), ("https://user:{{ vault_pw }}@h.example", None), ("https://h.example", None),
])
def test_secrets_inside_strings_are_found_and_never_shown(value, kind):
    assert ss.secret_kind(value) == kind
    if kind:
        assert "p4ss" not in ss.show(value) and "abc" not in ss.show(value) and kind in ss.show(value)


def test_a_message_that_quotes_a_secret_is_redacted():
    spec = {"endpoints": {"redis": "redis://:hunter2hunter2@cache"}}
    assert ss.redact(["endpoints.redis got 'redis://:hunter2hunter2@cache'"], spec) == ["endpoints.redis got <secret, not shown>"]


def test_strict_types_do_not_convert():
    problems = ss.schema_problems({"plugin": "onprem.wandb.site", "site": "a", "domain": "example.com",
                                   "endpoints": {"mysql": 3306, "accept_insecure_object_store": "yes"},
                                   "components": {}, "secrets": {}})
    assert any(p.startswith("endpoints.mysql must be a string, got 3306") for p in problems), problems
    assert any(p.startswith("endpoints.accept_insecure_object_store must be true or false, got 'yes'") for p in problems)


def test_unknown_keys_name_the_nearest_known_one():
    problems = ss.schema_problems({"plugin": "onprem.wandb.site", "site": "a", "domain": "example.com", "components": {
        "mysql": {"hosts": ["m"], "backup": {"repository": "s3:https://b.example/x", "keep_dayly": 9}}}, "secrets": {}})
    assert any(p.startswith("components.mysql.backup.keep_dayly is not a key of components.mysql.backup (did you mean "
                            "keep_daily?)") for p in problems), problems


def test_role_variables_are_checked_with_the_role_s_own_spec():
    assert ss.role_value_problem("redis_maxmemory", "lots").startswith("is 'lots': the redis role takes")
    assert ss.role_value_problem("redis_maxmemory", 268435456) is None
    assert ss.role_value_problem("redis_maxmemory", "{{ lab_memory }}") is None  # templates are judged by the role
