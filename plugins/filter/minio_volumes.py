# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: minio_volumes
short_description: The MINIO_VOLUMES value of a distributed MinIO pool
version_added: 0.1.0
description:
  - Renders the endpoints every node of a MinIO pool must share, in MinIO's ellipsis form
    (C(http://minio{1...4}:9000/srv/minio/disk{1...2})) when node names and drive paths are
    runs of consecutive numbers, otherwise as the full list of endpoints in inventory order.
options:
  _input:
    description: The nodes in inventory order, each a dict with C(name) and C(drives) (a list of paths).
    type: list
    elements: dict
    required: true
  scheme:
    description: C(http), or C(https) when the nodes talk TLS to each other.
    type: str
    default: http
  port:
    description: The S3 API port of every node.
    type: int
    default: 9000
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Show the volumes of four nodes with two drives each
  ansible.builtin.debug:
    msg: "{{ nodes | onprem.wandb.minio_volumes('https', 9000) }}"
  vars:
    nodes: "{{ range(1, 5) | map('string') | map('regex_replace', '^', 'minio') | map('community.general.dict_kv', 'name')
      | map('combine', {'drives': ['/srv/minio/disk1', '/srv/minio/disk2']}) | list }}"
"""

RETURN = r"""
_value:
  description: The MINIO_VOLUMES value.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.module_utils.minio_topology import node_pairs, volumes


def minio_volumes(nodes, scheme="http", port=9000):
    try:
        return volumes(node_pairs(nodes), scheme=scheme, port=int(port))
    except ValueError as error:
        raise AnsibleFilterError(str(error))


class FilterModule(object):
    def filters(self):
        return {"minio_volumes": minio_volumes}
