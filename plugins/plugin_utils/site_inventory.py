# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One compact site file -> the groups and variables the collection's roles expect.

The onprem.wandb.site inventory plugin is a thin shell around these functions so the rules can be
unit-tested: which keys a site file may have, how host ranges expand, which MinIO topologies are
possible, and that secrets are only ever references to vaulted variables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.onprem.wandb.plugins.module_utils.minio_topology import topology_problems

try:
    from ansible.plugins.inventory import detect_range, expand_hostname_range
except ImportError:  # pragma: no cover - ansible-core is always there when the plugin runs
    detect_range = expand_hostname_range = None
try:  # ansible-core 2.19: only strings trusted as templates are ever rendered
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - older cores render every string
    def trust_as_template(value):
        return value

SITE_KEYS = {
    "plugin": "the plugin name, onprem.wandb.site",
    "site": "the site's short name (lower-case letters, digits, '-')",
    "domain": "the site's DNS domain (wandb_url defaults to https://wandb.<domain>)",
    "url": "the URL users open W&B at",
    "components": "hosts per component (mysql, minio, redis, proxy, kubernetes)",
    "connection": "connection variables for every server (ansible_user, ansible_connection, ...)",
    "secrets": "role variable -> name of the vaulted variable holding it",
    "vars": "site-wide overrides of the collection's defaults (every host)",
    "group_vars": "overrides per group",
    "host_vars": "overrides per host",
}
COMPONENT_KEYS = {
    "mysql": {"hosts"},
    "minio": {"hosts", "drives"},
    "redis": {"hosts"},
    "proxy": {"hosts", "certificate_mode"},
    "kubernetes": {"admin_host", "kubeconfig", "context", "ingress_class"},
}
REQUIRED_COMPONENTS = ("mysql", "minio", "redis", "proxy")
GROUPS = {"mysql": "wandb_mysql", "minio": "wandb_minio", "redis": "wandb_redis", "proxy": "wandb_proxy"}
SERVERS_GROUP = "wandb_servers"
OPERATOR_GROUP = "wandb_operator"
CERTIFICATE_MODES = ("files", "acme", "internal_ca")
# The secrets the roles need, and the group whose hosts read each one.
SECRETS = {
    "wandb_license": "all",
    "mysql_user_password": "wandb_mysql",
    "minio_root_user": "wandb_minio",
    "minio_root_password": "wandb_minio",
    "minio_wandb_secret_key": "wandb_minio",
    "redis_password": "wandb_redis",
}
REQUIRED_SECRETS = ("wandb_license", "mysql_user_password", "minio_root_user", "minio_root_password",
                    "minio_wandb_secret_key", "redis_password")
_SITE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_VAULT_REF = re.compile(r"^vault_[a-z0-9_]+$")
_SECRET_NAME = re.compile(r"(password|secret|license|token|private_key)", re.IGNORECASE)


class SiteError(ValueError):
    """Every problem of a site file, one per line."""

    def __init__(self, source, problems):
        self.problems = list(problems)
        super(SiteError, self).__init__("%s: %d problem%s:\n- %s" % (
            source, len(self.problems), "" if len(self.problems) == 1 else "s", "\n- ".join(self.problems)))


def is_vault_value(value):
    """An inline !vault value (ansible-core's encrypted string types) rather than plain text."""
    return type(value).__name__ in ("AnsibleVaultEncryptedUnicode", "EncryptedString")


def expand(pattern):
    """'minio[1:4]' -> ['minio1', ..., 'minio4']; ranges as in Ansible's INI/YAML inventories."""
    pattern = str(pattern)
    if detect_range is not None and detect_range(pattern):
        return expand_hostname_range(pattern)
    return [pattern]


def _unknown(where, mapping, allowed):
    extra = sorted(str(k) for k in mapping if k not in allowed)
    if not extra:
        return []
    return ["%s has unknown key%s %s (allowed: %s)"
            % (where, "" if len(extra) == 1 else "s", ", ".join(extra), ", ".join(sorted(allowed)))]


def _plain_secrets(where, mapping):
    """Variables that look like secrets but hold plain text instead of a vault reference."""
    problems = []
    for key, value in (mapping or {}).items():
        if not _SECRET_NAME.search(str(key)) or is_vault_value(value):
            continue
        if isinstance(value, str) and not re.match(r"^\{\{\s*vault_[A-Za-z0-9_]+\s*\}\}$", value.strip()):
            problems.append("%s.%s holds a plain-text value; secrets belong in the vault: list it under secrets "
                            "(%s: vault_<name>) or use an !vault value" % (where, key, key))
    return problems


