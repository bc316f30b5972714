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

import posixpath
import re
from collections import Counter

from ansible_collections.onprem.wandb.plugins.module_utils.minio_topology import topology_problems
from ansible_collections.onprem.wandb.plugins.plugin_utils import site_schema
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import endpoint_url_parts

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
    "endpoints": "the addresses W&B, its users and Kubernetes reach (object store, MySQL, Redis, CA bundle)",
    "components": "hosts per component (mysql, minio, redis, proxy, kubernetes)",
    "connection": "connection variables for every server (ansible_user, ansible_connection, ...)",
    "secrets": "role variable -> name of the vaulted variable holding it",
    "vars": "site-wide overrides of the collection's defaults (every host)",
    "group_vars": "overrides per group",
    "host_vars": "overrides per host",
}
COMPONENT_KEYS = {
    "mysql": {"hosts", "replicas", "backup", "tls"},
    "minio": {"hosts", "drives", "port"},
    "redis": {"hosts", "tls"},
    "proxy": {"hosts", "certificate_mode"},
    "kubernetes": {"admin_host", "kubeconfig", "context", "ingress_class", "client_cidr"},
}
ENDPOINT_KEYS = {
    "object_store": "the object store's URL W&B and browsers use (default https://s3.<domain>)",
    "object_store_served_by": "proxy (the nginx_proxy hosts serve it, balanced over every MinIO node) or "
                              "external (the site's own load balancer; only checked)",
    "accept_insecure_object_store": "true to accept an http object store behind an https W&B (browsers refuse it)",
    "bucket": "W&B's bucket (default wandb)",
    "mysql": "host[:port] Kubernetes reaches MySQL at (default <first mysql host>:3306)",
    "redis": "host[:port] Kubernetes reaches Redis at (default <first redis host>:6379)",
    "ca_bundle": "PEM file on the controller with the CA(s) W&B and the checks trust for these endpoints",
}
DEFAULT_PORTS = {"mysql": 3306, "redis": 6379, "minio": 9000}
REQUIRED_COMPONENTS = ("mysql", "minio", "redis", "proxy")
GROUPS = {"mysql": "wandb_mysql", "minio": "wandb_minio", "redis": "wandb_redis", "proxy": "wandb_proxy"}
REPLICA_GROUP = "wandb_mysql_replica"
BACKUP_KEYS = {
    "repository": "the restic repository on another host (s3:https://HOST/bucket/path, rest:https://..., sftp:user@HOST:/path)",
    "ca_bundle": "PEM file on the controller with the CA that signs the backup target's certificate",
    "keep_daily": "daily snapshots kept (at least 7)",
    "keep_weekly": "weekly snapshots kept",
    "keep_monthly": "monthly snapshots kept",
    "schedule": "when the daily dump runs (systemd OnCalendar, default daily)",
}
# The role variables each key of components.mysql.tls / components.redis.tls becomes (the keys: the schema).
TLS_VARS = {
    "mysql": {"certificate": "mysql_tls_cert_src", "key": "mysql_tls_key_src", "ca": "mysql_tls_ca_src",
              "require": "mysql_require_secure_transport"},
    "redis": {"certificate": "redis_tls_cert_src", "key": "redis_tls_key_src", "ca": "redis_tls_ca_src"},
}
SERVERS_GROUP = "wandb_servers"
OPERATOR_GROUP = "wandb_operator"
# The secrets the roles need: the groups whose hosts read each one, and the variable it becomes there.
# The operator gets its own copies, so no role reads another group's variables.
SECRETS = {
    "wandb_license": {"all": "wandb_license"},
    "mysql_user_password": {"wandb_mysql": "mysql_user_password", REPLICA_GROUP: "mysql_user_password",
                            "wandb_operator": "wandb_operator_mysql_password"},
    # With components.mysql.replicas: the replication user's password (primary and replicas).
    "mysql_replication_password": {"wandb_mysql": "mysql_replication_password", REPLICA_GROUP: "mysql_replication_password"},
    # With components.mysql.backup: the repository's encryption password and the target's credentials
    # (a vaulted mapping, e.g. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), on the primary and the replicas
    # (a promoted replica takes the backups over).
    "mysql_backup_password": {"wandb_mysql": "mysql_backup_password", REPLICA_GROUP: "mysql_backup_password"},
    "mysql_backup_repository_env": {"wandb_mysql": "mysql_backup_repository_env", REPLICA_GROUP: "mysql_backup_repository_env"},
    "minio_root_user": {"wandb_minio": "minio_root_user"},
    "minio_root_password": {"wandb_minio": "minio_root_password"},
    "minio_wandb_secret_key": {"wandb_minio": "minio_wandb_secret_key",
                               "wandb_operator": "wandb_operator_bucket_secret_key"},
    "redis_password": {"wandb_redis": "redis_password", "wandb_operator": "wandb_operator_redis_password"},
}
REQUIRED_SECRETS = ("wandb_license", "mysql_user_password", "minio_root_user", "minio_root_password",
                    "minio_wandb_secret_key", "redis_password")
