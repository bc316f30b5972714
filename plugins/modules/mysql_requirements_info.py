#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_requirements_info
short_description: Check that a MySQL server meets W&B Server's requirements
version_added: 0.1.0
description:
  - Connects to a MySQL server and reports, without changing anything, the server flavour and
    version judged by W&B's version policy, every setting W&B requires with its actual and expected
    value, the W&B database's character set and collation, and the W&B user's grants.
  - W&B's requirements (settings, version policy, character set) come from the collection's one
    table, C(plugins/module_utils/wandb_requirements.py), with the vendor page each came from.
  - Fails (unless O(fail_on_failure=false)) when the server is MariaDB, a MySQL version W&B's
    policy refuses (or does not name, unless O(accept_unnamed_versions=true)), a required setting
    differs, or the database or grants are not what W&B needs; the message names every failure.
    A version W&B names but no longer patches (8.0.x) is a warning, not a failure.
  - Values are compared by meaning, so C(64M) equals C(67108864) and C(row) equals C(ROW).
author:
  - onprem.wandb maintainers (@onprem)
extends_documentation_fragment:
  - onprem.wandb.requirements_check
  - onprem.wandb.mysql_connection
options:
  database:
    description:
      - The W&B database whose character set and collation are checked.
    type: str
    default: wandb_local
  user:
    description:
      - The W&B database user whose grants are checked. Defaults to the connected user
        (C(SHOW GRANTS) for the current user needs no extra privilege).
    type: str
  user_host:
    description:
      - Host part of O(user).
    type: str
    default: '%'
  required_settings:
    description:
      - Settings to check instead of W&B's (binlog_format ROW, innodb_online_alter_log_max_size
        268435456, sync_binlog 1, innodb_flush_log_at_trx_commit 1, binlog_row_image MINIMAL,
        sort_buffer_size 67108864 or more, max_prepared_stmt_count 1048576). Values may use MySQL
        size suffixes.
    type: dict
  accept_unnamed_versions:
    description:
      - Accept a MySQL version W&B's requirements do not name (for example 9.x) as a warning
        instead of a failure. The role passes C(mysql_accept_unnamed_versions).
    type: bool
    default: false
  certificate_min_days:
    description:
      - With O(ca_cert) (TLS), the C(certificate) check fails when the server's certificate has fewer
        days left than this, naming the days left.
    type: int
    default: 14
attributes:
  check_mode:
    support: full
    description: The module never changes anything.
  idempotent:
    support: full
    description: Running it again gives the same result while the server is unchanged.
notes:
  - "W&B's policy (2026-12): MySQL 8.4.x passes; 8.0.32 or newer 8.0 warns (end of life since
    2026-04); other versions are not named; older than 8.0.32 and MariaDB fail."
seealso:
  - name: W&B self-managed requirements
    description: The vendor's current version table and MySQL settings.
    link: https://docs.wandb.ai/platform/hosting/self-managed/requirements
"""

EXAMPLES = r"""
- name: Check the W&B database server through the local socket
  onprem.wandb.mysql_requirements_info:
    login_unix_socket: /run/mysqld/mysqld.sock
    login_user: root
    database: wandb_local
    user: wandb_local

- name: Check it over TLS as the W&B user, collecting the result instead of failing
  onprem.wandb.mysql_requirements_info:
    login_host: mysql1.example.internal
    login_user: wandb_local
    login_password: "{{ vault_mysql_user_password }}"
    ca_cert: /etc/ssl/certs/site-ca.pem
    fail_on_failure: false
  delegate_to: localhost
  register: mysql_check
"""

RETURN = r"""
passed:
  description: Whether every requirement is met.
  returned: success
  type: bool
  sample: true
failures:
  description: One sentence per failed check (its reason), naming the value found and the value required.
  returned: always
  type: list
  elements: str
  sample: ["sort_buffer_size is 262144, W&B requires at least 67108864"]
warned:
  description: One sentence per check that warns (its reason).
  returned: always
  type: list
  elements: str
  sample: ["mysql 8.0.44: MySQL 8.0 is end of life since 2026-04; upgrade to 8.4"]
server:
  description: What the server says it is.
  returned: success
  type: dict
  contains:
    flavour:
      description: C(mysql), C(percona) or C(mariadb).
      type: str
      sample: mysql
    version:
      description: Numeric version.
      type: str
      sample: 8.4.3
    version_string:
      description: The server's C(@@version).
      type: str
      sample: 8.4.3
    version_comment:
      description: The server's C(@@version_comment).
      type: str
      sample: MySQL Community Server - GPL
checks:
  description: >-
    One result per check (C(connection), C(server), one per required setting, C(database),
    C(grants)): C(status) (passed, failed, warn, not_run), a one-line C(reason) and, where they
    exist, the C(expected) and C(found) values.
  returned: always
  type: dict
  sample:
    connection: {status: passed, reason: "wandb_local@mysql1.example.com:3306 over TLS"}
    certificate: {status: passed, reason: "80 days left (at least 14 required), CN=mysql1.example.com",
                  expected: at least 14 days, found: 80 days}
    server: {status: passed, reason: "mysql 8.4.3: 8.4.x is the release W&B tells sites to run",
             expected: "8.4.x (recommended), 8.0.x (end of life)", found: mysql 8.4.3}
    max_prepared_stmt_count: {status: failed, reason: "max_prepared_stmt_count is 16382, W&B requires 1048576",
                              expected: 1048576, found: "16382"}
settings:
  description: The value the server has for each required setting (as C(SHOW GLOBAL VARIABLES) gives it).
  returned: success
  type: dict
  sample: {sort_buffer_size: "67108864", max_prepared_stmt_count: "1048576"}
