# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wandb_platform_rollout
short_description: Whether every Deployment of W&B's Helm release is rolled out and Available
version_added: 0.1.0
description:
  - Takes a C(kubernetes.core.k8s_info) read of Deployments and keeps those Helm made for the
    release (annotation C(meta.helm.sh/release-name)), the one the operator names after the
    WeightsAndBiases resource. The platform chart decides which Deployments exist; nothing is
    hard-coded.
  - A Deployment is ready the way C(kubectl rollout status) judges it, when its generation is
    observed, every replica is updated, no old replica is left, the updated replicas are available,
    its C(Available) condition is true and its progress deadline has not passed.
options:
  _input:
    description: The registered C(k8s_info) result (with C(resources)).
    type: dict
    required: true
  release:
    description: The Helm release, the WeightsAndBiases resource's name.
    type: str
    required: true
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Wait for W&B's Deployments
  kubernetes.core.k8s_info:
    kind: Deployment
    namespace: default
    label_selectors: [app.kubernetes.io/managed-by=Helm]
  register: platform
  until: (platform | onprem.wandb.wandb_platform_rollout('wandb')).ready
  retries: 60
  delay: 10
"""

RETURN = r"""
_value:
  description: C(ready) (bool), C(names) (the release's Deployments) and C(problems) (one sentence per Deployment not ready).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_operator_checks import platform_rollout


def wandb_platform_rollout(read, release):
    if not isinstance(read, dict):
        raise AnsibleFilterError("wandb_platform_rollout: the input must be a k8s_info result, got %s" % type(read).__name__)
    return platform_rollout(read, str(release))


class FilterModule(object):
    def filters(self):
        return {"wandb_platform_rollout": wandb_platform_rollout}