def _hosts(where, value, problems):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        problems.append("%s must be a list of host names or ranges (minio[1:4]), got %r" % (where, value))
        return []
    hosts = []
    for item in value:
        try:
            hosts.extend(expand(item))
        except Exception as error:  # ansible's range parser raises AnsibleError on bad ranges
            problems.append("%s: %r is not a host name or range (%s)" % (where, item, error))
    duplicates = sorted({h for h in hosts if hosts.count(h) > 1})
    if duplicates:
        problems.append("%s lists %s more than once" % (where, ", ".join(duplicates)))
    return hosts


def site_problems(spec):
    """Every problem of the site file; empty when it expands cleanly."""
    problems = []
    if not isinstance(spec, dict):
        return ["the site file must be a mapping, got %s" % type(spec).__name__]
    problems.extend(_unknown("the site file", spec, SITE_KEYS))
    site = spec.get("site")
    if not isinstance(site, str) or not _SITE.match(site):
        problems.append("site must be a short lower-case name (letters, digits, '-'), got %r" % (site,))
    domain = spec.get("domain")
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        problems.append("domain must be a DNS domain (example.com), got %r" % (domain,))
    url = spec.get("url")
    if url is not None and (not isinstance(url, str) or not re.match(r"^https?://[^/\s]+/?$", url)):
        problems.append("url must be the base URL users open W&B at (https://wandb.example.com), got %r" % (url,))

    components = spec.get("components")
    if not isinstance(components, dict):
        problems.append("components must map mysql, minio, redis, proxy (and kubernetes) to their hosts, got %r" % (components,))
        components = {}
    problems.extend(_unknown("components", components, COMPONENT_KEYS))
    all_hosts = {}
    for name in REQUIRED_COMPONENTS + ("kubernetes",):
        component = components.get(name)
        if component is None:
            if name in REQUIRED_COMPONENTS:
                problems.append("components.%s is missing: W&B needs %s; give its hosts" % (name, name))
            continue
        if not isinstance(component, dict):
            problems.append("components.%s must be a mapping, got %r" % (name, component))
            continue
        problems.extend(_unknown("components.%s" % name, component, COMPONENT_KEYS[name]))
        if name == "kubernetes":
            continue
        hosts = _hosts("components.%s.hosts" % name, component.get("hosts"), problems)
        if not hosts and "hosts" in component:
            problems.append("components.%s.hosts is empty: give at least one host" % name)
        elif "hosts" not in component:
            problems.append("components.%s.hosts is missing: give at least one host" % name)
        for host in hosts:
            all_hosts.setdefault(host, []).append(name)
        if name in ("mysql", "redis") and len(hosts) > 1:
            problems.append("components.%s.hosts has %d hosts (%s): the role manages one %s server"
                            % (name, len(hosts), ", ".join(hosts), name))
        if name == "minio" and hosts:
            drives = _hosts("components.minio.drives", component.get("drives"), problems)
            if not drives:
                problems.append("components.minio.drives is missing or empty: list the drive mount points "
                                "(/srv/minio/disk[1:2])")
            else:
                problems.extend("components.minio: " + p for p in topology_problems([(h, drives) for h in hosts]))
        if name == "proxy" and component.get("certificate_mode", "files") not in CERTIFICATE_MODES:
            problems.append("components.proxy.certificate_mode must be one of %s, got %r"
                            % (", ".join(CERTIFICATE_MODES), component.get("certificate_mode")))

    secrets = spec.get("secrets") or {}
    if not isinstance(secrets, dict):
        problems.append("secrets must map role variables to vaulted variable names, got %r" % (secrets,))
        secrets = {}
    problems.extend(_unknown("secrets", secrets, SECRETS))
    for key in REQUIRED_SECRETS:
        if key not in secrets:
            problems.append("secrets.%s is missing: name the vaulted variable that holds it (vault_%s)" % (key, key))
    for key, value in secrets.items():
        if key not in SECRETS:
            continue
        if is_vault_value(value):
            continue
        if not isinstance(value, str) or not _VAULT_REF.match(value):
            problems.append("secrets.%s must name a vaulted variable (vault_<name>) or be an !vault value; "
                            "the value given is not a reference, so it would be a plain-text secret in the site file" % key)

    for key in ("vars", "connection"):
        value = spec.get(key) or {}
        if not isinstance(value, dict):
            problems.append("%s must be a mapping, got %r" % (key, value))
        else:
            problems.extend(_plain_secrets(key, value))
    for key in ("group_vars", "host_vars"):
        value = spec.get(key) or {}
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            problems.append("%s must map names to mappings of variables, got %r" % (key, value))
            continue
        for name, variables in value.items():
            problems.extend(_plain_secrets("%s.%s" % (key, name), variables))
        if key == "group_vars":
            known = set(GROUPS.values()) | {SERVERS_GROUP, OPERATOR_GROUP, "all"}
            problems.extend(_unknown("group_vars", value, known))
        else:
            admin = ((components.get("kubernetes") or {}).get("admin_host") if isinstance(components.get("kubernetes"), dict) else None)
            unknown = sorted(h for h in value if h not in all_hosts and h != admin)
            if unknown:
                problems.append("host_vars names hosts the site does not have: %s" % ", ".join(unknown))
    return problems


