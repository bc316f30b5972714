# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: openpgp_fingerprints
short_description: Fingerprints of the primary keys in an OpenPGP public key file
version_added: 0.1.0
description:
  - Reads an ASCII-armoured OpenPGP public key file (what package repositories publish as their
    signing key) and returns the fingerprint of each primary key in it, upper-case hex without
    spaces. Version 4 and version 6 keys.
  - Lets a role pin a downloaded signing key to its published fingerprint without GnuPG.
  - The result is a list with one item starting with C(error) when the text is not such a file.
options:
  _input:
    description: The key file's text.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a signing key that is not the pinned one
  ansible.builtin.assert:
    that: __key.content | onprem.wandb.openpgp_fingerprints == ['BCA43417C3B485DD128EC6D4B7B3B788A8D3785C']
"""

RETURN = r"""
_value:
  description: The primary keys' fingerprints in file order, or one item C(error) followed by the reason.
  type: list
  elements: str
"""

from ansible_collections.onprem.wandb.plugins.module_utils.openpgp import OpenPGPError, primary_fingerprints


def openpgp_fingerprints(text):
    try:
        return primary_fingerprints(str(text))
    except (OpenPGPError, IndexError) as error:
        return ["error: %s" % (error or "the key file is truncated")]


class FilterModule(object):
    def filters(self):
        return {"openpgp_fingerprints": openpgp_fingerprints}
