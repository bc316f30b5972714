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
notes:
  - Set C(unparsed_is_failed = True) under C([inventory]) in C(ansible.cfg) (or C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true))
    so a refused site file stops Ansible at once; the collection's playbooks also fail before any play when their
    groups are empty.
  - A key given twice in one mapping of the file is refused (YAML would keep only the last one).
extends_documentation_fragment:
  - onprem.wandb.site
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
from ansible_collections.onprem.wandb.plugins.plugin_utils.site_schema import redact, show


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
        # The file is read and checked against the site schema here, before Ansible's own option handling
        # (which would convert types and stop at the first missing key, with a message naming no site key).
        # trusted_as_template: the site file's own "{{ ... }}" values render, as in any inventory file Ansible reads.
        spec = self.loader.load_from_file(path, cache="none", trusted_as_template=True)
        if isinstance(spec, dict) and spec.get("plugin") != self.NAME:
            raise AnsibleParserError("%s: plugin must be %s, got %s: this is not a site file"
                                     % (os.path.basename(path), self.NAME, show(spec.get("plugin"))))
        try:
            problems = duplicates + site_problems(spec if not isinstance(spec, dict) else dict(spec))
            if problems:
                raise SiteError("site file", problems)
            groups, host_vars = expand_site(dict(spec), checked=True)
        except SiteError as error:
            raise AnsibleParserError("%s: %d problem%s in the site file:\n- %s" % (
                os.path.basename(path), len(error.problems), "" if len(error.problems) == 1 else "s",
                "\n- ".join(error.problems)))
        except Exception as error:  # a rule that did not expect this shape: a message, never a traceback
            raise AnsibleParserError("%s: the site file could not be read as a site (%s: %s); docs/inventory.md "
                                     "shows its keys" % (os.path.basename(path), type(error).__name__,
                                                         redact([str(error)], spec)[0]))
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
