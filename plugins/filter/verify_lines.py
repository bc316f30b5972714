# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: verify_lines
short_description: Turn a check module's result into verify report lines, one per check
version_added: 0.1.0
description:
  - >-
    Reads the C(checks) a check module returned (each a dict with C(status) passed, failed, warn or
    not_run, a one-line C(reason) and, where they exist, C(expected) and C(found)) and makes one
    line per check for P(onprem.wandb.verify_report#filter).
  - A check that did not run is a C(skip) line, never a pass; a check that warns is a C(warn) line
    with its reason; a failed check that is not required is a C(warn) line marked C((not required)). A module that failed outright (no
    connection, missing library) becomes one C(fail) line with its message. A skipped check task is a
    C(fail) line (a C(warn) line when not required), since a check that did not run proves nothing.
options:
  _input:
    description: The registered result of a check module.
    type: dict
    required: true
  component:
    description: What was checked (C(mysql), C(minio), C(redis), C(proxy), C(operator)).
    type: str
    required: true
  target:
    description: Where it was checked (host name or endpoint).
    type: str
    required: true
  required:
    description:
      - Whether a failure fails the report (C(true)), is only a warning (C(false)), or the list
        of the check names whose failures fail it.
    type: raw
    default: true
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Collect the report lines of the MySQL check
  ansible.builtin.set_fact:
    wandb_verify_mysql_lines: "{{ mysql_check | onprem.wandb.verify_lines('mysql', inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: >-
    One dict per check with C(component), C(target), C(check), C(status) (pass, fail, warn, skip),
    C(required), C(reason) and, where the check gave them, C(expected) and C(found).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.plugin_utils.report import result_lines


def verify_lines(result, component, target, required=True):
    if not isinstance(result, dict):
        raise AnsibleFilterError("verify_lines: the input must be a registered module result, got %s"
                                 % type(result).__name__)
    if not isinstance(required, bool):
        if not isinstance(required, (list, tuple, set)):
            raise AnsibleFilterError("verify_lines: required must be a bool or a list of check names, got %r"
                                     % (required,))
        required = set(str(name) for name in required)
    return result_lines(str(component), str(target), result, required)


class FilterModule(object):
    def filters(self):
        return {"verify_lines": verify_lines}
