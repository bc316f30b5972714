# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wandb_cr_drift
short_description: Name every field where a live WeightsAndBiases spec differs from the rendered one
version_added: 0.1.0
description:
  - Compares the spec P(onprem.wandb.wandb_cr#filter) renders from the site's declared endpoints with
    the spec of the resource in the cluster, field by field, and returns one sentence per field that
    differs, with the declared value and the value W&B was given.
  - Only the fields the site renders are compared; fields the API server or the controller add are
    not drift.
options:
  _input:
    description: The rendered spec (C(spec) of the resource the inventory renders).
    type: dict
    required: true
  live:
    description: The spec of the resource in the cluster (empty when there is none).
    type: dict
    required: true
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Fail when W&B was given other endpoints than the site declares
  ansible.builtin.assert:
    that: drift | length == 0
    fail_msg: "{{ drift | join('; ') }}"
  vars:
    drift: "{{ (inputs | onprem.wandb.wandb_cr('v1'))['spec'] | onprem.wandb.wandb_cr_drift(live_resource['spec']) }}"
"""

RETURN = r"""
_value:
  description: >-
    One sentence per differing field, for example
    C(spec.values.global.bucket.name: the site declares 's3.example.com:443', the resource has 'minio1:9000').
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import spec_drift


def wandb_cr_drift(expected, live):
    if not isinstance(expected, dict) or not isinstance(live, dict):
        raise AnsibleFilterError("wandb_cr_drift: both specs must be dicts, got %s and %s"
                                 % (type(expected).__name__, type(live).__name__))
    return spec_drift(expected, live)


class FilterModule(object):
    def filters(self):
        return {"wandb_cr_drift": wandb_cr_drift}