# Which components may share a host: a pair not listed here may not. MySQL and Redis may (the preflight
# checks their memory claims together); the standby, the proxy and MinIO each want their own hosts.
SHARED_HOST_ALLOWED = frozenset([frozenset(("mysql", "redis"))])
# A site of more hosts than this is a typo (60 ranges of 1000 hosts), refused before any range is expanded.
MAX_SITE_HOSTS = 4096
_HOST_PORT = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?$")
_VAULT_REF = re.compile(r"^vault_[a-z0-9_]+$")
# One host entry expands to at most this many hosts (minio[1:100000] is a typo, not a site).
MAX_RANGE_HOSTS = 1024
_RANGE = re.compile(r"\[([^\]]*)\]")
# Variables the plugin derives from the site file's keys: an override in vars, group_vars or
# host_vars would bypass the rules the key was checked against, so the key is the only way in.
DERIVED_VARS = {
    "wandb_site": "site",
    "wandb_domain": "domain",
    "wandb_url": "url",
    "wandb_object_store_url": "endpoints.object_store",
    "wandb_object_store_served_by": "endpoints.object_store_served_by",
    "wandb_object_store_accept_insecure": "endpoints.accept_insecure_object_store",
    "wandb_bucket": "endpoints.bucket",
    "wandb_mysql_host": "endpoints.mysql",
    "wandb_mysql_port": "endpoints.mysql",
    "wandb_redis_host": "endpoints.redis",
    "wandb_redis_port": "endpoints.redis",
    "wandb_ca_bundle": "endpoints.ca_bundle",
    "wandb_ca_bundle_made_by_proxy": "components.proxy.certificate_mode",
    "wandb_mysql_ca_bundle": "components.mysql.tls.ca",
    "wandb_redis_ca_bundle": "components.redis.tls.ca",
    "wandb_redis_tls": "components.redis.tls",
    "minio_drives": "components.minio.drives",
    "nginx_proxy_cert_mode": "components.proxy.certificate_mode",
    "nginx_proxy_minio_upstreams": "components.minio.hosts",
    "mysql_replication_role": "components.mysql.replicas",
    "mysql_replication_source_host": "components.mysql.replicas",
    "mysql_backup_repository": "components.mysql.backup.repository",
    "wandb_operator_kubeconfig": "components.kubernetes.kubeconfig",
    "wandb_operator_context": "components.kubernetes.context",
    "wandb_operator_ingress_class": "components.kubernetes.ingress_class",
    "wandb_site_secret_references": "secrets",
    "wandb_site_controller_files": "the file paths under endpoints and components",
    "mysql_tls_cert_names": "endpoints.mysql",
    "redis_tls_cert_names": "endpoints.redis",
}
DERIVED_VARS.update((variable, "components.%s.tls.%s" % (name, key))
                    for name, variables in TLS_VARS.items() for key, variable in variables.items())
# Facts two components share, which a role variable would say a second time: MinIO would create one bucket
# while W&B is told another, listen on one port while the proxy forwards to another. The site key (or the
# site-wide variable) is the only way in; the role variable is refused wherever it is set.
SHARED_FACTS = {
    "minio_port": "components.minio.port",
    "minio_wandb_bucket": "endpoints.bucket",
    "wandb_operator_bucket": "endpoints (object_store, bucket) and vars.wandb_bucket_region",
    "minio_region": "vars.wandb_bucket_region",
    "minio_wandb_access_key": "vars.wandb_bucket_access_key",
    "wandb_operator_bucket_access_key": "vars.wandb_bucket_access_key",
    "mysql_database": "vars.wandb_mysql_database",
    "mysql_backup_database": "vars.wandb_mysql_database",
    "mysql_user": "vars.wandb_mysql_user",
    "wandb_operator_mysql": "endpoints.mysql, vars.wandb_mysql_database and vars.wandb_mysql_user",
    "wandb_operator_redis": "endpoints.redis and components.redis.tls",
    "wandb_operator_host": "url",
}
# Site-wide variables several roles read (and the playbooks' own): set in vars only, once for every host,
# so no group can be told another value.
SITE_VARIABLES = {
    "wandb_bucket_access_key": "the access key name W&B uses for its bucket (MinIO creates it, W&B is given it)",
    "wandb_bucket_region": "the bucket's region (MinIO's and W&B's)",
    "wandb_mysql_database": "W&B's database (MySQL, the backups and W&B)",
    "wandb_mysql_user": "W&B's MySQL user (MySQL and W&B)",
    "wandb_verify_addresses": "name -> address the controller's checks connect to (verify)",
    "wandb_verify_report_dir": "where verify writes its report",
}
# The variables secrets: manages (each secret reaches every role that needs it under its own name).
SECRET_VARS = dict((variable, key) for key, groups in SECRETS.items() for variable in groups.values())
# Names that hold secrets: "password", "passwd", "pass" as a word ("ansible_become_pass"), "secret",
# "license", "token", "private_key", "credential".
_SECRET_NAME = re.compile(r"(passw(or)?d|(^|_)pass(phrase)?($|_)|secret|licen[cs]e|token|private_?key|credential)", re.IGNORECASE)
# Role variables whose names match but whose values are names or settings, not secrets.
_NOT_SECRETS = frozenset(("wandb_operator_image_pull_secrets", "wandb_operator_secret_prefix", "mysql_user_password_salt"))
_NOT_SECRET_SUFFIXES = ("_src", "_file", "_files", "_path", "_dir", "_prefix", "_name", "_names")


class SiteError(ValueError):
    """Every problem of a site file, one per line."""

    def __init__(self, source, problems):
        self.problems = list(problems)
        super(SiteError, self).__init__("%s: %d problem%s:\n- %s" % (
            source, len(self.problems), "" if len(self.problems) == 1 else "s", "\n- ".join(self.problems)))


def duplicate_key_problems(text):
    """Keys given twice in one mapping of a site file's YAML. YAML loaders keep the last one (Ansible
    only warns), so a repeated 'minio:' would silently replace the first pool; refused instead."""
    import yaml  # a dependency of ansible-core; imported here so the module loads without it in sanity

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []  # not YAML at all: Ansible's own loader reports it
    problems, stack, seen = [], [(root, "")], set()
    while stack:
        node, where = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                path = "%s.%s" % (where, name) if where else str(name)
                if name is not None and name in first:
                    problems.append("%s is given twice (lines %d and %d): YAML keeps only the last, so one of them "
                                    "would be silently lost; merge them" % (path, first[name] + 1, key.start_mark.line + 1))
                elif name is not None:
                    first[name] = key.start_mark.line
                stack.append((value, path))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, "%s[%d]" % (where, index)) for index, item in enumerate(node.value))
    return sorted(problems)


