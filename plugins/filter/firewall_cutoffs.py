# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: firewall_cutoffs
short_description: The connections a host's firewall rules would cut off
version_added: 0.1.0
description:
  - Takes a host's C(common_firewall_rules) and the connections the site needs to reach that host (each a port,
    a protocol, the source address or network and why it connects), and returns one line per needed connection a
    rule would refuse - a rule guards the port and none of its sources covers the connection's source. A port no
    rule guards is open, so it cuts nothing off.
  - The preflight of C(onprem.wandb.site) uses it so rules that would lock the controller out of SSH, or cut W&B's
    pods, replication, MinIO's own traffic or the proxy off, are refused before any change.
options:
  _input:
    description: The host's firewall rules (C(name), C(port), C(protocol), C(sources)), as C(common_firewall_rules).
    type: list
    elements: dict
    required: true
  needs:
    description: The connections the site needs, each C(port), C(protocol) (default C(tcp)), C(source) (an address or a network) and C(why).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse rules that cut W&B off
  ansible.builtin.assert:
    that: __cutoffs | length == 0
    fail_msg: "{{ __cutoffs | join('; ') }}"
  vars:
    __cutoffs: >-
      {{ common_firewall_rules | onprem.wandb.firewall_cutoffs([
           {'port': 3306, 'source': '10.0.4.0/24', 'why': "W&B's pods"}]) }}
"""

RETURN = r"""
_value:
  description: One line per needed connection a rule refuses, naming the rule, the port, the source and why it is needed.
  type: list
  elements: str
"""

import ipaddress


def _network(value):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return None


def _covers(sources, source):
    """Whether one of the rule's sources (addresses or networks) holds every address of source."""
    wanted = _network(source)
    if wanted is None:
        return True  # a source this cannot read (a name) is not judged here
    for item in sources or []:
        network = _network(item)
        if network is not None and network.version == wanted.version and wanted.subnet_of(network):
            return True
    return False


def firewall_cutoffs(rules, needs):
    cutoffs = []
    for need in needs or []:
        protocol = need.get("protocol", "tcp")
        for rule in rules or []:
            if not isinstance(rule, dict) or str(rule.get("port")) != str(need.get("port")) \
                    or rule.get("protocol", "tcp") != protocol:
                continue
            if not _covers(rule.get("sources"), need.get("source")):
                cutoffs.append("common_firewall_rules rule %s guards %s/%s but none of its sources %s covers %s, %s: add it to the "
                               "rule's sources" % (rule.get("name"), protocol, need.get("port"), list(rule.get("sources") or []),
                                                   need.get("source"), need.get("why")))
    return cutoffs


class FilterModule(object):
    def filters(self):
        return {"firewall_cutoffs": firewall_cutoffs}
