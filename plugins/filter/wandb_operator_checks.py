# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wandb_operator_checks
short_description: Judge the operator stage from what was read from the cluster
version_added: 0.1.0
description:
  - Turns the reads of the wandb_operator role's C(check) entry point (the cluster's version, the
    controller Deployment, the WeightsAndBiases resource, its Secrets) into checks in the
    collection's checklist shape (C(status), C(reason), C(expected), C(found)) for
    P(onprem.wandb.verify_lines#filter).
  - C(kubernetes) judges the server version by W&B's version policy (the collection's requirements
    table); C(spec) compares the live resource with the one the site's declarations render (same
    renderer as P(onprem.wandb.wandb_cr#filter)); C(phase) is required only with O(require_completed).
options:
  _input:
    description: The registered reads, as a dict with C(cluster), C(deployment), C(resource) and C(secrets).
    type: dict
    required: true
  inputs:
    description: The renderer's input (the role's variables without the C(wandb_operator_) prefix).
    type: dict
    required: true
  namespace:
    description: The operator's namespace.
    type: str
    required: true
  deployment_name:
    description: The controller Deployment's name.
    type: str
    required: true
  secret_names:
    description: The Secrets the resource references.
    type: list
    elements: str
    required: true
  api_version:
    description: The resource's API version (C(v1)).
    type: str
    default: v1
  follows:
    description: An earlier Kubernetes minimum W&B published that the site follows (C(wandb_operator_kubernetes_follows)).
    type: str
  require_completed:
    description: Whether a phase other than C(Completed) fails the report.
    type: bool
    default: true
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Judge what the cluster has
  ansible.builtin.set_fact:
    wandb_operator_check: >-
      {{ {'cluster': cluster_read, 'deployment': deployment_read, 'resource': cr_read, 'secrets': secrets_read}
         | onprem.wandb.wandb_operator_checks(inputs, 'wandb-operator', 'operator-controller-manager',
                                              ['wandb-license', 'wandb-bucket']) }}
"""

RETURN = r"""
_value:
  description: C(checks) (name to check result) and C(required) (the names whose failure fails the report).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_operator_checks import operator_checks


def wandb_operator_checks(reads, inputs, namespace, deployment_name, secret_names, api_version="v1", follows=None,
                          require_completed=True):
    if not isinstance(reads, dict) or not isinstance(inputs, dict):
        raise AnsibleFilterError("wandb_operator_checks: the input and inputs must be dicts")
    try:
        return operator_checks(reads, inputs, str(namespace), str(deployment_name), [str(n) for n in secret_names],
                               api_version, follows=str(follows) if follows else None,
                               require_completed=bool(require_completed))
    except ValueError as error:
        raise AnsibleFilterError("wandb_operator_checks: %s" % error)


class FilterModule(object):
    def filters(self):
        return {"wandb_operator_checks": wandb_operator_checks}
