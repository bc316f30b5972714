#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_backup_info
short_description: Check the W&B MySQL backups in their off-host restic repository
version_added: 0.1.0
description:
  - Runs the backup tool the onprem.wandb.mysql_backup role installs (C(status)), which reads the
    restic repository with the host's root-only settings, and reports without changing anything
    whether the repository is reachable, the age of the newest dump and of the newest binary log
    snapshot against their limits, whether the retention the tool applies is the configured one and
    has been applied (a dry-run C(restic forget) would remove nothing), and when C(restic check)
    last succeeded.
  - Must run as root on the MySQL host (the repository's password and credentials are root-only).
author:
  - onprem.wandb maintainers (@onprem)
extends_documentation_fragment:
  - onprem.wandb.requirements_check
options:
  tool:
    description: Path of the backup tool.
    type: path
    default: /usr/local/sbin/onprem-wandb-mysql-backup
  max_age_hours:
    description: The newest dump must be younger than this.
    type: int
    default: 26
  binlog_max_age_hours:
    description: The newest binary log snapshot must be younger than this.
    type: int
    default: 3
  check_max_age_days:
    description: C(restic check) must have succeeded within this many days.
    type: int
    default: 8
  keep:
    description: The retention options the role configured (for example C(--keep-daily 7 --keep-weekly 4)); a different one fails.
    type: str
attributes:
  check_mode:
    support: full
    description: The module only reads (the tool's status runs C(restic forget --dry-run)).
  idempotent:
    support: full
    description: Running it again gives the same result while the backups are unchanged.
seealso:
  - name: restic forget
    description: How the retention policy is applied.
    link: https://restic.readthedocs.io/en/stable/060_forget.html
"""

EXAMPLES = r"""
- name: Check the backups
  onprem.wandb.mysql_backup_info:
    max_age_hours: 26
    keep: --keep-daily 7 --keep-weekly 4
    fail_on_failure: false
  become: true
  register: backups
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
  description: Check name (repository, last_dump, last_binlogs, retention, last_check) -> status, reason, expected, found.
  returned: always
  type: dict
  sample: {"last_dump": {"status": "passed", "reason": "the newest dump is 2h 3m old", "expected": "younger than 26h 0m", "found": "2h 3m"}}
status:
  description: The tool's status report (snapshot ids and times, last successes, retention).
  returned: when the tool ran
  type: dict
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failures as failed_reasons
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import outcome
from ansible_collections.onprem.wandb.plugins.module_utils.mysql_backup import backup_checks


def main():
    module = AnsibleModule(
        argument_spec=dict(
            tool=dict(type="path", default="/usr/local/sbin/onprem-wandb-mysql-backup"),
            max_age_hours=dict(type="int", default=26),
            binlog_max_age_hours=dict(type="int", default=3),
            check_max_age_days=dict(type="int", default=8),
            keep=dict(type="str"),
            fail_on_failure=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    rc, out, err = module.run_command([params["tool"], "status"])
    if rc != 0:
        reason = "%s status failed (exit %s): %s" % (params["tool"], rc, (err or out).strip()[-400:])
        checks = {"repository": outcome([reason])}
        module.fail_json(msg=reason, passed=False, failures=[reason], checks=checks)
    try:
        status = json.loads(out)
    except ValueError as exc:
        module.fail_json(msg="%s status printed no JSON: %s" % (params["tool"], exc), passed=False, failures=[str(exc)], checks={})
    checks = backup_checks(status, params["max_age_hours"], params["binlog_max_age_hours"], params["check_max_age_days"], params["keep"])
    failures = failed_reasons(checks)
    result = dict(changed=False, passed=not failures, failures=failures, checks=checks, status=status)
    if failures and params["fail_on_failure"]:
        module.fail_json(msg="The W&B MySQL backups: %s" % "; ".join(failures), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
