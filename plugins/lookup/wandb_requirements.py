# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wandb_requirements
short_description: W&B Server's requirements of a component, from the collection's one table
version_added: 0.1.0
description:
  - Returns what W&B requires of a component (C(mysql), C(redis), C(kubernetes), C(object_store))
    from C(plugins/module_utils/wandb_requirements.py), the one place the collection keeps them -
    version ranges with the vendor's status (recommended, accepted, end of life), required
    settings, and the vendor page each came from.
  - Roles read their requirements here so a changed requirement is one edit; judge a version with
    P(onprem.wandb.version_policy#filter).
options:
  _terms:
    description: Components to return (one dict each). C(sources) returns the vendor pages.
    required: true
    type: list
    elements: str
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: W&B's required MySQL settings
  ansible.builtin.debug:
    msg: "{{ lookup('onprem.wandb.wandb_requirements', 'mysql').settings }}"

- name: The oldest Kubernetes release W&B names
  ansible.builtin.debug:
    msg: "{{ lookup('onprem.wandb.wandb_requirements', 'kubernetes').minimum }}"
"""

RETURN = r"""
_raw:
  description:
    - One dict per term. For a component, its table entry with C(minimum) (the oldest version it
      names) and C(named_versions) (a sentence listing them) added; for C(sources), the vendor pages
      by key (title, url, read).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import (
    SOURCES,
    minimum,
    named_versions,
    requirements,
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        values = []
        for term in terms:
            if term == "sources":
                values.append(dict(SOURCES))
                continue
            try:
                table = requirements(term)
            except KeyError as error:
                raise AnsibleLookupError(str(error.args[0]))
            if table.get("versions"):
                table["minimum"] = minimum(term)
                table["named_versions"] = named_versions(term)
            values.append(table)
        return values
