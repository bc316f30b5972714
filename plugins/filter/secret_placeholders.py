# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: secret_placeholders
short_description: Which of a site's secrets still hold a placeholder or a well-known sample value
version_added: 0.1.0
description:
  - Takes a mapping of secret name to its resolved value (a string, or a mapping of strings such as a
    backup target's credentials) and returns one line per secret that is still a placeholder - the example
    vault's C(REPLACE) texts, C(<...>) and C(CHANGE...) markers, or a value that is a well-known sample
    (C(changeme), C(password), C(minioadmin), C(secret), ...).
  - A line names the secret and the kind of placeholder, never the value.
options:
  _input:
    description: Secret name -> its value.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse secrets that were never filled in
  ansible.builtin.assert:
    that: __placeholders | length == 0
    fail_msg: "{{ __placeholders | join('; ') }}"
  vars:
    __placeholders: "{{ {'secrets.redis_password': vault_redis_password} | onprem.wandb.secret_placeholders }}"
"""

RETURN = r"""
_value:
  description: One line per secret that is a placeholder (its name and why), in the order given.
  type: list
  elements: str
"""

from ansible_collections.onprem.wandb.plugins.plugin_utils.site_schema import placeholder_kind


def secret_placeholders(secrets):
    found = []
    for name, value in secrets.items():
        values = value.items() if isinstance(value, dict) else [("", value)]
        for key, item in values:
            kind = placeholder_kind(item)
            if kind:
                found.append("%s%s is %s: fill in the real secret (and encrypt the vault)" % (
                    name, "." + str(key) if key else "", kind))
    return found


class FilterModule(object):
    def filters(self):
        return {"secret_placeholders": secret_placeholders}
