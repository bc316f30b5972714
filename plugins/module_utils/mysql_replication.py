# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judging a MySQL replica from what it reports (SHOW REPLICA STATUS and a few variables).

Pure functions, so the rules are unit-tested; onprem.wandb.mysql_replication_info reads the server
and the promotion playbook acts on the same judgement.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failed, outcome, passed


def _lag(status):
    value = status.get("Seconds_Behind_Source")
    if value in (None, "", "NULL"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def replication_checks(status, variables, source_host=None, source_port=None, max_lag=60, all_applied=True):
    """Checks of one replica.

    status: SHOW REPLICA STATUS as a dict (empty when replication is not configured);
    variables: super_read_only, read_only, gtid_mode; all_applied: whether every transaction the
    replica received is applied (GTID_SUBSET(Retrieved_Gtid_Set, gtid_executed)).
    """
    checks = {}
    if not status:
        reason = "replication is not configured on this server (SHOW REPLICA STATUS is empty)"
        for name in ("replication_source", "replication_threads", "replication_lag"):
            checks[name] = failed(reason)
    else:
        found = "%s:%s" % (status.get("Source_Host"), status.get("Source_Port"))
        problems = []
        if source_host and status.get("Source_Host") != source_host:
            problems.append("replicates from %s, the site declares %s" % (status.get("Source_Host"), source_host))
        if source_port and str(status.get("Source_Port")) != str(source_port):
            problems.append("source port %s, the site declares %s" % (status.get("Source_Port"), source_port))
        if str(status.get("Auto_Position")) != "1":
            problems.append("GTID auto-positioning is off")
        expected = "%s:%s" % (source_host, source_port) if source_host else None
        checks["replication_source"] = outcome(problems, found, expected=expected, found=found)

        io_state, sql_state = status.get("Replica_IO_Running"), status.get("Replica_SQL_Running")
        problems = []
        if io_state != "Yes":
            problems.append("the receiver (IO) thread is %s%s" % (
                io_state, ": " + status["Last_IO_Error"] if status.get("Last_IO_Error") else ""))
        if sql_state != "Yes":
            problems.append("the applier (SQL) thread is %s%s" % (
                sql_state, ": " + status["Last_SQL_Error"] if status.get("Last_SQL_Error") else ""))
        checks["replication_threads"] = outcome(problems, "receiving and applying", expected="Yes/Yes",
                                                found="%s/%s" % (io_state, sql_state))

        lag = _lag(status)
        if lag is None:
            checks["replication_lag"] = failed("the lag is unknown (Seconds_Behind_Source is NULL: replication is not running)",
                                               expected="<= %ss" % max_lag)
        elif lag > max_lag or not all_applied:
            checks["replication_lag"] = failed(
                "%ss behind the source%s" % (lag, "; received transactions are not all applied" if not all_applied else ""),
                expected="<= %ss" % max_lag, found="%ss" % lag)
        else:
            # No number in a pass: the report of a healthy standby stays the same from run to run (the module
            # returns the lag itself).
            checks["replication_lag"] = passed("every received transaction applied, within the limit", expected="<= %ss" % max_lag)

    read_only = str(variables.get("super_read_only", "")).upper() in ("1", "ON")
    checks["read_only"] = outcome([] if read_only else ["super_read_only is %s: the standby accepts writes" % variables.get("super_read_only")],
                                  "super_read_only ON", expected="ON", found="ON" if read_only else "OFF")
    gtid = str(variables.get("gtid_mode", "")).upper()
    checks["gtid_mode"] = outcome([] if gtid == "ON" else ["gtid_mode is %s" % gtid], "gtid_mode ON", expected="ON", found=gtid)
    return checks


def promotion_refusals(status, all_applied, source_reachable_lag_limit=None):
    """Reasons a replica must not be promoted now (empty: it may be).

    A replica may be promoted when it has applied everything it received. When its receiver still
    talks to a live source, its lag must also be within source_reachable_lag_limit seconds: promoting
    a replica that is behind a live primary loses the writes in between.
    """
    if not status:
        return ["replication is not configured here: this server is not a replica (already promoted?)"]
    refusals = []
    if not all_applied:
        refusals.append("it has received transactions it has not applied yet (Retrieved_Gtid_Set %s is not in gtid_executed); "
                        "wait until the applier catches up" % (status.get("Retrieved_Gtid_Set") or "?"))
    if status.get("Replica_SQL_Running") != "Yes" and status.get("Last_SQL_Error"):
        refusals.append("its applier stopped on an error: %s" % status["Last_SQL_Error"])
    lag = _lag(status)
    if status.get("Replica_IO_Running") == "Yes" and source_reachable_lag_limit is not None and lag is not None \
            and lag > source_reachable_lag_limit:
        refusals.append("it is %ss behind a source that is still up (limit %ss)" % (lag, source_reachable_lag_limit))
    return refusals
