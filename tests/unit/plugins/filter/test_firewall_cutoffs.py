"""onprem.wandb.firewall_cutoffs: the connections a host's firewall rules would refuse."""

from __future__ import annotations

from ansible_collections.onprem.wandb.plugins.filter.firewall_cutoffs import firewall_cutoffs

RULES = [{"name": "mysql", "port": 3306, "sources": ["10.0.4.0/24", "192.0.2.21"]},
         {"name": "ssh", "port": 22, "sources": ["192.0.2.0/28"]},
         {"name": "dns", "port": 53, "protocol": "udp", "sources": ["192.0.2.53"]}]


def test_a_source_inside_a_rule_s_networks_passes():
    assert firewall_cutoffs(RULES, [
        {"port": 3306, "source": "10.0.4.0/25", "why": "W&B's pods"}, {"port": 3306, "source": "192.0.2.21", "why": "the standby"},
        {"port": 22, "source": "192.0.2.9", "why": "this controller's SSH connection"},
        {"port": 9000, "source": "203.0.113.5", "why": "no rule guards it"},
        {"port": 53, "source": "203.0.113.5", "why": "tcp/53 is not the udp rule"}]) == []


def test_a_source_outside_every_rule_source_is_named_with_the_rule_and_why():
    assert firewall_cutoffs(RULES, [{"port": 22, "source": "198.51.100.7", "why": "this controller's SSH connection"},
                                    {"port": 3306, "source": "10.0.0.0/16", "why": "W&B's pods"}]) == [
        "common_firewall_rules rule ssh guards tcp/22 but none of its sources ['192.0.2.0/28'] covers 198.51.100.7, this "
        "controller's SSH connection: add it to the rule's sources",
        "common_firewall_rules rule mysql guards tcp/3306 but none of its sources ['10.0.4.0/24', '192.0.2.21'] covers "
        "10.0.0.0/16, W&B's pods: add it to the rule's sources"]


def test_address_families_do_not_cover_each_other_and_names_are_not_judged():
    rules = [{"name": "minio", "port": 9000, "sources": ["::/0"]}]
    assert len(firewall_cutoffs(rules, [{"port": 9000, "source": "10.0.0.5", "why": "the proxy"}])) == 1
    assert firewall_cutoffs(rules, [{"port": 9000, "source": "proxy1.example", "why": "a name"}]) == []
