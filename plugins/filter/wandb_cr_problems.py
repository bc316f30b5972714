# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wandb_cr_problems
short_description: Why the inputs cannot make a valid WeightsAndBiases custom resource
version_added: 0.1.0
description:
  - Checks the inputs of P(onprem.wandb.wandb_cr#filter) without rendering, so a role can fail
    before anything is applied. Each problem names the C(wandb_operator_*) variable, the value
    found and what is allowed.
options:
  _input:
    description: The same inputs P(onprem.wandb.wandb_cr#filter) takes.
    type: dict
    required: true
  api_version:
    description: The resource version to check against.
    type: str
    default: v1
    choices: [v1]
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Refuse inputs the operator could not use
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ inputs | onprem.wandb.wandb_cr_problems('v1') }}"
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when the inputs are valid.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import renderer


def wandb_cr_problems(params, api_version="v1"):
    try:
        problems, _render = renderer(api_version)
    except ValueError as error:
        raise AnsibleFilterError("wandb_cr_problems: %s" % error)
    if not isinstance(params, dict):
        return ["the wandb_cr inputs must be a dict, got %s" % type(params).__name__]
    return problems(params)


class FilterModule(object):
    def filters(self):
        return {"wandb_cr_problems": wandb_cr_problems}