def expand_site(spec):
    """(groups {name: {'hosts': [...], 'children': [...], 'vars': {...}}}, host_vars {host: {...}}).

    Raises SiteError listing every problem.
    """
    problems = site_problems(spec)
    if problems:
        raise SiteError("site file", problems)
    components = spec["components"]
    url = spec.get("url") or "https://wandb.%s" % spec["domain"]
    all_vars = {"wandb_site": spec["site"], "wandb_domain": spec["domain"], "wandb_url": url.rstrip("/")}
    groups = {SERVERS_GROUP: {"hosts": [], "children": [], "vars": dict(spec.get("connection") or {})}}
    host_vars = {}
    secrets = spec.get("secrets") or {}
    secret_vars = {}
    for key, value in secrets.items():
        # The plugin writes the reference itself, so it marks it as a template Ansible may render.
        reference = value if is_vault_value(value) else trust_as_template("{{ %s }}" % value)
        secret_vars.setdefault(SECRETS[key], {})[key] = reference
    all_vars.update(secret_vars.get("all", {}))
    all_vars.update(spec.get("vars") or {})

    for name in REQUIRED_COMPONENTS:
        group = GROUPS[name]
        component = components[name]
        hosts = []
        for item in (component["hosts"] if isinstance(component["hosts"], list) else [component["hosts"]]):
            hosts.extend(expand(item))
        variables = dict(secret_vars.get(group, {}))
        if name == "minio":
            drives = []
            for item in (component["drives"] if isinstance(component["drives"], list) else [component["drives"]]):
                drives.extend(expand(item))
            variables["minio_drives"] = drives
        if name == "proxy":
            variables["nginx_proxy_cert_mode"] = component.get("certificate_mode", "files")
        groups[group] = {"hosts": hosts, "children": [], "vars": variables}
        groups[SERVERS_GROUP]["children"].append(group)
        for host in hosts:
            host_vars.setdefault(host, {})

    kubernetes = components.get("kubernetes") or {}
    admin = kubernetes.get("admin_host", "localhost")
    operator_vars = {}
    for key, var in (("kubeconfig", "wandb_operator_kubeconfig"), ("context", "wandb_operator_context"),
                     ("ingress_class", "wandb_operator_ingress_class")):
        if key in kubernetes:
            operator_vars[var] = kubernetes[key]
    groups[OPERATOR_GROUP] = {"hosts": [admin], "children": [], "vars": operator_vars}
    host_vars.setdefault(admin, {})
    if admin in ("localhost", "127.0.0.1") and admin not in [h for g in GROUPS.values() for h in groups[g]["hosts"]]:
        host_vars[admin].update({"ansible_connection": "local",
                                 "ansible_python_interpreter": trust_as_template("{{ ansible_playbook_python }}")})

    groups["all"] = {"hosts": [], "children": [], "vars": all_vars}
    for group, variables in (spec.get("group_vars") or {}).items():
        groups.setdefault(group, {"hosts": [], "children": [], "vars": {}})["vars"].update(variables)
    for host, variables in (spec.get("host_vars") or {}).items():
        host_vars.setdefault(host, {}).update(variables)
    return groups, host_vars