def is_vault_value(value):
    """An inline !vault value (ansible-core's encrypted string types) rather than plain text."""
    return type(value).__name__ in ("AnsibleVaultEncryptedUnicode", "EncryptedString")


def _drive_problem(path):
    if not path.startswith("/") or path.rstrip("/") == "" or any(c.isspace() for c in path) or "/../" in path + "/":
        return "%r is not an absolute path of a drive's mount point (/srv/minio/disk1)" % (path,)
    if posixpath.normpath(path) != path:
        return "%r is not a normalised path: write %s (MinIO would take the two spellings for two drives)" % (
            path, posixpath.normpath(path))
    return None


def _nested_drives(where, drives):
    """A drive inside another drive's mount point (/srv/minio and /srv/minio/disk1): MinIO would write one into the other."""
    ordered = sorted(drives)
    for index, outer in enumerate(ordered):
        for inner in ordered[index + 1:]:
            if inner.startswith(outer.rstrip("/") + "/"):
                return ["%s: %s is inside %s: every drive is a mount point of its own, none inside another" % (where, inner, outer)]
    return []


def range_size(pattern):
    """How many names a host pattern expands to, computed without expanding it (None when a
    bracket is not a range this can count; Ansible's own parser then judges it)."""
    size = 1
    for inner in _RANGE.findall(pattern):
        parts = inner.split(":")
        if len(parts) not in (2, 3):
            return None
        begin, end = parts[0], parts[1]
        step = parts[2] if len(parts) == 3 else "1"
        if not step.isdigit() or int(step) == 0:
            return None
        if begin.isdigit() and end.isdigit():
            count = (int(end) - int(begin)) // int(step) + 1 if int(end) >= int(begin) else 0
        elif len(begin) == 1 and len(end) == 1 and begin.isalpha() and end.isalpha():
            count = (ord(end) - ord(begin)) // int(step) + 1 if end >= begin else 0
        else:
            return None
        size *= max(count, 0)
    return size


def expand(pattern):
    """'minio[1:4]' -> ['minio1', ..., 'minio4']; ranges as in Ansible's INI/YAML inventories."""
    pattern = str(pattern)
    if detect_range is not None and detect_range(pattern):
        return expand_hostname_range(pattern)
    return [pattern]


def _is_reference(value):
    return is_vault_value(value) or (isinstance(value, str)
                                     and re.match(r"^\{\{\s*vault_[A-Za-z0-9_]+\s*\}\}$", value.strip()) is not None)


def _secret_name(key):
    key = str(key)
    return (_SECRET_NAME.search(key) is not None and key not in _NOT_SECRETS
            and not key.lower().endswith(_NOT_SECRET_SUFFIXES))


def _plain_secrets(where, mapping, secret=False):
    """Values that look like secrets (by their key, at any depth) but are plain text, not vault references.

    A value under a secret-named key is a secret however deep it sits (platform_chart.password, a list
    of tokens) and whatever its type (a number is as readable as a string); booleans and empty values
    are settings, not secrets.
    """
    problems = []
    items = mapping.items() if isinstance(mapping, dict) else enumerate(mapping or [])
    for key, value in items:
        path = "%s.%s" % (where, key) if isinstance(mapping, dict) else "%s[%d]" % (where, key)
        is_secret = secret or (isinstance(mapping, dict) and _secret_name(key))
        if _is_reference(value):
            continue
        if isinstance(value, (dict, list)):
            problems.extend(_plain_secrets(path, value, is_secret))
        elif is_secret and value not in (None, "") and not isinstance(value, bool):
            problems.append("%s holds a plain-text value (%s); secrets belong in the vault: give a role secret under "
                            "secrets (<variable>: vault_<name>), anything else as '{{ vault_<name> }}' or an !vault value"
                            % (path, type(value).__name__))
    return problems


