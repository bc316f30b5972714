# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic behind the MySQL checks: how to read a server and compare its settings.

W&B's requirements themselves (settings, versions, character set) are in wandb_requirements.py.
Nothing here talks to a server, so unit tests call it directly. The module
onprem.wandb.mysql_requirements_info and the filter onprem.wandb.mysql_settings_diff use it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failed, passed
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import (
    REQUIREMENTS,
    judge_version,
    required_settings,
    version_text,
)

_MYSQL = REQUIREMENTS["mysql"]

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


def server_check(server, accept_unnamed=False):
    """The server check: W&B's version policy for its flavour and version."""
    if server["version"] is None and server["flavour"] != "mariadb":
        return failed("could not read a version from @@version %r" % server["version_string"])
    return judge_version("mysql", version_text(server["version"]) if server["version"] else server["version_string"],
                         server["flavour"], accept_unnamed=accept_unnamed)


def _at_least(name):
    return name in _MYSQL["settings_at_least"]


def setting_check(name, expected, actual):
    """One setting's check: passes when actual means expected (or more, for the settings that may be larger)."""
    if actual is None:
        return failed("%s is unset, W&B requires %s" % (name, expected), expected=expected, found=None)
    if _at_least(name) and parse_size(actual) is not None and parse_size(expected) is not None:
        ok = parse_size(actual) >= parse_size(expected)
        wanted = "at least %s" % expected
    else:
        ok = values_equal(expected, actual)
        wanted = str(expected)
    if ok:
        return passed(str(actual), expected=expected, found=actual)
    return failed("%s is %s, W&B requires %s" % (name, actual, wanted), expected=expected, found=actual)


def settings_checks(actual, required=None):
    """A check per required setting from the server's variables ({name: value})."""
    required = required_settings() if required is None else required
    lowered = dict((str(k).lower(), v) for k, v in (actual or {}).items())
    return dict((name, setting_check(name, expected, lowered.get(name))) for name, expected in sorted(required.items()))


def check_database(name, charset, collation):
    """Failures for the W&B database's existence, character set and collation."""
    if charset is None:
        return ["database %s does not exist" % name]
    failures = []
    if str(charset).lower() != _MYSQL["charset"]:
        failures.append("database %s has character set %s, W&B requires %s" % (name, charset, _MYSQL["charset"]))
    if str(collation).lower() != _MYSQL["collation"]:
        failures.append("database %s has collation %s, W&B requires %s" % (name, collation, _MYSQL["collation"]))
    return failures


def grants_cover_database(grants, database):
    """True when one of the SHOW GRANTS lines gives ALL PRIVILEGES on `database`.* WITH GRANT OPTION."""
    quoted = re.escape(database.replace("_", "\\_"))
    plain = re.escape(database)
    pattern = re.compile(
        r"^GRANT ALL PRIVILEGES ON `?(?:%s|%s)`?\.\* TO .* WITH GRANT OPTION\s*$" % (plain, quoted), re.IGNORECASE)
    return any(pattern.match(line.strip()) for line in grants)
