# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Distributed MinIO topology: the rules MinIO applies to its endpoints, checked before any host
changes, and the MINIO_VOLUMES value every node must share.

MinIO (cmd/endpoint-ellipses.go) takes the total drive count, looks for an erasure-set size in
2..16 that divides it and is symmetric with the number of hosts (the set size divides the host
count or the other way round), and refuses to start otherwise; it also wants every host to bring
the same number of drives. These functions say which rule a topology breaks, in words an operator
can act on, instead of a MinIO that loops on "Waiting for a minimum of N drives".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ERASURE_SET_SIZES = tuple(range(2, 17))
MIN_TOTAL_DRIVES = 4
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)(\D*)$")


def node_pairs(nodes):
    """[{'name': ..., 'drives': [...]}] (as the role passes them) -> [(name, [drives])]."""
    pairs = []
    for node in nodes:
        if not isinstance(node, dict) or "name" not in node or not isinstance(node.get("drives"), list):
            raise ValueError("each MinIO node must be a dict with name and a list of drives, got %r" % (node,))
        pairs.append((str(node["name"]), [str(drive) for drive in node["drives"]]))
    return pairs


def erasure_set_sizes(node_count, drives_per_node):
    """Erasure-set sizes MinIO accepts for this many hosts with this many drives each."""
    total = node_count * drives_per_node
    sizes = []
    for size in ERASURE_SET_SIZES:
        if total % size:
            continue
        symmetric = node_count % size == 0 if node_count > size else size % node_count == 0
        if symmetric:
            sizes.append(size)
    return sizes


def topology_problems(nodes):
    """Every rule the topology breaks, one sentence each; empty when MinIO will accept it.

    nodes: list of (node name, list of drive paths), in inventory order.
    """
    problems = []
    if not nodes:
        return ["the MinIO group has no hosts"]
    seen, repeated = set(), set()
    for name, _drives in nodes:  # linear: a site of thousands of nodes is checked in milliseconds
        (repeated if name in seen else seen).add(name)
    duplicates = sorted(repeated)
    if duplicates:
        problems.append("minio_node_name repeats %s: every node needs its own name" % ", ".join(duplicates))
    for name, drives in nodes:
        if not drives:
            problems.append("%s has no drives in minio_drives" % name)
        elif len(set(drives)) != len(drives):
            problems.append("%s lists a drive twice in minio_drives: %s" % (name, ", ".join(drives)))
        bad = [drive for drive in drives if not drive.startswith("/") or drive.rstrip("/") in ("", "/")]
        if bad:
            problems.append("%s has minio_drives that are not absolute paths below /: %s" % (name, ", ".join(bad)))
    counts = sorted({len(drives) for _name, drives in nodes})
    if len(counts) > 1:
        per_node = ", ".join("%s=%d" % (name, len(drives)) for name, drives in nodes)
        problems.append("every node must have the same number of drives, found %s" % per_node)
        return problems
    total = len(nodes) * counts[0]
    if total < MIN_TOTAL_DRIVES:
        problems.append(
            "%d node(s) x %d drive(s) = %d drives in total: distributed MinIO needs at least %d"
            % (len(nodes), counts[0], total, MIN_TOTAL_DRIVES))
    elif not erasure_set_sizes(len(nodes), counts[0]):
        problems.append(
            "%d node(s) x %d drive(s) = %d drives cannot be split into erasure sets of 2 to 16 drives spread "
            "evenly over the nodes; choose a drive count divisible by such a set size"
            % (len(nodes), counts[0], total))
    return problems


def ellipsis_pattern(values):
    """Compress consecutive numbered values into MinIO's ellipsis form, or None.

    ["minio1", "minio2", "minio3"] -> "minio{1...3}"; ["d01", "d02"] -> "d{01...02}".
    One value is returned unchanged; values that are not one run of consecutive numbers with
    a common prefix, suffix and width give None.
    """
    if len(values) == 1:
        return values[0]
    parts = [_TRAILING_NUMBER.match(value) for value in values]
    if not all(parts):
        return None
    prefixes = {part.group(1) for part in parts}
    suffixes = {part.group(3) for part in parts}
    if len(prefixes) != 1 or len(suffixes) != 1:
        return None
    digits = [part.group(2) for part in parts]
    numbers = [int(d) for d in digits]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None
    padded = any(d.startswith("0") and len(d) > 1 for d in digits)
    if padded and len({len(d) for d in digits}) != 1:
        return None
    if not padded and any(len(d) != len(str(n)) for d, n in zip(digits, numbers)):
        return None
    return "%s{%s...%s}%s" % (parts[0].group(1), digits[0], digits[-1], parts[0].group(3))


def volumes(nodes, scheme="http", port=9000):
    """The MINIO_VOLUMES value every node of the pool must share.

    Uses the ellipsis form (http://minio{1...4}:9000/srv/minio/disk{1...2}) when the names and
    the drive paths allow it, otherwise lists every endpoint in inventory order.
    """
    names = [name for name, _drives in nodes]
    drive_lists = [list(drives) for _name, drives in nodes]
    same_drives = all(drives == drive_lists[0] for drives in drive_lists)
    host_pattern = ellipsis_pattern(names)
    drive_pattern = ellipsis_pattern(drive_lists[0]) if same_drives else None
    if host_pattern and drive_pattern:
        return "%s://%s:%d%s" % (scheme, host_pattern, port, drive_pattern)
    return " ".join("%s://%s:%d%s" % (scheme, name, port, drive) for name, drives in nodes for drive in drives)
