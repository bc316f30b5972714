# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: openpgp_pin
short_description: A key fingerprint as written by people, in the form openpgp_fingerprints returns
version_added: 0.1.0
description:
  - Takes a pinned OpenPGP fingerprint the way vendors and people write it (groups of four with
    spaces, lower case, a C(0x) prefix) and returns it as upper-case hex without spaces, the form
    the P(onprem.wandb.openpgp_fingerprints#filter) filter returns, so a pin and a key file compare directly.
options:
  _input:
    description: The fingerprint as written.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a signing key that is not the pinned one
  ansible.builtin.assert:
    that: (__key.content | onprem.wandb.openpgp_fingerprints) == [key_pin | onprem.wandb.openpgp_pin]
  vars:
    key_pin: "BCA4 3417 C3B4 85DD 128E  C6D4 B7B3 B788 A8D3 785C"
"""

RETURN = r"""
_value:
  description: The fingerprint, upper-case hex without separators.
  type: str
"""

from ansible_collections.onprem.wandb.plugins.module_utils.openpgp import normalise


class FilterModule(object):
    def filters(self):
        return {"openpgp_pin": normalise}
