# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""W&B Server's requirements of the infrastructure, in one place, with the vendor page each came from.

Everything that judges a component against W&B reads this module: the roles (through the lookup
onprem.wandb.wandb_requirements and the filter onprem.wandb.version_policy), the check modules,
the resource renderer and the tests. Changing a requirement is one edit here.

Versions are judged by a policy, not a single minimum. Each component lists version ranges with
the vendor's status:

- ``recommended``: the release the vendor tells sites to run (passes);
- ``accepted``: named by the vendor and supported (passes);
- ``end_of_life``: named by the vendor, but no longer patched (a warning with the reason);
- ``refused``: W&B does not run on it (fails);
- anything no range names is ``not_named``: it fails unless the site accepts unnamed versions
  explicitly (``<component>_accept_unnamed_versions``), then it is a warning that says so.

Kubernetes has one more rule: clusters older than the vendor's current minimum fail unless the
site names an earlier vendor minimum it follows (one the vendor really published, listed in
``earlier_minimums``); then they are a warning naming both.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failed, passed, warn

RECOMMENDED = "recommended"
ACCEPTED = "accepted"
END_OF_LIFE = "end_of_life"
REFUSED = "refused"
NOT_NAMED = "not_named"
VERSION_STATUSES = (RECOMMENDED, ACCEPTED, END_OF_LIFE, REFUSED, NOT_NAMED)

# The vendor pages the requirements come from, and when they were read.
SOURCES = {
    "requirements": {
        "title": "W&B Self-Managed infrastructure requirements",
        "url": "https://docs.wandb.ai/platform/hosting/self-managed/requirements",
        "read": "2026-12-02",
    },
    "bare_metal": {
        "title": "Deploy W&B Platform on-premises (bare metal)",
        "url": "https://docs.wandb.ai/guides/hosting/hosting-options/self-managed/bare-metal/",
        "read": "2025-06 (the copies kept with the project's seeds)",
    },
    "requirements_2025": {
        "title": "W&B Self-Managed infrastructure requirements (earlier revision)",
        "url": "https://docs.wandb.ai/platform/hosting/self-managed/requirements",
        "read": "2025-11 (the revision that named Kubernetes 1.32 and MySQL 8.0.32+)",
    },
    "airgapped": {
        "title": "Deploy W&B in an air-gapped environment with the Kubernetes operator",
        "url": "https://docs.wandb.ai/guides/hosting/self-managed/operator-airgapped/",
        "read": "2025-06 (the copies kept with the project's seeds)",
    },
}

REQUIREMENTS = {
    "mysql": {
        "name": "MySQL",
        "source": "requirements",
        "accept_unnamed_variable": "mysql_accept_unnamed_versions",
        # Server flavours that are MySQL (read from @@version / @@version_comment).
        "flavours": ["mysql", "percona"],
        "refused_flavours": {
            "mariadb": "MariaDB is not MySQL: it differs in the JSON, window-function and online-DDL behaviour W&B "
                       "relies on",
        },
        # First matching range wins; bounds are inclusive 'from', exclusive 'below'. Below the oldest
        # range is refused; between or above the ranges is not named.
        "versions": [
            {"from": "8.4", "below": "8.5", "status": RECOMMENDED,
             "reason": "8.4.x is the release W&B tells sites to run"},
            {"from": "8.0.32", "below": "8.1", "status": END_OF_LIFE,
             "reason": "MySQL 8.0 is end of life since 2026-04; upgrade to 8.4"},
        ],
        # Server settings W&B requires, with their exact values. sort_buffer_size may be larger.
        "settings": {
            "binlog_format": "ROW",
            "innodb_online_alter_log_max_size": 268435456,
            "sync_binlog": 1,
            "innodb_flush_log_at_trx_commit": 1,
            "binlog_row_image": "MINIMAL",
            "sort_buffer_size": 67108864,
            "max_prepared_stmt_count": 1048576,
        },
        "settings_at_least": ["sort_buffer_size"],
        "settings_source": {"max_prepared_stmt_count": "requirements", "default": "bare_metal"},
        "charset": "utf8mb4",
        "collation": "utf8mb4_general_ci",
    },
    "redis": {
        "name": "Redis",
        "source": "requirements",
        "accept_unnamed_variable": "redis_accept_unnamed_versions",
        "flavours": ["redis"],
        # Forks that answer the Redis protocol but that W&B does not name.
        "unnamed_flavours": ["valkey"],
        "refused_flavours": {},
        "versions": [
            {"from": "7", "below": "8", "status": RECOMMENDED, "reason": "W&B runs on Redis 7.x"},
        ],
        # W&B uses one Redis node, not a cluster or Sentinel.
        "mode": "standalone",
    },
    "kubernetes": {
        "name": "Kubernetes",
        "source": "requirements",
        "override_variable": "wandb_operator_kubernetes_follows",
        "versions": [
            {"from": "1.34", "status": ACCEPTED, "reason": "W&B supports Kubernetes 1.34 or newer"},
        ],
        # Minimums the vendor published before the current one: a site may follow one of them
        # explicitly (a warning); anything older fails.
        "earlier_minimums": {"1.32": "requirements_2025", "1.29": "bare_metal", "1.28": "airgapped"},
    },
    "object_store": {
        "name": "Object store",
        "source": "requirements",
        # What browsers need from the bucket for presigned uploads and downloads.
        "cors_methods": ["GET", "HEAD", "PUT"],
        "cors_allowed_headers": "*",
        "cors_expose_headers": ["ETag"],
        "cors_max_age": 3000,
        # For S3-compatible stores: no KMS key, and a region must be given.
        "region_required": True,
    },
}