def _hosts(where, value, problems, names=True):
    """Every host (or, names=False, drive path) of a hosts value, its problems appended."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append("%s must be a list of host names or ranges (minio[1:4]), got %r" % (where, value))
        return []
    hosts = []
    for item in value:
        size = range_size(item)
        if size == 0:
            problems.append("%s: the range %r is empty (its start is after its end: write minio[1:4])" % (where, item))
            continue
        if size is not None and size > MAX_RANGE_HOSTS:
            problems.append("%s: the range %r expands to %d hosts, more than %d: a typo?" % (where, item, size, MAX_RANGE_HOSTS))
            continue
        try:
            expanded = expand(item)
        except Exception as error:  # ansible's range parser raises AnsibleError on bad ranges
            problems.append("%s: %r is not a host name or range (%s)" % (where, item, error))
            continue
        bad = [site_schema.host_name_problem(host) if names else _drive_problem(host) for host in expanded]
        bad = [reason for reason in bad if reason]
        if bad:
            problems.append("%s: %s" % (where, bad[0]))
            continue
        hosts.extend(expanded)
    duplicates = sorted(host for host, count in Counter(h.lower().rstrip(".") if names else h for h in hosts).items() if count > 1)
    if duplicates:
        problems.append("%s lists %s more than once%s" % (where, ", ".join(duplicates), " (host names compare case-insensitively)" if names else ""))
    elif not names:
        problems.extend(_nested_drives(where, hosts))
    return hosts


def _host_port(value, default_port):
    """(host, port) of 'host[:port]'; None when it is not one."""
    match = _HOST_PORT.match(str(value))
    if not match:
        return None
    port = int(match.group(3)) if match.group(3) else default_port
    return (match.group(1), port) if 1 <= port <= 65535 else None


def _parts(url):
    """(scheme, host, port, tls) of a base URL, or None when it is not one."""
    try:
        return endpoint_url_parts(url)
    except ValueError:
        return None


def wandb_url(spec):
    return (spec.get("url") or "https://wandb.%s" % spec.get("domain")).rstrip("/")


def object_store_url(spec):
    endpoints = spec.get("endpoints") or {}
    return str(endpoints.get("object_store") or "https://s3.%s" % spec.get("domain")).rstrip("/")


def endpoint_problems(spec):
    """What is wrong with the declared endpoints (each problem names the key, the value and what is allowed)."""
    endpoints = spec.get("endpoints")
    if endpoints is None:
        endpoints = {}
    if not isinstance(endpoints, dict):
        return ["endpoints must be a mapping (%s), got %r" % (", ".join(sorted(ENDPOINT_KEYS)), endpoints)]
    # Each key's type and format is the schema's (site_schema.FORMATS); here, the rules between them.
    problems = []
    served_by = endpoints.get("object_store_served_by", "proxy")
    accept = endpoints.get("accept_insecure_object_store", False)
    site_url = wandb_url(spec)
    store_url = object_store_url(spec)
    store_parts, url_parts = _parts(store_url), _parts(site_url)
    if store_parts and url_parts:
        if url_parts[0] == "https" and store_parts[0] == "http" and accept is not True:
            problems.append(
                "endpoints.object_store is %s but W&B is served at %s: browsers refuse the presigned uploads and "
                "downloads as Mixed Content (an https page may not fetch http URLs). Serve the object store over "
                "https, or set endpoints.accept_insecure_object_store: true to accept that W&B's web UI cannot "
                "upload or show files" % (store_url, site_url))
        if store_parts[1] == url_parts[1] and served_by == "proxy":
            problems.append("endpoints.object_store (%s) has the same host name as W&B (%s): the proxy serves the S3 "
                            "API under a name of its own (s3.<domain>)" % (store_url, site_url))
        if served_by == "proxy" and store_parts[0] == "http":
            problems.append("endpoints.object_store is %s with object_store_served_by proxy: the proxy serves the "
                            "object store over TLS only; use https://, or external for the site's own balancer"
                            % store_url)
    return problems


def tls_vars(name, tls):
    """(component group vars, site-wide vars) for components.<name>.tls."""
    variables = dict((TLS_VARS[name][key], tls[key]) for key in ("certificate", "key", "ca"))
    site = {"wandb_%s_ca_bundle" % name: tls["ca"]}
    if name == "mysql":
        variables[TLS_VARS[name]["require"]] = tls.get("require", True)
    else:
        site["wandb_redis_tls"] = True
    return variables, site


def _url_host(url):
    parts = site_schema.url_parts(url) if isinstance(url, str) else None
    return parts[1].lower() if isinstance(parts, tuple) else None


def _mysql_day2_problems(spec, mysql, secrets, all_hosts):
    """components.mysql.replicas and components.mysql.backup: their shape, and the secrets they need."""
    if not isinstance(mysql, dict):
        return []
    problems = []
    primary = _hosts("components.mysql.hosts", mysql.get("hosts"), [])
    replicas = _hosts("components.mysql.replicas", mysql.get("replicas"), problems) if "replicas" in mysql else []
    primary_keys = [h.lower().rstrip(".") for h in primary]
    for host in replicas:
        if host.lower().rstrip(".") in primary_keys:
            problems.append("components.mysql.replicas lists %s, the primary itself (components.mysql.hosts): a hot standby "
                            "must be another host" % host)
        elif host in all_hosts:
            problems.append("components.mysql.replicas lists %s, which is also a %s host (%s): give the standby its own host"
                            % (host, ", ".join(all_hosts[host]),
                               ", ".join("components.%s.hosts" % name for name in all_hosts[host])))
        all_hosts.setdefault(host, []).append("mysql replica")
    if replicas and "mysql_replication_password" not in secrets:
        problems.append("secrets.mysql_replication_password is missing: components.mysql.replicas needs the replication "
                        "user's password (vault_mysql_replication_password)")
    backup = mysql.get("backup")
    if backup is None:
        return problems
    if not isinstance(backup, dict):
        return problems + ["components.mysql.backup must be a mapping (%s), got %r" % (", ".join(sorted(BACKUP_KEYS)), backup)]
    repository = backup.get("repository")
    host = site_schema.repository_host(repository) if isinstance(repository, str) else None
    if host is None or (isinstance(repository, str) and site_schema.repository_problem(repository)):
        problems.append("components.mysql.backup.repository %s, got %s"
                        % (site_schema.repository_problem(repository) if isinstance(repository, str) else
                           "must be a restic repository on another host (%s)" % BACKUP_KEYS["repository"],
                           site_schema.show(repository)))
    elif host in [h.lower() for h in primary + replicas] or host.startswith("127.") or host in ("localhost", "::1"):
        problems.append("components.mysql.backup.repository %s is on %s, a MySQL host of this site: backups must leave "
                        "the MySQL hosts (another facility)" % (repository, host))
    elif host in [h.lower() for h in all_hosts] or host == _url_host(object_store_url(spec)):
        problems.append("components.mysql.backup.repository %s is on %s, which this site's own hosts serve "
                        "(components.minio, components.proxy or endpoints.object_store): a backup must survive the loss "
                        "of the site, so it goes to another facility" % (repository, host))
    elif repository.startswith("s3:") and "mysql_backup_repository_env" not in secrets:
        problems.append("secrets.mysql_backup_repository_env is missing: components.mysql.backup.repository %s is an S3 "
                        "repository, whose access key the first backup needs (a vaulted mapping with AWS_ACCESS_KEY_ID "
                        "and AWS_SECRET_ACCESS_KEY)" % repository)
    if "mysql_backup_password" not in secrets:
        problems.append("secrets.mysql_backup_password is missing: components.mysql.backup needs the repository's "
                        "encryption password (vault_mysql_backup_password)")
    return problems


def mysql_day2_vars(mysql):
    """(primary vars, replica vars) for components.mysql.replicas and .backup."""
    primary_vars, replica_vars = {}, {}
    primary = expand_list(mysql["hosts"])
    if mysql.get("replicas"):
        primary_vars["mysql_replication_enabled"] = True
        replica_vars.update({"mysql_replication_role": "replica", "mysql_replication_enabled": True,
                             "mysql_replication_source_host": primary[0]})
    backup = mysql.get("backup")
    if backup:
        shared = {"mysql_backup_repository": backup["repository"]}
        for key in ("keep_daily", "keep_weekly", "keep_monthly", "schedule"):
            if key in backup:
                shared["mysql_backup_" + key] = backup[key]
        if backup.get("ca_bundle"):
            shared["mysql_backup_ca_src"] = backup["ca_bundle"]
        # Snapshots are filed under the primary's name, so a promoted replica continues the same series.
        shared["mysql_backup_host"] = primary[0]
        primary_vars.update(shared)
        replica_vars.update(shared)
    return primary_vars, replica_vars


def expand_list(value):
    """Every host of a hosts value (a name, a range, or a list of them)."""
    hosts = []
    for item in value if isinstance(value, list) else [value]:
        hosts.extend(expand(item))
    return hosts


def endpoint_vars(spec, hosts):
    """The site-wide endpoint variables (docs/inventory.md) from the endpoints mapping and its derivations."""
    endpoints = spec.get("endpoints") or {}
    variables = {
        "wandb_url": wandb_url(spec),
        "wandb_object_store_url": object_store_url(spec),
        "wandb_object_store_served_by": endpoints.get("object_store_served_by", "proxy"),
        "wandb_object_store_accept_insecure": endpoints.get("accept_insecure_object_store", False),
        "wandb_bucket": endpoints.get("bucket", "wandb"),
    }
    for name in ("mysql", "redis"):
        host, port = _host_port(endpoints.get(name) or hosts[name][0], DEFAULT_PORTS[name])
        variables.update({"wandb_%s_host" % name: host, "wandb_%s_port" % name: port})
    if endpoints.get("ca_bundle"):
        variables["wandb_ca_bundle"] = endpoints["ca_bundle"]
        # A proxy with its own CA writes the bundle there during the run (nginx_proxy_internal_ca_export):
        # the stages before it must not require the file yet.
        proxy = (spec.get("components") or {}).get("proxy") or {}
        if proxy.get("certificate_mode") == "internal_ca":
            variables["wandb_ca_bundle_made_by_proxy"] = True
    return variables


def controller_files(spec):
    """[{key, variable, groups}] of every controller file the site file names (the variable that carries it)."""
    components = spec.get("components") or {}
    files = []
    endpoints = spec.get("endpoints") or {}
    if endpoints.get("ca_bundle") and (components.get("proxy") or {}).get("certificate_mode") != "internal_ca":
        files.append({"key": "endpoints.ca_bundle", "variable": "wandb_ca_bundle", "groups": [SERVERS_GROUP, OPERATOR_GROUP]})
    for name, groups in (("mysql", [GROUPS["mysql"], REPLICA_GROUP]), ("redis", [GROUPS["redis"]])):
        tls = (components.get(name) or {}).get("tls") or {}
        for key in ("certificate", "key", "ca"):
            if tls.get(key):
                files.append({"key": "components.%s.tls.%s" % (name, key), "variable": TLS_VARS[name][key], "groups": groups})
    backup = (components.get("mysql") or {}).get("backup") or {}
    if backup.get("ca_bundle"):
        files.append({"key": "components.mysql.backup.ca_bundle", "variable": "mysql_backup_ca_src",
                      "groups": [GROUPS["mysql"], REPLICA_GROUP]})
    return files


def _kubernetes_problems(kubernetes):
    problems = []  # admin_host and kubeconfig: the schema's formats; an empty context or ingress class here
    for key in ("kubeconfig", "context", "ingress_class"):
        value = kubernetes.get(key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            problems.append("components.kubernetes.%s must be a non-empty string, got %r" % (key, value))
    return problems


def _derived_overrides(where, variables):
    """Variables the plugin derives from a site-file key, set directly (bypassing that key's rules)."""
    return ["%s.%s is derived from the site file's %s, which is checked: set %s instead"
            % (where, key, DERIVED_VARS[key], DERIVED_VARS[key]) for key in sorted(variables, key=str) if key in DERIVED_VARS]


def _wandb_conflicts(where, variables):
    """Role settings a W&B site cannot use, whatever the roles accept on their own."""
    problems = []
    if variables.get("redis_auth_mode") == "acl":
        problems.append("%s.redis_auth_mode is 'acl': W&B's chart connects as redis://:<password>@host, without a user "
                        "name, so as Redis' default user, which acl mode disables; a W&B site uses 'password' (the "
                        "default user then gets redis_acl_rules: no admin commands)" % where)
    return problems


def site_problems(spec):
    """Every problem of the site file; empty when it expands cleanly.

    First the typed schema (site_schema: types, required keys, unknown keys at every depth, formats) and
    the secrets hidden in any string; then the rules between keys (topologies, placement, drift, role
    overrides), leaving out what names a key the schema already refused. No message prints a secret.
    """
    if not isinstance(spec, dict):
        return ["the site file must be a mapping of the keys of docs/inventory.md (plugin, site, domain, components, "
                "secrets, ...), got %s" % ("an empty file" if spec is None else type(spec).__name__)]
    typed = site_schema.schema_problems(spec) + site_schema.secret_problems(spec)
    reported = set(problem.split(" ", 1)[0].split("[", 1)[0] for problem in typed)
    size = _size_problems(spec)
    if size:
        return site_schema.redact(typed + size, spec)
    # The rules between keys see only what the schema accepted: a refused value is left out, not guessed at.
    for path in reported:
        spec = _without(spec, path)
    related = _semantic_problems(spec) + _placement_problems(spec) + _override_problems(spec)
    related = [problem for problem in related
               if not any(re.match(re.escape(path) + r"([ .:\[]|$)", problem) for path in reported)]
    return site_schema.redact(typed + _unique(related), spec)


def _without(spec, path):
    """spec without the key at a dotted path (the mappings on the way copied, spec itself unchanged)."""
    parts = path.split(".")
    if not parts or parts[0] not in spec:
        return spec
    copy = dict(spec)
    if len(parts) == 1:
        del copy[parts[0]]
    elif isinstance(copy[parts[0]], dict):
        copy[parts[0]] = _without(copy[parts[0]], ".".join(parts[1:]))
    return copy


def _unique(problems):
    seen = set()
    return [problem for problem in problems if not (problem in seen or seen.add(problem))]


def _component_entries(spec):
    """{component: [host entries as written]} for the components whose hosts are a list of strings."""
    components = spec.get("components") if isinstance(spec.get("components"), dict) else {}
    entries = {}
    for name in REQUIRED_COMPONENTS:
        component = components.get(name)
        if isinstance(component, dict):
            for key in ("hosts", "replicas") if name == "mysql" else ("hosts",):
                value = component.get(key)
                if isinstance(value, list) and all(isinstance(item, str) for item in value):
                    entries["components.%s.%s" % (name, key)] = value
    return entries


def _size_problems(spec):
    """A site whose ranges describe more than MAX_SITE_HOSTS hosts, counted without expanding any range."""
    counts = dict((where, sum(range_size(item) or 1 for item in items)) for where, items in _component_entries(spec).items())
    total = sum(counts.values())
    if total <= MAX_SITE_HOSTS:
        return []
    largest = max(counts, key=counts.get)
    return ["%s: the site file describes %d hosts (%s has %d), more than the %d a site may have: a range typo? "
            "(minio[1:4] is four hosts)" % (largest, total, largest, counts[largest], MAX_SITE_HOSTS)]


def _host_key(host):
    """Host names compare case-insensitively (DNS does), without a trailing dot."""
    return host.lower().rstrip(".")


def _placement_problems(spec):
    """Which components share a host: only the pairs SHARED_HOST_ALLOWED names may; the admin host is none of them."""
    owners = {}
    for where, items in _component_entries(spec).items():
        component = where.split(".")[1] if where.endswith(".hosts") else "mysql replica"
        for item in items:
            try:
                hosts = expand(item)
            except Exception:  # a bad range is named by the hosts check
                continue
            for host in hosts:
                owners.setdefault(_host_key(host), []).append((component, where, host))
    problems = []
    for key in sorted(owners):
        places = owners[key]
        for index, (first, first_where, first_host) in enumerate(places):
            for second, second_where, second_host in places[index + 1:]:
                if first == second or "mysql replica" in (first, second):
                    continue  # a component listing a host twice, and the standby, are checked elsewhere
                if frozenset((first, second)) not in SHARED_HOST_ALLOWED:
                    problems.append("%s and %s both name %s%s: %s and %s each need hosts of their own (only MySQL and "
                                    "Redis may share one)" % (first_where, second_where, first_host,
                                                              "" if first_host == second_host else " (as %s)" % second_host,
                                                              first, second))
    kubernetes = (spec.get("components") or {}).get("kubernetes") if isinstance(spec.get("components"), dict) else None
    admin = kubernetes.get("admin_host") if isinstance(kubernetes, dict) else None
    if isinstance(admin, str) and _host_key(admin) in owners:
        component, where, host = owners[_host_key(admin)][0]
        problems.append("components.kubernetes.admin_host %s is also named by %s: the admin host runs helm with the "
                        "cluster's kubeconfig, so it is the controller (localhost) or a host of its own, not a %s host"
                        % (admin, where, component))
    return problems


_CONNECTION_VARIABLES = {}


def _core_connection_variables():
    """The connection, become and interpreter variables ansible-core itself names (cheap: no plugin is loaded)."""
    if "core" not in _CONNECTION_VARIABLES:
        from ansible import constants as C

        names = set(name for group in C.MAGIC_VARIABLE_MAPPING.values() for name in group)
        for definition in (C.config.get_configuration_definitions() or {}).values():
            names.update(var["name"] for var in definition.get("vars") or [] if isinstance(var, dict) and "name" in var)
        _CONNECTION_VARIABLES["core"] = names
    return _CONNECTION_VARIABLES["core"]


def connection_variables(connection_names=()):
    """Every variable Ansible reads for connections, become, shells and interpreters (and the named connection plugins).

    Read once per process and set of connection plugins (the plugin loader's documentation is the slow part).
    """
    key = tuple(sorted(set(connection_names)))
    if key not in _CONNECTION_VARIABLES:
        _CONNECTION_VARIABLES[key] = _connection_variables(key)
    return _CONNECTION_VARIABLES[key]


def _connection_variables(connection_names):
    from ansible import constants as C
    from ansible.plugins.loader import become_loader, connection_loader, shell_loader

    names = set(_core_connection_variables())
    for loader, kind in ((connection_loader, "connection"), (become_loader, "become"), (shell_loader, "shell")):
        for plugin in loader.all(class_only=True):
            for definition in (C.config.get_configuration_definitions(kind, plugin._load_name) or {}).values():
                names.update(var["name"] for var in definition.get("vars") or [] if isinstance(var, dict))
    for name in connection_names:
        if "." not in name:
            continue
        try:
            from ansible.plugins.loader import fragment_loader
            from ansible.utils.plugin_docs import get_docstring

            context = connection_loader.find_plugin_with_context(name)
            if context.resolved:
                doc = get_docstring(context.plugin_resolved_path, fragment_loader, collection_name=".".join(name.split(".")[:2]))[0]
                for definition in (doc or {}).get("options", {}).values():
                    names.update(var["name"] for var in definition.get("vars") or [] if isinstance(var, dict))
        except Exception:  # a connection plugin that cannot be read here is named by Ansible when it connects
            continue
    return names


_TEMPLATE_NAME = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)")


