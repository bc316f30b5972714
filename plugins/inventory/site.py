# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: site
short_description: One compact W&B site file expanded into the collection's groups and variables
version_added: 0.1.0
description:
  - Reads a site file (whose C(plugin) key is C(onprem.wandb.site)) naming the site, its domain, the hosts of each
    component with host ranges such as C(minio[1:4]), the MinIO drives, the Kubernetes admin host,
    kubeconfig and context, the proxy's certificate mode and the names of the vaulted variables
    that hold the secrets, and expands it into the groups C(wandb_servers), C(wandb_mysql),
    C(wandb_minio), C(wandb_redis), C(wandb_proxy) and C(wandb_operator) with the variables the
    roles expect.
  - The collection's defaults stay in the roles; the site file only carries what differs, so the
    site's overrides are visible in one place (C(vars), C(group_vars), C(host_vars)).
  - The file is validated before anything is added, and every problem is reported at once
    naming the key, the value found and what is allowed - unknown keys, missing hosts, impossible
    MinIO topologies (MinIO's own erasure-set rules), and secrets in plain text where a vault
    reference is expected.
  - Vaulted variables the references name live in the site's C(group_vars/all/vault.yml) beside
    the site file, loaded as usual by Ansible, or in an C(!vault) value inline.
options:
  plugin:
    description: Marks the file for this plugin.
    required: true
    type: str
    choices: [onprem.wandb.site]
  site:
    description: The site's short name (lower-case letters, digits, C(-)); names the verify report.
    type: raw
  domain:
    description: The site's DNS domain; W&B's URL defaults to C(https://wandb.<domain>), the object store's to C(https://s3.<domain>).
    type: raw
  url:
    description: The URL users open W&B at (C(https://) only, the proxy serves W&B over TLS).
    type: raw
  endpoints:
    description:
      - The addresses W&B, its users and Kubernetes reach, as a mapping with C(object_store) (base URL),
        C(object_store_served_by) (C(proxy) or C(external)), C(accept_insecure_object_store) (bool),
        C(bucket), C(mysql) and C(redis) (C(host[:port])) and C(ca_bundle) (a PEM file on the controller).
    type: raw
  components:
    description:
      - The hosts per component, a mapping with C(mysql) (C(hosts), C(replicas), C(backup) with
        C(repository), C(ca_bundle), C(keep_daily) (7 or more), C(keep_weekly), C(keep_monthly), C(schedule)),
        C(minio) (C(hosts), C(drives)), C(redis) (C(hosts)), C(proxy) (C(hosts), C(certificate_mode) one of
        C(files), C(acme) or C(internal_ca)) and C(kubernetes) (C(admin_host), C(kubeconfig), C(context),
        C(ingress_class), C(client_cidr)).
      - C(kubernetes.client_cidr) is the IPv4 network W&B's pods reach MySQL from (the nodes' network when
        pod traffic is NATed); the W&B MySQL user then accepts connections only from it.
      - Hosts are RFC 1123 names or IPv4 addresses, or ranges such as C(minio[1:4]) of at most 1024 hosts.
    type: raw
  connection:
    description: Connection variables for every server (C(ansible_user), C(ansible_connection), ...).
    type: raw
  secrets:
    description:
      - Role variable -> the name of the vaulted variable holding it (C(vault_<name>)) or an C(!vault) value.
        Required C(wandb_license), C(mysql_user_password), C(minio_root_user), C(minio_root_password),
        C(minio_wandb_secret_key), C(redis_password); with replicas C(mysql_replication_password); with
        backups C(mysql_backup_password) and C(mysql_backup_repository_env).
    type: raw
  vars:
    description:
      - Site-wide overrides of the collection's defaults (every host). Variables the plugin derives
        from the keys above (C(wandb_url), C(minio_drives), ...) are refused here; set the key.
    type: raw
  group_vars:
    description: Overrides per group (the collection's groups only), with the same rules as O(vars).
    type: raw
  host_vars:
    description: Overrides per host of the site, with the same rules as O(vars).
    type: raw
notes:
  - Set C(unparsed_is_failed = True) under C([inventory]) in C(ansible.cfg) (or C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true))
    so a refused site file stops Ansible at once; the collection's playbooks also fail before any play when their
    groups are empty.
  - A key given twice in one mapping of the file is refused (YAML would keep only the last one).
extends_documentation_fragment: []
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
# sites/lab.yml, used as: ansible-inventory -i sites/lab.yml --graph
plugin: onprem.wandb.site
site: lab
domain: example.test
components:
  mysql: {hosts: [mysql1]}
  minio: {hosts: ["minio[1:4]"], drives: ["/srv/minio/disk[1:2]"]}
  redis: {hosts: [redis1]}
  proxy: {hosts: [proxy1], certificate_mode: internal_ca}
  kubernetes: {admin_host: localhost, kubeconfig: ~/.kube/lab.yaml, context: lab}
secrets:
  wandb_license: vault_wandb_license
  mysql_user_password: vault_mysql_user_password
  minio_root_user: vault_minio_root_user
  minio_root_password: vault_minio_root_password
  minio_wandb_secret_key: vault_minio_wandb_secret_key
  redis_password: vault_redis_password
vars:
  common_ntp_servers: [ntp1.example.test]
"""

import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible_collections.onprem.wandb.plugins.plugin_utils.site_inventory import SiteError, duplicate_key_problems, expand_site, site_problems


class InventoryModule(BaseInventoryPlugin):
    NAME = "onprem.wandb.site"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith((".yml", ".yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        try:
            with open(path, "rb") as handle:
                duplicates = duplicate_key_problems(handle.read().decode("utf-8", errors="replace"))
        except (IOError, OSError) as error:
            raise AnsibleParserError("%s: cannot read the site file: %s" % (path, error))
        spec = self._read_config_data(path)
        try:
            problems = duplicates + site_problems(spec if not isinstance(spec, dict) else dict(spec))
            if problems:
                raise SiteError("site file", problems)
            groups, host_vars = expand_site(dict(spec))
        except SiteError as error:
            raise AnsibleParserError("%s: %d problem%s in the site file:\n- %s" % (
                os.path.basename(path), len(error.problems), "" if len(error.problems) == 1 else "s",
                "\n- ".join(error.problems)))
        except Exception as error:  # a rule that did not expect this shape: a message, never a traceback
            raise AnsibleParserError("%s: the site file could not be read as a site (%s: %s); docs/inventory.md "
                                     "shows its keys" % (os.path.basename(path), type(error).__name__, error))
        for group in groups:
            if group != "all":
                self.inventory.add_group(group)
        for group, content in groups.items():
            for child in content["children"]:
                self.inventory.add_child(group, child)
            for host in content["hosts"]:
                self.inventory.add_host(host, group=group)
            for key, value in content["vars"].items():
                self.inventory.set_variable(group, key, value)
        for host, variables in host_vars.items():
            self.inventory.add_host(host)
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
