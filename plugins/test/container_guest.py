# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: container_guest
short_description: Whether gathered facts describe a host that runs inside a container
version_added: 0.1.0
description:
  - True when the facts say the host is a guest of a container runtime (Docker, Podman, LXC,
    systemd-nspawn). Such a host does not own its clock or its kernel settings; the container
    host does, so roles leave time sync and sysctl tuning to it.
  - Needs the C(virtual) facts subset (C(virtualization_role), C(virtualization_type)).
options:
  _input:
    description: The host's C(ansible_facts).
    type: dict
    required: true
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Tune the kernel only where the host owns it
  ansible.posix.sysctl:
    name: vm.overcommit_memory
    value: "1"
  when: ansible_facts is not onprem.wandb.container_guest
"""

RETURN = r"""
_value:
  description: Whether the host is a container guest.
  type: bool
"""

CONTAINER_TYPES = frozenset(("container", "docker", "lxc", "podman", "systemd-nspawn"))


def container_guest(facts):
    facts = facts or {}
    return facts.get("virtualization_role") == "guest" and facts.get("virtualization_type") in CONTAINER_TYPES


class TestModule(object):
    def tests(self):
        return {"container_guest": container_guest}
