#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_replication_info
short_description: Check a MySQL hot standby (replica) of the W&B database
version_added: 0.1.0
description:
  - Connects to a MySQL replica and reports, without changing anything, whether it replicates from
    the declared source with GTID auto-positioning, whether both replication threads run, its lag
    against a limit, whether it has applied every transaction it received, and whether it refuses
    writes (C(super_read_only)) with GTIDs on.
  - Also says whether the replica may be promoted now (RV(promotable), RV(refusals)); the
    onprem.wandb.mysql_promote playbook acts on that.
  - Needs the C(REPLICATION CLIENT) privilege (or root through the socket, as the role does).
author:
  - onprem.wandb maintainers (@onprem)
extends_documentation_fragment:
  - onprem.wandb.mysql_connection
  - onprem.wandb.requirements_check
options:
  source_host:
    description: The source the site declares for this replica; a different one fails the C(replication_source) check.
    type: str
  source_port:
    description: The source's declared port.
    type: int
  max_lag:
    description: Largest lag (C(Seconds_Behind_Source)) that passes, and that a promotion accepts while the source is up.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: The module never changes anything.
  idempotent:
    support: full
    description: Running it again gives the same result while replication is unchanged.
seealso:
  - name: MySQL SHOW REPLICA STATUS
    description: The fields the checks read.
    link: https://dev.mysql.com/doc/refman/8.4/en/show-replica-status.html
"""

EXAMPLES = r"""
- name: Check the standby through its socket
  onprem.wandb.mysql_replication_info:
    login_unix_socket: /run/mysqld/mysqld.sock
    login_user: root
    source_host: mysql1.example.com
    source_port: 3306
    max_lag: 60
    fail_on_failure: false
  register: replica
"""

RETURN = r"""
passed:
  description: Whether every check passed.
  returned: always
  type: bool
failures:
  description: Reasons of the failed checks.
  returned: always
  type: list
  elements: str
checks:
  description: Check name -> status (passed, failed, warn, not_run), reason, expected, found.
  returned: always
  type: dict
  sample: {"replication_threads": {"status": "passed", "reason": "receiving and applying", "expected": "Yes/Yes", "found": "Yes/Yes"}}
replication:
  description: What the replica reported.
  returned: success
  type: dict
  contains:
    configured: {description: Whether replication is configured., type: bool, returned: success}
    source_host: {description: Source_Host., type: str, returned: success}
    source_port: {description: Source_Port., type: int, returned: success}
    io_running: {description: Replica_IO_Running., type: str, returned: success}
    sql_running: {description: Replica_SQL_Running., type: str, returned: success}
    lag: {description: Seconds_Behind_Source (null when unknown)., type: int, returned: success}
    retrieved_gtid_set: {description: Retrieved_Gtid_Set., type: str, returned: success}
    executed_gtid_set: {description: gtid_executed., type: str, returned: success}
    all_applied: {description: Whether every received transaction is applied., type: bool, returned: success}
    super_read_only: {description: The super_read_only value., type: str, returned: success}
promotable:
  description: Whether a promotion may go ahead now (see RV(refusals)).
  returned: success
  type: bool
refusals:
  description: Why a promotion must not go ahead now.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failures as failed_reasons
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import outcome
from ansible_collections.onprem.wandb.plugins.module_utils.mysql_connection import (
    HAS_PYMYSQL,
    PYMYSQL_IMPORT_ERROR,
    MySQLConnectError,
    describe_target,
    mysql_connect,
    mysql_connection_argument_spec,
)
from ansible_collections.onprem.wandb.plugins.module_utils.mysql_replication import promotion_refusals, replication_checks


def read_replica(cursor):
    cursor.execute("SHOW REPLICA STATUS")
    row = cursor.fetchone()
    status = dict(zip([column[0] for column in cursor.description], row)) if row else {}
    cursor.execute("SELECT @@GLOBAL.super_read_only, @@GLOBAL.read_only, @@GLOBAL.gtid_mode, @@GLOBAL.gtid_executed")
    super_ro, read_only, gtid_mode, executed = cursor.fetchone()
    variables = dict(super_read_only="ON" if str(super_ro) == "1" else "OFF",
                     read_only="ON" if str(read_only) == "1" else "OFF", gtid_mode=gtid_mode)
    all_applied = True
    if status.get("Retrieved_Gtid_Set"):
        cursor.execute("SELECT GTID_SUBSET(%s, @@GLOBAL.gtid_executed)", (status["Retrieved_Gtid_Set"],))
        all_applied = str(cursor.fetchone()[0]) == "1"
    return status, variables, executed, all_applied


def main():
    argument_spec = mysql_connection_argument_spec()
    argument_spec.update(
        source_host=dict(type="str"),
        source_port=dict(type="int"),
        max_lag=dict(type="int", default=60),
        fail_on_failure=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_PYMYSQL:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_IMPORT_ERROR, failures=[])
    params = module.params
    target = describe_target(params)
    try:
        connection = mysql_connect(params)
    except MySQLConnectError as exc:
        module.fail_json(msg=str(exc), failures=[str(exc)], passed=False, checks={"connection": outcome([str(exc)])})
    try:
        with connection.cursor() as cursor:
            status, variables, executed, all_applied = read_replica(cursor)
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg="reading %s failed: %s" % (target, exc), failures=["reading %s failed: %s" % (target, exc)],
                         passed=False, checks={"read": outcome(["reading %s failed: %s" % (target, exc)])})
    finally:
        connection.close()

    checks = dict(connection=outcome([], target))
    checks.update(replication_checks(status, variables, params["source_host"], params["source_port"],
                                     params["max_lag"], all_applied))
    refusals = promotion_refusals(status, all_applied, params["max_lag"])
    failures = failed_reasons(checks)
    lag = status.get("Seconds_Behind_Source")
    result = dict(
        changed=False, passed=not failures, failures=failures, checks=checks,
        replication=dict(configured=bool(status), source_host=status.get("Source_Host"), source_port=status.get("Source_Port"),
                         io_running=status.get("Replica_IO_Running"), sql_running=status.get("Replica_SQL_Running"),
                         lag=int(lag) if lag is not None else None, retrieved_gtid_set=status.get("Retrieved_Gtid_Set"),
                         executed_gtid_set=executed, all_applied=all_applied, super_read_only=variables["super_read_only"]),
        promotable=not refusals, refusals=refusals,
    )
    if failures and params["fail_on_failure"]:
        module.fail_json(msg="The MySQL replica at %s: %s" % (target, "; ".join(failures)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
