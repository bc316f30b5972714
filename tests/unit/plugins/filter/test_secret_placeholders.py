"""onprem.wandb.secret_placeholders: the example vault's texts and sample values are named, never printed."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.wandb.plugins.filter.secret_placeholders import secret_placeholders


@pytest.mark.parametrize("value", [
    "REPLACE: the W&B MySQL user's password, 16 characters or more",
    "replace: lower case too", "CHANGEME", "changeme", "change me", "Password1", "password!", "<the redis password>",
    "minioadmin", "TODO", "secret123",
])
def test_placeholders_and_samples_are_named_without_their_value(value):
    found = secret_placeholders({"secrets.redis_password": value})
    assert len(found) == 1 and found[0].startswith("secrets.redis_password is "), found
    assert value not in found[0]


def test_a_mapping_of_credentials_is_checked_key_by_key():
    found = secret_placeholders({"secrets.mysql_backup_repository_env": {
        "AWS_ACCESS_KEY_ID": "AKIA-real-looking-id", "AWS_SECRET_ACCESS_KEY": "REPLACE: the backup bucket's secret key"}})
    assert found == ["secrets.mysql_backup_repository_env.AWS_SECRET_ACCESS_KEY is still the example vault's placeholder "
                     "text: fill in the real secret (and encrypt the vault)"]


@pytest.mark.parametrize("value", ["k3Jq-81vB-zz0P-44Lm", "a password-like but real 24 chars!", "wandb-license-abc123", 42, None])
def test_real_secrets_pass(value):
    assert secret_placeholders({"secrets.x": value}) == []