def _override_problems(spec):
    """vars, group_vars, host_vars and connection, checked against the roles' argument specs and Ansible's connection
    variables: unknown names (with the nearest known one), wrong types, and what a site key or secrets: owns."""
    scopes = []
    for key in ("vars", "connection"):
        if isinstance(spec.get(key), dict):
            scopes.append((key, spec[key]))
    for key in ("group_vars", "host_vars"):
        if isinstance(spec.get(key), dict):
            scopes.extend(("%s.%s" % (key, name), variables) for name, variables in spec[key].items() if isinstance(variables, dict))
    if not scopes:
        return []
    # A helper variable the site file's own templates read ("{{ lab_dir }}/pki/...") is the site's, not a typo.
    helpers = set(match.group(1) for _path, text in site_schema.strings(spec) for match in _TEMPLATE_NAME.finditer(text))
    roles = site_schema.role_specs()
    chosen = [v.get("ansible_connection") for _w, v in scopes if isinstance(v.get("ansible_connection"), str)]
    ansible_names = None
    problems = []
    for where, variables in scopes:
        for name in sorted(variables, key=str):
            path = "%s.%s" % (where, name)
            value = variables[name]
            if not isinstance(name, str):
                problems.append("%s: variable names are strings, got %r" % (path, name))
            elif name in DERIVED_VARS:
                continue  # _derived_overrides names the key
            elif name in SECRET_VARS:
                problems.append("%s is managed by secrets.%s, which gives every role that needs it the same vaulted value; "
                                "remove it here (another value here would give MySQL and W&B different secrets)"
                                % (path, SECRET_VARS[name]))
            elif name in SHARED_FACTS:
                problems.append("%s says again what %s says for every component (set it there, once): a second value "
                                "here would leave the components disagreeing" % (path, SHARED_FACTS[name]))
            elif name in SITE_VARIABLES and where != "vars":
                problems.append("%s is %s, which several roles read: set it in vars, once for the whole site, not per "
                                "group or host" % (path, SITE_VARIABLES[name]))
            elif name.startswith("ansible_"):
                if name in _core_connection_variables() or re.match(r"^ansible_[a-z0-9_]+_interpreter$", name):
                    continue  # the common names, without reading every connection plugin's documentation
                if ansible_names is None:
                    ansible_names = connection_variables(chosen)
                if name not in ansible_names:
                    problems.append("%s is not a variable Ansible knows%s (connection, become and interpreter variables "
                                    "of the installed plugins)" % (path, site_schema.nearest(name, ansible_names)))
            elif where == "connection":
                problems.append("%s: connection holds Ansible's connection variables (ansible_user, ansible_port, "
                                "ansible_connection, ...); set %s in vars" % (path, name))
            elif name in roles:
                reason = site_schema.role_value_problem(name, value)
                if reason:
                    problems.append("%s %s" % (path, reason))
            elif name not in SITE_VARIABLES and name not in helpers:
                problems.append("%s is not a variable of any of the collection's roles%s, nor a site variable (%s); a "
                                "helper variable must be used by the site file's own templates"
                                % (path, site_schema.nearest(name, list(roles) + list(SITE_VARIABLES)),
                                   ", ".join(sorted(SITE_VARIABLES))))
    return problems


