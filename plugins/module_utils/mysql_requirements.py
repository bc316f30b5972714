# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic behind the MySQL checks: W&B's required settings and how to compare them.

Nothing here talks to a server, so unit tests call it directly. The module
onprem.wandb.mysql_requirements_info and the filter onprem.wandb.mysql_settings_diff use it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import outcome

# Server settings W&B requires (vendor on-prem guide), with their exact values.
WANDB_REQUIRED_SETTINGS = {
    "binlog_format": "ROW",
    "innodb_online_alter_log_max_size": 268435456,
    "sync_binlog": 1,
    "innodb_flush_log_at_trx_commit": 1,
    "binlog_row_image": "MINIMAL",
    "sort_buffer_size": 67108864,
}
MINIMUM_VERSION = (8, 0, 28)
REQUIRED_CHARSET = "utf8mb4"
REQUIRED_COLLATION = "utf8mb4_general_ci"

_SIZE_SUFFIXES = {"K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([KMGTPE])(?:I?B)?\s*$", re.IGNORECASE)
_BOOLEANS = {"ON": 1, "TRUE": 1, "YES": 1, "OFF": 0, "FALSE": 0, "NO": 0}


def parse_size(value):
    """Return the integer a MySQL numeric option means ('64M' -> 67108864), or None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.match(r"^-?\d+$", text):
        return int(text)
    match = _SIZE_RE.match(text)
    if match:
        return int(match.group(1)) * 1024 ** _SIZE_SUFFIXES[match.group(2).upper()]
    return None


def normalize(value):
    """A canonical form for comparing an option value: integers for numbers, sizes and booleans,
    upper-case text otherwise ('row' and 'ROW' are the same binlog_format)."""
    number = parse_size(value)
    if number is not None:
        return number
    text = str(value).strip().strip("'\"")
    upper = text.upper()
    if upper in _BOOLEANS:
        return _BOOLEANS[upper]
    return upper


def values_equal(expected, actual):
    """True when an option's actual value means the expected one."""
    if actual is None:
        return False
    return normalize(expected) == normalize(actual)


def settings_diff(desired, actual):
    """Names of the options in `desired` whose `actual` value differs (missing counts as differing)."""
    lowered = dict((str(k).lower(), v) for k, v in (actual or {}).items())
    return sorted(name for name, value in desired.items()
                  if not values_equal(value, lowered.get(str(name).lower().replace("-", "_"))))


def parse_server_version(version, version_comment=""):
    """Flavour and numeric version of a server from @@version and @@version_comment.

    MariaDB announces itself in @@version ('10.11.6-MariaDB-0+deb12u1', or behind the
    '5.5.5-' prefix old clients need); Percona in @@version_comment.
    """
    text = str(version or "")
    comment = str(version_comment or "")
    flavour = "mysql"
    if "mariadb" in text.lower() or "mariadb" in comment.lower():
        flavour = "mariadb"
        text = re.sub(r"^5\.5\.5-", "", text)
    elif "percona" in comment.lower() or "percona" in text.lower():
        flavour = "percona"
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", text)
    numbers = tuple(int(part) for part in match.groups()) if match else None
    return {"flavour": flavour, "version": numbers, "version_string": str(version or ""),
            "version_comment": comment}


def version_text(numbers):
    """'8.0.28' from (8, 0, 28)."""
    return ".".join(str(part) for part in numbers) if numbers else "unknown"


def check_server(server):
    """Failures (strings) for a server that W&B cannot use: MariaDB, or MySQL older than 8.0.28."""
    failures = []
    if server["flavour"] == "mariadb":
        failures.append(
            "server is MariaDB %s, not MySQL: W&B supports only MySQL 8.0.28 or newer (Oracle MySQL or "
            "Percona); MariaDB differs in JSON, window-function and online-DDL behaviour W&B relies on"
            % server["version_string"])
    elif server["version"] is None:
        failures.append("could not read a version from @@version %r" % server["version_string"])
    elif server["version"] < MINIMUM_VERSION:
        failures.append("MySQL %s is older than W&B's minimum %s"
                        % (version_text(server["version"]), version_text(MINIMUM_VERSION)))
    return failures


def _setting_problem(name, judged):
    return "%s is %s, W&B requires %s" % (name, "unset" if judged["actual"] is None else judged["actual"],
                                          judged["expected"])


def check_settings(actual, required=None):
    """Per-setting report {name: {expected, actual, ok}} and failures for W&B's settings."""
    required = WANDB_REQUIRED_SETTINGS if required is None else required
    lowered = dict((str(k).lower(), v) for k, v in (actual or {}).items())
    report = {}
    failures = []
    for name, expected in sorted(required.items()):
        value = lowered.get(name)
        ok = values_equal(expected, value)
        report[name] = {"expected": expected, "actual": value, "ok": ok}
        if not ok:
            failures.append(_setting_problem(name, report[name]))
    return report, failures


def settings_checks(report):
    """Outcome per setting of a check_settings report, in the checklist vocabulary."""
    return dict((name, outcome([] if judged["ok"] else [_setting_problem(name, judged)], str(judged["actual"])))
                for name, judged in sorted(report.items()))


def check_database(name, charset, collation):
    """Failures for the W&B database's existence, character set and collation."""
    if charset is None:
        return ["database %s does not exist" % name]
    failures = []
    if str(charset).lower() != REQUIRED_CHARSET:
        failures.append("database %s has character set %s, W&B requires %s" % (name, charset, REQUIRED_CHARSET))
    if str(collation).lower() != REQUIRED_COLLATION:
        failures.append("database %s has collation %s, W&B requires %s" % (name, collation, REQUIRED_COLLATION))
    return failures


def grants_cover_database(grants, database):
    """True when one of the SHOW GRANTS lines gives ALL PRIVILEGES on `database`.* WITH GRANT OPTION."""
    quoted = re.escape(database.replace("_", "\\_"))
    plain = re.escape(database)
    pattern = re.compile(
        r"^GRANT ALL PRIVILEGES ON `?(?:%s|%s)`?\.\* TO .* WITH GRANT OPTION\s*$" % (plain, quoted), re.IGNORECASE)
    return any(pattern.match(line.strip()) for line in grants)