def requirements(component=None):
    """A copy of the whole table, or of one component's requirements (KeyError naming the components)."""
    if component is None:
        return copy.deepcopy(REQUIREMENTS)
    if component not in REQUIREMENTS:
        raise KeyError("no W&B requirements for %r; known: %s" % (component, ", ".join(sorted(REQUIREMENTS))))
    return copy.deepcopy(REQUIREMENTS[component])


def source_text(key):
    """'<title> (<url>, read <date>)' for a source key."""
    source = SOURCES[key]
    return "%s (%s, read %s)" % (source["title"], source["url"], source["read"])


def parse_version(text):
    """(8, 4, 3) from '8.4.3', 'v1.36.0', '8.4.3-0ubuntu1', '1:8.4.3-1debian12' or '7'; None if none."""
    match = re.search(r"(?:^|[^0-9.])v?(\d+(?:\.\d+){0,2})", ":" + str(text or "").rsplit(":", maxsplit=1)[-1])
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def version_text(numbers):
    """'8.0.32' from (8, 0, 32)."""
    return ".".join(str(part) for part in numbers) if numbers else "unknown"


def _padded(numbers):
    return tuple(numbers[:3]) + (0,) * (3 - len(numbers[:3]))


def _within(version, rule):
    low = _padded(parse_version(rule["from"])) if "from" in rule else None
    high = _padded(parse_version(rule["below"])) if "below" in rule else None
    return (low is None or version >= low) and (high is None or version < high)


def classify(component, version):
    """(status, reason) of a version by the component's table; (not_named, ...) when no range names it."""
    table = REQUIREMENTS[component]
    numbers = parse_version(version) if not isinstance(version, tuple) else version
    if numbers is None:
        return REFUSED, "no version could be read from %r" % (version,)
    numbers = _padded(tuple(numbers))
    for rule in table["versions"]:
        if _within(numbers, rule):
            return rule["status"], rule["reason"]
    oldest = minimum(component)
    if numbers < _padded(parse_version(oldest)):
        shown = version_text(parse_version(oldest) + (0,) * (2 - len(parse_version(oldest))))
        return REFUSED, "older than %s, the oldest release W&B names" % shown
    return NOT_NAMED, "not named by W&B"


def minimum(component):
    """The oldest version a component's table names ('8.0.32', '1.34')."""
    return min((rule["from"] for rule in REQUIREMENTS[component]["versions"]),
               key=lambda text: _padded(parse_version(text)))