def _semantic_problems(spec):
    """The rules between keys (hosts and ranges, topologies, endpoints, day 2, secrets, overrides)."""
    problems = []  # site and domain: the schema's formats
    url = spec.get("url")
    if url is not None and (not isinstance(url, str) or not re.match(r"^https?://[^/\s]+/?$", url)):
        problems.append("url must be the base URL users open W&B at (https://wandb.example.com), got %r" % (url,))
    elif url is not None and not url.startswith("https://"):
        problems.append("url is %r: the proxy serves W&B over TLS only, so its URL is https://" % (url,))
    elif url is not None and (_parts(url) is None or site_schema.host_name_problem(_parts(url)[1])):
        problems.append("url must be the base URL users open W&B at with a host name and a port 1-65535, got %r" % (url,))

    components = spec.get("components")
    if not isinstance(components, dict):
        problems.append("components must map mysql, minio, redis, proxy (and kubernetes) to their hosts, got %r" % (components,))
        components = {}
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
        if name == "kubernetes":
            problems.extend(_kubernetes_problems(component))
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
            drives = _hosts("components.minio.drives", component.get("drives"), problems, names=False)
            if not drives:
                problems.append("components.minio.drives is missing or empty: list the drive mount points "
                                "(/srv/minio/disk[1:2])")
            else:
                problems.extend("components.minio.hosts and components.minio.drives: " + p
                                for p in topology_problems([(h, drives) for h in hosts]))

    problems.extend(endpoint_problems(spec))
    problems.extend(_mysql_day2_problems(spec, components.get("mysql"), spec.get("secrets") or {}, all_hosts))

    secrets = spec.get("secrets") or {}
    if not isinstance(secrets, dict):
        problems.append("secrets must map role variables to vaulted variable names, got %r" % (secrets,))
        secrets = {}
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
            problems.extend(_derived_overrides(key, value))
            problems.extend(_wandb_conflicts(key, value))
    for key in ("group_vars", "host_vars"):
        value = spec.get(key) or {}
        if not isinstance(value, dict):
            problems.append("%s must map names to mappings of variables, got %r" % (key, value))
            continue
        not_mappings = sorted(str(name) for name, variables in value.items() if not isinstance(variables, dict))
        if not_mappings:
            problems.append("%s.%s must be a mapping of variables (an empty entry is null: remove it or give variables)"
                            % (key, not_mappings[0]))
            continue
        for name, variables in value.items():
            problems.extend(_plain_secrets("%s.%s" % (key, name), variables))
            problems.extend(_derived_overrides("%s.%s" % (key, name), variables))
            problems.extend(_wandb_conflicts("%s.%s" % (key, name), variables))
        if key == "group_vars":
            known = set(GROUPS.values()) | {SERVERS_GROUP, OPERATOR_GROUP, REPLICA_GROUP, "all"}
            problems.extend("group_vars.%s is not a group of the site%s; allowed: %s"
                            % (name, site_schema.nearest(name, known), ", ".join(sorted(known)))
                            for name in sorted(value, key=str) if name not in known)
        else:
            admin = ((components.get("kubernetes") or {}).get("admin_host", "localhost")
                     if isinstance(components.get("kubernetes"), dict) else "localhost")
            problems.extend("host_vars.%s is not a host of the site%s: host_vars names hosts the components list"
                            % (name, site_schema.nearest(name, list(all_hosts) + [admin]))
                            for name in sorted(value, key=str) if name not in all_hosts and name != admin)
    return problems


