# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mysql_settings_diff
short_description: Names of MySQL settings whose running value differs from the wanted one
version_added: 0.1.0
description:
  - Compares wanted MySQL option values with the values a running server reports and returns
    the names that differ, comparing by meaning (C(64M) equals C(67108864), C(row) equals C(ROW),
    C(ON) equals C(1)). A name missing from the running values counts as differing.
options:
  _input:
    description: Wanted settings, name to value.
    type: dict
    required: true
  actual:
    description: Running values, name to value (for example from C(SHOW GLOBAL VARIABLES)).
    type: dict
    required: true
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Settings that must be applied live
  ansible.builtin.debug:
    msg: "{{ {'sort_buffer_size': '64M'} | onprem.wandb.mysql_settings_diff({'sort_buffer_size': '262144'}) }}"
"""

RETURN = r"""
_value:
  description: Sorted names of the settings that differ.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.module_utils.mysql_requirements import settings_diff


def mysql_settings_diff(desired, actual):
    if not isinstance(desired, dict) or not isinstance(actual, dict):
        raise AnsibleFilterError("mysql_settings_diff needs two dicts, got %s and %s"
                                 % (type(desired).__name__, type(actual).__name__))
    return settings_diff(desired, actual)


class FilterModule(object):
    def filters(self):
        return {"mysql_settings_diff": mysql_settings_diff}
