# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: version_policy
short_description: Judge a component's version by W&B's version policy
version_added: 0.1.0
description:
  - Returns a check result (C(status) passed, failed or warn, a one-line C(reason), C(expected) and
    C(found)) for a version of MySQL, Redis or Kubernetes, by the collection's one requirements
    table (P(onprem.wandb.wandb_requirements#lookup)).
  - Named and supported versions pass; versions the vendor names but no longer patches (MySQL 8.0)
    warn; versions older than the oldest named one fail; versions W&B does not name fail unless
    O(accept_unnamed) is true, then they warn. For Kubernetes, O(follows) names an earlier vendor
    minimum the site follows explicitly; clusters from it up to the current minimum warn.
options:
  _input:
    description:
      - The version (C(8.4.3), C(1:8.4.3-1debian12), C(v1.36.0), C(7.0.15)), or a dict of labels to
        versions (for example C(installed) to C(8.4.3)), judged one by one.
    type: raw
    required: true
  component:
    description: C(mysql), C(redis) or C(kubernetes).
    type: str
    required: true
  flavour:
    description: The server kind (C(mysql), C(percona), C(mariadb); C(redis), C(valkey)).
    type: str
  accept_unnamed:
    description: Accept a version W&B does not name as a warning.
    type: bool
    default: false
  follows:
    description: For Kubernetes, an earlier minimum the vendor published that the site follows (C(1.32)).
    type: str
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Refuse to install a MySQL version W&B's policy fails
  ansible.builtin.assert:
    that: __judged.status != 'failed'
    fail_msg: "{{ __judged.reason }}"
  vars:
    __judged: "{{ '9.7.4' | onprem.wandb.version_policy('mysql', flavour='mysql', accept_unnamed=false) }}"
"""

RETURN = r"""
_value:
  description: The check result (C(status), C(reason), C(expected), C(found)); for a dict input, a dict of labels to results.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import REQUIREMENTS, judge_version


def version_policy(version, component, flavour=None, accept_unnamed=False, follows=None):
    if component not in REQUIREMENTS or not REQUIREMENTS[component].get("versions"):
        raise AnsibleFilterError("version_policy: component must be one of %s, got %r" % (
            ", ".join(sorted(name for name, table in REQUIREMENTS.items() if table.get("versions"))), component))
    if not isinstance(accept_unnamed, bool):
        raise AnsibleFilterError("version_policy: accept_unnamed must be a bool, got %r" % (accept_unnamed,))
    follows = str(follows) if follows not in (None, "") else None
    if isinstance(version, dict):
        return dict((str(label), judge_version(component, str(value or ""), flavour, accept_unnamed=accept_unnamed,
                                               follows=follows)) for label, value in version.items())
    return judge_version(component, str(version or ""), flavour, accept_unnamed=accept_unnamed, follows=follows)


class FilterModule(object):
    def filters(self):
        return {"version_policy": version_policy}