def expand_site(spec, checked=False):
    """(groups {name: {'hosts': [...], 'children': [...], 'vars': {...}}}, host_vars {host: {...}}).

    Raises SiteError listing every problem (checked=True: the caller has had site_problems() say none).
    """
    problems = [] if checked else site_problems(spec)
    if problems:
        raise SiteError("site file", problems)
    components = spec["components"]
    all_vars = {"wandb_site": spec["site"], "wandb_domain": spec["domain"]}
    groups = {SERVERS_GROUP: {"hosts": [], "children": [], "vars": dict(spec.get("connection") or {})}}
    host_vars = {}
    secrets = spec.get("secrets") or {}
    secret_vars = {}
    for key, value in secrets.items():
        # The plugin writes the reference itself, so it marks it as a template Ansible may render.
        reference = value if is_vault_value(value) else trust_as_template("{{ %s }}" % value)
        for group, variable in SECRETS[key].items():
            secret_vars.setdefault(group, {})[variable] = reference
    all_vars.update(secret_vars.get("all", {}))
    # The vaulted variables the secrets name: the inventory guard checks each is defined before any change.
    all_vars["wandb_site_secret_references"] = {
        key: {"reference": value, "groups": sorted(group for group in SECRETS[key] if group != "all") or ["all"]}
        for key, value in secrets.items() if not is_vault_value(value)}
    component_hosts = {}
    for name in REQUIRED_COMPONENTS:
        hosts = component_hosts[name] = []
        for item in (components[name]["hosts"] if isinstance(components[name]["hosts"], list) else [components[name]["hosts"]]):
            hosts.extend(expand(item))
    all_vars.update(endpoint_vars(spec, component_hosts))
    minio_port = components["minio"].get("port", DEFAULT_PORTS["minio"])  # MinIO listens there, the proxy forwards there
    # The files on the controller the site file names: the inventory guard checks each exists, per host
    # (a path may hold {{ inventory_hostname }}), before any host is contacted, naming the site key.
    all_vars["wandb_site_controller_files"] = controller_files(spec)
    all_vars.update(spec.get("vars") or {})

    for name in REQUIRED_COMPONENTS:
        group = GROUPS[name]
        component = components[name]
        hosts = component_hosts[name]
        variables = dict(secret_vars.get(group, {}))
        if name == "minio":
            drives = []
            for item in (component["drives"] if isinstance(component["drives"], list) else [component["drives"]]):
                drives.extend(expand(item))
            variables["minio_drives"] = drives
            variables["minio_port"] = minio_port
        if name == "proxy":
            variables["nginx_proxy_cert_mode"] = component.get("certificate_mode", "files")
            # The object store the proxy balances over: every MinIO node (site data, not another group's facts).
            variables["nginx_proxy_minio_upstreams"] = ["%s:%s" % (host, minio_port) for host in component_hosts["minio"]]
        component_tls = {}
        if name in TLS_VARS and component.get("tls"):
            component_tls, site_tls = tls_vars(name, component["tls"])
            variables.update(component_tls)
            all_vars.update(site_tls)
        if component_tls:
            # The certificate must name what W&B connects to (checked on the controller by the role).
            variables["%s_tls_cert_names" % name] = [all_vars["wandb_%s_host" % name]]
        if name == "mysql":
            primary_vars, replica_vars = mysql_day2_vars(component)
            variables.update(primary_vars)
            replica_vars.update(component_tls)  # the standbys carry the same TLS (their own certificate each)
            replicas = expand_list(component["replicas"]) if component.get("replicas") else []
            groups[REPLICA_GROUP] = {"hosts": replicas, "children": [],
                                     "vars": dict(secret_vars.get(REPLICA_GROUP, {}), **replica_vars)}
            for host in replicas:
                host_vars.setdefault(host, {})
        groups[group] = {"hosts": hosts, "children": [], "vars": variables}
        groups[SERVERS_GROUP]["children"].append(group)
        if name == "mysql":
            groups[SERVERS_GROUP]["children"].append(REPLICA_GROUP)
        for host in hosts:
            host_vars.setdefault(host, {})

    kubernetes = components.get("kubernetes") or {}
    admin = kubernetes.get("admin_host", "localhost")
    operator_vars = dict(secret_vars.get(OPERATOR_GROUP, {}))
    for key, var in (("kubeconfig", "wandb_operator_kubeconfig"), ("context", "wandb_operator_context"),
                     ("ingress_class", "wandb_operator_ingress_class")):
        if key in kubernetes:
            operator_vars[var] = kubernetes[key]
    groups[OPERATOR_GROUP] = {"hosts": [admin], "children": [], "vars": operator_vars}
    if kubernetes.get("client_cidr"):
        # The only network the W&B MySQL user accepts connections from (the role drops its other accounts).
        for group in (GROUPS["mysql"], REPLICA_GROUP):
            groups[group]["vars"]["mysql_user_host"] = kubernetes["client_cidr"]
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
