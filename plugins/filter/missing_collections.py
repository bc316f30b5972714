# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: missing_collections
short_description: Which of the collections the roles use this controller cannot load
version_added: 0.1.0
description:
  - Takes a list of module names in fully qualified form (C(ansible.mysql.mysql_user)) and returns the
    collections (C(ansible.mysql)) whose module this controller's Ansible cannot resolve, so a playbook can
    stop before any change naming the collection to install, instead of failing half-way when a role first
    uses it.
options:
  _input:
    description: Fully qualified module names, one per collection to probe.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Check the collections the roles need are installed
  ansible.builtin.assert:
    that: __missing | length == 0
    fail_msg: "Install {{ __missing | join(', ') }} (ansible-galaxy collection install ...)"
  vars:
    __missing: "{{ ['ansible.mysql.mysql_user', 'community.crypto.x509_certificate_info'] | onprem.wandb.missing_collections }}"
"""

RETURN = r"""
_value:
  description: The collections (namespace.name) whose probed module does not resolve, in the order given.
  type: list
  elements: str
"""


def missing_collections(modules):
    from ansible.plugins.loader import module_loader  # the controller's own loader, as a task would resolve it

    missing = []
    for name in modules:
        collection = ".".join(str(name).split(".")[:2])
        if not module_loader.find_plugin_with_context(str(name)).resolved and collection not in missing:
            missing.append(collection)
    return missing


class FilterModule(object):
    def filters(self):
        return {"missing_collections": missing_collections}
