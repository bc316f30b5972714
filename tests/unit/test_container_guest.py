"""Unit tests of the container_guest test plugin."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.wandb.plugins.test.container_guest import container_guest


@pytest.mark.parametrize(("role", "kind", "expected"), [
    ("guest", "docker", True),
    ("guest", "podman", True),
    ("guest", "lxc", True),
    ("guest", "systemd-nspawn", True),
    ("guest", "kvm", False),  # a VM owns its clock and kernel
    ("host", "docker", False),  # the machine that runs the containers
    ("NA", "NA", False),
])
def test_container_guest(role, kind, expected):
    assert container_guest({"virtualization_role": role, "virtualization_type": kind}) is expected


def test_missing_facts_are_not_a_container():
    assert container_guest({}) is False
    assert container_guest(None) is False
