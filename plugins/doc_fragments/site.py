# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The site file's schema: every key at every depth, its type, whether it is required, its choices.

    This is the one schema of the site file. ansible-doc shows it for the onprem.wandb.site inventory
    plugin, and plugin_utils/site_schema.py reads the same text to validate a site file (strict YAML
    types, unknown keys refused at every depth); the formats and ranges the argument-spec vocabulary
    cannot say (URLs, host[:port], S3 bucket names, CIDRs, calendars) are one table in site_schema.py,
    keyed by these paths, and each key's description names its format.
    """

    DOCUMENTATION = r"""
options:
  plugin:
    description: Marks the file for the onprem.wandb.site inventory plugin.
    required: true
    type: str
    choices: [onprem.wandb.site]
  site:
    description:
      - The site's short name, 1-63 lower-case letters, digits and C(-), starting and ending with a letter or digit.
        It names the verify report.
    required: true
    type: str
  domain:
    description:
      - The site's DNS domain (C(example.com)); W&B's URL defaults to C(https://wandb.<domain>), the object
        store's to C(https://s3.<domain>).
    required: true
    type: str
  url:
    description:
      - The base URL users open W&B at, C(https://) with a host name and an optional port 1-65535, no path,
        no user name or password. Default C(https://wandb.<domain>).
    type: str
  endpoints:
    description: The addresses W&B, its users and Kubernetes reach. Every key is optional.
    type: dict
    suboptions:
      object_store:
        description:
          - The object store's base URL W&B and browsers use, with its scheme (C(https://) or, with
            O(endpoints.object_store_served_by=external), C(http://)), a host name, an optional port 1-65535,
            no path and no credentials. Default C(https://s3.<domain>).
        type: str
      object_store_served_by:
        description:
          - C(proxy) the proxy hosts serve it, balanced over every MinIO node; C(external) the site's own
            load balancer serves it and the roles only check it.
        type: str
        choices: [proxy, external]
        default: proxy
      accept_insecure_object_store:
        description: Accept an C(http://) object store behind an C(https://) W&B (browsers then refuse uploads).
        type: bool
        default: false
      bucket:
        description:
          - W&B's bucket, an S3 bucket name by the S3 rules (3-63 lower-case letters, digits, C(.) and C(-),
            starting and ending with a letter or digit, no C(..), not an IPv4 address, not starting with
            C(xn--), C(sthree-) or C(amzn-s3-demo-), not ending with C(-s3alias) or C(--ol-s3)).
        type: str
        default: wandb
      mysql:
        description: C(host[:port]) (port 1-65535) Kubernetes reaches MySQL at. Default the primary's name, port 3306.
        type: str
      redis:
        description: C(host[:port]) (port 1-65535) Kubernetes reaches Redis at. Default the Redis host's name, port 6379.
        type: str
      ca_bundle:
        description: Absolute path of a PEM file on the controller with the CA(s) W&B and the checks trust for these endpoints.
        type: str
  components:
    description: The hosts of each component.
    required: true
    type: dict
    suboptions:
      mysql:
        description: The MySQL primary, its standbys, backups and TLS.
        required: true
        type: dict
        suboptions:
          hosts:
            description:
              - The one MySQL primary. Hosts are RFC 1123 names or IPv4 addresses (never C(localhost) or a
                loopback address), compared case-insensitively, or ranges such as C(db[1:2]).
            required: true
            type: list
            elements: str
          replicas:
            description: Hot standbys (cloned from the primary, then replicating), each a host of its own.
            type: list
            elements: str
          backup:
            description: Daily encrypted restic backups to another facility.
            type: dict
            suboptions:
              repository:
                description:
                  - The restic repository on another host, over TLS and without credentials in it
                    (C(s3:https://HOST/bucket/path), C(rest:https://HOST/path), C(sftp:user@HOST:/path)); the
                    credentials are the vaulted C(secrets.mysql_backup_repository_env).
                required: true
                type: str
              ca_bundle:
                description: Absolute path of a PEM file on the controller with the CA that signs the backup target's certificate.
                type: str
              keep_daily:
                description: Daily snapshots kept, 7 to 3650.
                type: int
                default: 7
              keep_weekly:
                description: Weekly snapshots kept, 0 to 520.
                type: int
                default: 4
              keep_monthly:
                description: Monthly snapshots kept, 0 to 1200.
                type: int
                default: 0
              schedule:
                description: When the daily dump runs, a systemd calendar expression (C(daily), C(*-*-* 02:30:00), C(Mon..Fri 03:00)).
                type: str
                default: daily
          tls:
            description: The servers' certificates from the site's PKI; MySQL then refuses clients without TLS.
            type: dict
            suboptions:
              certificate:
                description: Absolute path on the controller of the host's PEM certificate (C({{ inventory_hostname }}) in it gives each host its own).
                required: true
                type: str
              key:
                description: Absolute path on the controller of its PEM private key (a path, never the key itself).
                required: true
                type: str
              ca:
                description: Absolute path on the controller of the PEM CA that signs it.
                required: true
                type: str
              require:
                description: Refuse connections without TLS (C(require_secure_transport)).
                type: bool
                default: true
      minio:
        description: The distributed MinIO pool.
        required: true
        type: dict
        suboptions:
          hosts:
            description: The MinIO nodes (names or ranges, as for O(components.mysql.hosts)); MinIO's erasure-set rules apply.
            required: true
            type: list
            elements: str
          drives:
            description:
              - Absolute, normalised paths of each node's drive mount points (ranges such as C(/srv/minio/disk[1:2])),
                none inside another.
            required: true
            type: list
            elements: str
          port:
            description: The S3 API port of every node (1-65535); the proxy's upstreams use it.
            type: int
            default: 9000
      redis:
        description: The Redis server.
        required: true
        type: dict
        suboptions:
          hosts:
            description: The one Redis host.
            required: true
            type: list
            elements: str
          tls:
            description: TLS only on the Redis port, as O(components.mysql.tls) (without C(require)).
            type: dict
            suboptions:
              certificate:
                description: Absolute path on the controller of the host's PEM certificate.
                required: true
                type: str
              key:
                description: Absolute path on the controller of its PEM private key.
                required: true
                type: str
              ca:
                description: Absolute path on the controller of the PEM CA that signs it.
                required: true
                type: str
      proxy:
        description: The nginx proxies that terminate TLS for W&B and the object store.
        required: true
        type: dict
        suboptions:
          hosts:
            description: The proxy hosts.
            required: true
            type: list
            elements: str
          certificate_mode:
            description: Where the proxy's certificates come from.
            type: str
            choices: [files, acme, internal_ca]
            default: files
      kubernetes:
        description: Where helm runs and how it reaches the cluster.
        type: dict
        suboptions:
          admin_host:
            description: The one host that runs helm and talks to the Kubernetes API (a host name, or C(localhost) for the controller).
            type: str
            default: localhost
          kubeconfig:
            description: The kubeconfig's path on the admin host.
            type: str
          context:
            description: The kubeconfig context.
            type: str
          ingress_class:
            description: The cluster's ingress class for W&B.
            type: str
          client_cidr:
            description:
              - The IPv4 network W&B's pods reach MySQL from (the nodes' network when pod traffic is NATed), as
                C(address/prefix) without host bits, neither C(/0) nor loopback; the W&B MySQL user then
                accepts connections only from it.
            type: str
  connection:
    description: Ansible connection variables for every server (C(ansible_user), C(ansible_connection), ...); only C(ansible_*) names Ansible knows.
    type: dict
  secrets:
    description:
      - Role variable -> the name of the vaulted variable holding it (C(vault_<name>)) or an C(!vault) value.
        The vaulted variables live in the site's C(group_vars/all/vault.yml) beside the site file.
    required: true
    type: dict
    suboptions:
      wandb_license:
        description: W&B's licence.
        required: true
        type: raw
      mysql_user_password:
        description: The W&B MySQL user's password.
        required: true
        type: raw
      minio_root_user:
        description: MinIO's root user.
        required: true
        type: raw
      minio_root_password:
        description: MinIO's root password.
        required: true
        type: raw
      minio_wandb_secret_key:
        description: The secret key of W&B's least-privilege MinIO access key.
        required: true
        type: raw
      redis_password:
        description: Redis' password.
        required: true
        type: raw
      mysql_replication_password:
        description: The replication user's password (required with O(components.mysql.replicas)).
        type: raw
      mysql_backup_password:
        description: The backup repository's encryption password (required with O(components.mysql.backup)).
        type: raw
      mysql_backup_repository_env:
        description: A vaulted mapping of the backup target's credentials (required with an C(s3:) or C(rest:) repository).
        type: raw
  vars:
    description:
      - Site-wide overrides of the collection's role variables (every host), checked against the roles' argument
        specs. Variables a site key or O(secrets) owns are refused here; set the key. A helper variable the
        site file's own templates use (C({{ lab_dir }})) is allowed.
    type: dict
  group_vars:
    description: Overrides per group (the collection's groups only), with the same rules as O(vars).
    type: dict
  host_vars:
    description: Overrides per host of the site, with the same rules as O(vars).
    type: dict
"""
