# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: minio_topology_problems
short_description: Rules a distributed MinIO topology breaks
version_added: 0.1.0
description:
  - Checks MinIO nodes and their drives against the rules MinIO applies at start-up (at least
    four drives in total, the same drive count on every node, an erasure-set size of 2 to 16
    drives that divides the total and spreads evenly over the nodes, distinct node names,
    absolute drive paths) and returns one sentence per broken rule.
options:
  _input:
    description: The nodes in inventory order, each a dict with C(name) and C(drives) (a list of paths).
    type: list
    elements: dict
    required: true
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Refuse a topology MinIO would not start
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: "{{ [{'name': 'minio1', 'drives': ['/srv/d1']}] | onprem.wandb.minio_topology_problems }}"
"""

RETURN = r"""
_value:
  description: One sentence per broken rule; empty when MinIO accepts the topology.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.module_utils.minio_topology import node_pairs, topology_problems


def minio_topology_problems(nodes):
    try:
        return topology_problems(node_pairs(nodes))
    except ValueError as error:
        raise AnsibleFilterError(str(error))


class FilterModule(object):
    def filters(self):
        return {"minio_topology_problems": minio_topology_problems}