database:
  description: The W&B database's name, whether it exists, its character set and collation.
  returned: success
  type: dict
  sample:
    name: wandb_local
    exists: true
    charset: utf8mb4
    collation: utf8mb4_general_ci
    ok: true
grants:
  description: The W&B user's grants and whether they give ALL on the database WITH GRANT OPTION.
  returned: success
  type: dict
  sample:
    user: "'wandb_local'@'%'"
    lines: ["GRANT USAGE ON *.* TO `wandb_local`@`%`", "GRANT ALL PRIVILEGES ON `wandb_local`.* TO `wandb_local`@`%` WITH GRANT OPTION"]
    ok: true
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failures as failed_reasons
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import not_run, outcome, warnings
from ansible_collections.onprem.wandb.plugins.module_utils.mysql_connection import (
    HAS_PYMYSQL,
    PYMYSQL_IMPORT_ERROR,
    MySQLConnectError,
    describe_target,
    mysql_connect,
    mysql_connection_argument_spec,
    peer_certificate,
)
from ansible_collections.onprem.wandb.plugins.module_utils.mysql_requirements import (
    check_database,
    grants_cover_database,
    parse_server_version,
    server_check,
    settings_checks,
)
from ansible_collections.onprem.wandb.plugins.module_utils.tls_endpoint import HAS_CRYPTOGRAPHY, certificate_expiry_check
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import required_settings, version_text


def read_server(cursor, settings):
    """Version, version comment and the named global variables, in one round trip each."""
    cursor.execute("SELECT @@GLOBAL.version, @@GLOBAL.version_comment")
    version, comment = cursor.fetchone()
    cursor.execute("SHOW GLOBAL VARIABLES")
    variables = dict((name.lower(), value) for name, value in cursor.fetchall())
    return version, comment, dict((name, variables.get(name)) for name in settings)


def read_database(cursor, database):
    cursor.execute("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                   "WHERE SCHEMA_NAME = %s", (database,))
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (None, None)


def read_grants(cursor, user, host):
    if user:
        cursor.execute("SHOW GRANTS FOR %s@%s", (user, host))
    else:
        cursor.execute("SHOW GRANTS")
    return [row[0] for row in cursor.fetchall()]


def main():
    argument_spec = mysql_connection_argument_spec()
    argument_spec.update(
        database=dict(type="str", default="wandb_local"),
        user=dict(type="str"),
        user_host=dict(type="str", default="%"),
        required_settings=dict(type="dict"),
        accept_unnamed_versions=dict(type="bool", default=False),
        fail_on_failure=dict(type="bool", default=True),
        certificate_min_days=dict(type="int", default=14),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_PYMYSQL:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_IMPORT_ERROR, failures=[])

    params = module.params
    required = params["required_settings"] or required_settings()
    target = describe_target(params)
    try:
        connection = mysql_connect(params)
    except MySQLConnectError as exc:
        module.fail_json(msg=str(exc), failures=[str(exc)], passed=False, checks={"connection": outcome([str(exc)])})

    der = peer_certificate(connection)
    checks = {"connection": outcome([], target + (" over TLS" if der else ""))}
    if params["ca_cert"]:
        checks["certificate"] = (certificate_expiry_check(target, der, params["certificate_min_days"])
                                 if HAS_CRYPTOGRAPHY else not_run("the Python package cryptography is needed to read the certificate"))
    server = settings = None
    charset = collation = None
    grant_lines, grants_ok = [], False
    try:
        with connection.cursor() as cursor:
            version, comment, actual = read_server(cursor, required)
            server = parse_server_version(version, comment)
            checks["server"] = server_check(server, params["accept_unnamed_versions"])
            checks.update(settings_checks(actual, required))
            settings = dict((name, actual.get(name)) for name in sorted(required))
            charset, collation = read_database(cursor, params["database"])
            checks["database"] = outcome(check_database(params["database"], charset, collation),
                                         "%s (%s, %s)" % (params["database"], charset, collation))
            grant_failures = []
            try:
                grant_lines = read_grants(cursor, params["user"], params["user_host"])
                grants_ok = grants_cover_database(grant_lines, params["database"])
            except Exception as exc:  # pylint: disable=broad-except
                grant_failures.append("cannot read the grants of %s@%s: %s" % (params["user"], params["user_host"], exc))
            else:
                if not grants_ok:
                    grant_failures.append("%s@%s lacks ALL PRIVILEGES ON %s.* WITH GRANT OPTION (found: %s)" % (
                        params["user"] or "the connected user", params["user_host"], params["database"],
                        "; ".join(grant_lines) or "no grants"))
            checks["grants"] = outcome(grant_failures, "ALL PRIVILEGES ON %s.*" % params["database"])
    except Exception as exc:  # pylint: disable=broad-except
        checks["read"] = outcome(["reading %s failed: %s" % (target, exc)])
        module.fail_json(msg="reading %s failed: %s" % (target, exc), failures=failed_reasons(checks),
                         warned=warnings(checks), passed=False, checks=checks)
    finally:
        connection.close()

    failures = failed_reasons(checks)
    result = dict(
        changed=False,
        passed=not failures,
        failures=failures,
        warned=warnings(checks),
        checks=checks,
        server=dict(flavour=server["flavour"], version=version_text(server["version"]),
                    version_string=server["version_string"], version_comment=server["version_comment"]),
        settings=settings,
        database=dict(name=params["database"], exists=charset is not None, charset=charset,
                      collation=collation, ok=checks["database"]["status"] == "passed"),
        grants=dict(user="'%s'@'%s'" % (params["user"], params["user_host"]) if params["user"] else "current user",
                    lines=grant_lines, ok=grants_ok),
    )
    if failures and params["fail_on_failure"]:
        module.fail_json(msg="MySQL at %s does not meet W&B's requirements: %s" % (target, "; ".join(failures)),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
