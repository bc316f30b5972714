# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judging the W&B MySQL backups from what the backup tool reports (``onprem-wandb-mysql-backup status``).

Pure functions, unit-tested; onprem.wandb.mysql_backup_info runs the tool and returns these checks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failed, outcome, passed


def _age(now, then):
    """'3h 12m' for a number of seconds."""
    seconds = max(0, int(now) - int(then))
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    return "%dd %dh" % (hours // 24, hours % 24) if hours >= 48 else "%dh %dm" % (hours, minutes)


def _when(timestamp):
    """A UTC time stamp: stable between runs, so a report of unchanged backups does not change."""
    return datetime.datetime.fromtimestamp(int(timestamp), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _newest(now, items, limit_seconds, what):
    limit = "within %s" % _age(limit_seconds, 0)
    if not items:
        return failed("no %s in the repository" % what, expected=limit)
    newest = max(item["time"] for item in items)
    if now - newest > limit_seconds:
        return failed("the newest %s was made at %s, %s ago" % (what, _when(newest), _age(now, newest)),
                      expected=limit, found=_when(newest))
    return passed("the newest %s was made at %s" % (what, _when(newest)), expected=limit, found=_when(newest))


def backup_checks(status, max_age_hours=26, binlog_max_age_hours=3, check_max_age_days=8, keep=None):
    """Checks of one host's backups from the tool's status report."""
    now = int(status.get("now") or 0)
    checks = {}
    if not status.get("reachable"):
        reason = "the repository cannot be read: %s" % (status.get("error") or "unknown error")
        checks["repository"] = failed(reason)
        for name in ("last_dump", "last_binlogs", "retention", "last_check"):
            checks[name] = failed("not judged: " + reason)
        return checks
    checks["repository"] = passed("reachable, %d dumps and %d binary log snapshots" % (
        len(status.get("dumps") or []), len(status.get("binlogs") or [])))
    checks["last_dump"] = _newest(now, status.get("dumps") or [], int(max_age_hours) * 3600, "dump")
    checks["last_binlogs"] = _newest(now, status.get("binlogs") or [], int(binlog_max_age_hours) * 3600, "binary log snapshot")
    configured = " ".join(status.get("retention") or [])
    problems = []
    if keep is not None and configured != keep:
        problems.append("the tool keeps %r, the role was given %r" % (configured, keep))
    if status.get("retention_would_remove"):
        problems.append("%d snapshots are outside the retention (forget has not run since)" % status["retention_would_remove"])
    checks["retention"] = outcome(problems, configured, expected=keep, found=configured)
    last_check = (status.get("last_success") or {}).get("check")
    limit = "within %d days" % int(check_max_age_days)
    if not last_check:
        checks["last_check"] = failed("restic check has never succeeded on this host", expected=limit)
    elif now - last_check > int(check_max_age_days) * 86400:
        checks["last_check"] = failed("the last successful restic check was at %s, %s ago" % (_when(last_check), _age(now, last_check)),
                                      expected=limit, found=_when(last_check))
    else:
        checks["last_check"] = passed("the last successful restic check was at %s" % _when(last_check),
                                      expected=limit, found=_when(last_check))
    return checks