def named_versions(component):
    """What a component's table accepts, for messages: '8.4.x (recommended), 8.0.32 to below 8.1 (end of life)'."""
    parts = []
    for rule in REQUIREMENTS[component]["versions"]:
        if "from" in rule and "below" in rule:
            low, high = parse_version(rule["from"]), parse_version(rule["below"])
            if len(low) == len(high) and low[:-1] == high[:-1] and high[-1] == low[-1] + 1:
                span = "%s.x" % rule["from"]
            elif len(low) == 3 and len(high) == 2 and high == (low[0], low[1] + 1):
                span = "%d.%d.x from %s" % (low[0], low[1], rule["from"])
            else:
                span = "%s to below %s" % (rule["from"], rule["below"])
        else:
            span = "%s or newer" % rule["from"]
        parts.append("%s (%s)" % (span, rule["status"].replace("_", " ")))
    return ", ".join(parts)


def judge_version(component, version, flavour=None, accept_unnamed=False, follows=None):
    """A check result (checklist.result) for a component's version under W&B's policy.

    flavour: the server kind (mysql, percona, mariadb, redis, valkey); accept_unnamed: the site
    accepts versions W&B does not name (a warning instead of a failure); follows: for Kubernetes,
    an earlier vendor minimum the site follows explicitly.
    """
    table = REQUIREMENTS[component]
    name = table["name"]
    expected = named_versions(component)
    found = "%s %s" % (flavour or component, version_text(parse_version(version)) if version else "unknown")
    variable = table.get("accept_unnamed_variable")
    flavour = (flavour or "").lower() or None
    if flavour in table.get("refused_flavours", {}):
        return failed("%s: %s. W&B accepts %s %s" % (found, table["refused_flavours"][flavour], name, expected),
                      expected=expected, found=found)
    if flavour and flavour in table.get("unnamed_flavours", []):
        status, reason = NOT_NAMED, "%s is not named by W&B (W&B names %s %s)" % (flavour, name, expected)
    else:
        status, reason = classify(component, version)
        if status == NOT_NAMED:
            reason = "%s %s is not named by W&B (W&B names %s)" % (name, version_text(parse_version(version)), expected)
    if status in (RECOMMENDED, ACCEPTED):
        return passed("%s: %s" % (found, reason), expected=expected, found=found)
    if status == END_OF_LIFE:
        return warn("%s: %s" % (found, reason), expected=expected, found=found)
    if status == NOT_NAMED:
        if accept_unnamed:
            return warn("%s; accepted by %s" % (reason, variable), expected=expected, found=found)
        return failed("%s; set %s: true to run it anyway" % (reason, variable), expected=expected, found=found)
    if component == "kubernetes" and follows:
        return _judge_kubernetes_override(version, follows, found, expected)
    return failed("%s: %s (W&B accepts %s)" % (found, reason if status == REFUSED else status, expected),
                  expected=expected, found=found)


def earlier_minimum_problems(follows):
    """Why a site's 'follows' value for Kubernetes is not an earlier minimum the vendor published."""
    table = REQUIREMENTS["kubernetes"]
    if follows in (None, ""):
        return []
    if str(follows) not in table["earlier_minimums"]:
        return ["%s is %r: it must name an earlier Kubernetes minimum W&B published (%s), or be empty to follow "
                "the current %s" % (table["override_variable"], follows,
                                    ", ".join(sorted(table["earlier_minimums"], key=parse_version)),
                                    minimum("kubernetes"))]
    return []


def _judge_kubernetes_override(version, follows, found, expected):
    table = REQUIREMENTS["kubernetes"]
    problems = earlier_minimum_problems(follows)
    if problems:
        return failed(problems[0], expected=expected, found=found)
    source = source_text(table["earlier_minimums"][str(follows)])
    numbers = parse_version(version)
    if numbers is not None and numbers[:2] >= parse_version(follows)[:2]:
        return warn("%s is older than W&B's current minimum %s; accepted because %s follows the earlier minimum "
                    "%s of %s" % (found, minimum("kubernetes"), table["override_variable"], follows, source),
                    expected=expected, found=found)
    return failed("%s is older than %s, the earlier minimum %s follows, and than W&B's current %s"
                  % (found, follows, table["override_variable"], minimum("kubernetes")),
                  expected=expected, found=found)


def required_settings(sort_buffer_size=None):
    """W&B's MySQL settings, with the site's larger sort buffer when it sets one."""
    settings = dict(REQUIREMENTS["mysql"]["settings"])
    if sort_buffer_size is not None:
        settings["sort_buffer_size"] = int(sort_buffer_size)
    return settings
