# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judgements of an S3 endpoint's answers against W&B Server's needs (no I/O here).

W&B's browser client uploads and downloads files with presigned URLs straight from the object
store, so the store must answer CORS preflights for the W&B origin with GET, PUT and HEAD and any
header, and must not grant other origins. Each function returns sentences naming what was sent
and what came back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Headers a browser asks for in the preflight of each method W&B's CORS rule must allow (the
# methods come from the requirements table; W&B allows any header).
PREFLIGHT_HEADERS = {"PUT": ["content-type", "x-amz-meta-wandb"], "GET": ["range"], "HEAD": []}

CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
)


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def describe_answer(status, headers):
    """'HTTP 204 with Access-Control-Allow-Origin: x, ...' listing the CORS headers (or their absence)."""
    shown = ", ".join("%s: %s" % (name, _header(headers, name) or "(absent)") for name in CORS_HEADERS)
    return "HTTP %s with %s" % (status, shown)


def _listed(value):
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


def preflight_problems(url, origin, method, request_headers, status, headers):
    """What is wrong with the answer to a CORS preflight the W&B origin must pass."""
    sent = "OPTIONS %s with Origin: %s, Access-Control-Request-Method: %s" % (url, origin, method)
    if request_headers:
        sent += ", Access-Control-Request-Headers: %s" % ", ".join(request_headers)
    answer = describe_answer(status, headers)
    problems = []
    if status not in (200, 204):
        problems.append("CORS preflight %s answered %s: a preflight must succeed" % (sent, answer))
        return problems
    allow_origin = _header(headers, "Access-Control-Allow-Origin")
    if allow_origin not in (origin, "*"):
        problems.append("CORS preflight %s answered %s: the W&B origin is not allowed" % (sent, answer))
        return problems
    methods = _listed(_header(headers, "Access-Control-Allow-Methods"))
    if method.lower() not in methods and "*" not in methods:
        problems.append("CORS preflight %s answered %s: %s is not an allowed method" % (sent, answer, method))
    allowed_headers = _listed(_header(headers, "Access-Control-Allow-Headers"))
    missing = [h for h in request_headers if h.lower() not in allowed_headers and "*" not in allowed_headers]
    if missing:
        problems.append("CORS preflight %s answered %s: headers %s are not allowed"
                        % (sent, answer, ", ".join(missing)))
    return problems


def response_origin_problems(what, origin, status, headers):
    """A simple (non-preflight) request from the W&B origin must come back with that origin allowed."""
    allow_origin = _header(headers, "Access-Control-Allow-Origin")
    if allow_origin in (origin, "*"):
        return []
    return ["%s with Origin: %s answered %s: the browser would drop the response"
            % (what, origin, describe_answer(status, headers))]


def exposed_header_problems(what, origin, headers, required):
    """A response to the W&B origin must expose the headers W&B's browser code reads (ETag, for multipart
    uploads); with credentials allowed, a '*' in Access-Control-Expose-Headers is a header name, not a wildcard."""
    exposed = _listed(_header(headers, "Access-Control-Expose-Headers"))
    missing = [name for name in required if name.lower() not in exposed]
    if not missing:
        return []
    return ["%s with Origin: %s exposes %s but not %s: the browser hides them from W&B's code"
            % (what, origin, _header(headers, "Access-Control-Expose-Headers") or "no headers", ", ".join(missing))]


def disallowed_origin_problems(url, origin, method, status, headers):
    """An origin that is not W&B's must not be granted."""
    allow_origin = _header(headers, "Access-Control-Allow-Origin")
    if allow_origin in (origin, "*"):
        return ["CORS preflight OPTIONS %s with Origin: %s, Access-Control-Request-Method: %s answered %s: "
                "an origin other than W&B's is allowed; scope CORS to the W&B origin"
                % (url, origin, method, describe_answer(status, headers))]
    return []


def cluster_summary(info):
    """Nodes and drives from MinIO's admin info answer (/minio/admin/v3/info)."""
    servers = info.get("servers") or []
    drives = [drive for server in servers for drive in server.get("drives") or []]
    backend = info.get("backend") or {}
    return {
        "nodes_total": len(servers),
        "nodes_online": sum(1 for server in servers if server.get("state") == "online"),
        "nodes_offline": sorted(server.get("endpoint", "?") for server in servers if server.get("state") != "online"),
        "drives_total": len(drives),
        "drives_ok": sum(1 for drive in drives if drive.get("state") == "ok"),
        "drives_not_ok": sorted("%s (%s)" % (drive.get("endpoint", "?"), drive.get("state", "?"))
                                for drive in drives if drive.get("state") != "ok"),
        # A drive down on a node that is up: most often a replaced, empty drive MinIO's user cannot write.
        "drives_not_ok_on_online_nodes": sorted(drive.get("endpoint", "?") for server in servers if server.get("state") == "online"
                                                for drive in server.get("drives") or [] if drive.get("state") != "ok"),
        "standard_parity": backend.get("standardSCParity"),
        "sets": backend.get("totalSets"),
        "drives_per_set": backend.get("totalDrivesPerSet"),
    }


def cluster_problems(summary, expected_nodes=None, expected_drives=None):
    """Where the cluster MinIO reports differs from the inventory (nodes, drives)."""
    problems = []
    if expected_nodes is not None and summary["nodes_total"] != expected_nodes:
        problems.append("MinIO reports %d nodes, the inventory has %d" % (summary["nodes_total"], expected_nodes))
    if expected_drives is not None and summary["drives_total"] != expected_drives:
        problems.append("MinIO reports %d drives, the inventory has %d" % (summary["drives_total"], expected_drives))
    return problems


def degraded_problems(summary):
    """Nodes or drives that are down: the pool still serves with quorum, but has less redundancy left."""
    problems = []
    if summary["nodes_offline"]:
        problems.append("MinIO nodes not online: %s (%d of %d online)"
                        % (", ".join(summary["nodes_offline"]), summary["nodes_online"], summary["nodes_total"]))
    if summary["drives_not_ok"]:
        problems.append("MinIO drives not ok: %s (%d of %d ok)"
                        % (", ".join(summary["drives_not_ok"]), summary["drives_ok"], summary["drives_total"]))
    if summary.get("drives_not_ok_on_online_nodes"):
        problems.append("%s: on a node that is up, a drive MinIO reports offline is most often a replaced drive, new and empty, "
                        "that MinIO's user cannot write (MinIO's log says 'file access denied'): run the MinIO stage again "
                        "(ansible-playbook onprem.wandb.minio, or onprem.wandb.site), which gives the drives to MinIO's user; "
                        "MinIO then heals the data onto it" % ", ".join(summary["drives_not_ok_on_online_nodes"]))
    return problems


def mixed_content_problems(origin, endpoint_url):
    """An https W&B page cannot use an http object store: browsers block it as Mixed Content."""
    if str(origin or "").lower().startswith("https://") and str(endpoint_url).lower().startswith("http://"):
        return ["W&B is served at %s over https but its object store endpoint is %s: browsers refuse the presigned "
                "uploads and downloads of W&B's web UI as Mixed Content (an https page may not request http URLs). "
                "Give W&B an https endpoint (the proxy serves one: wandb_object_store_url https://s3.<domain>)"
                % (origin, endpoint_url)]
    return []


def single_node_problems(endpoint_url, endpoint_addresses, node_addresses, nodes_total):
    """An endpoint that is one node of a multi-node cluster loses W&B its object store when that node is down."""
    if not nodes_total or nodes_total < 2:
        return []
    wanted = {str(a).lower() for a in endpoint_addresses}
    hits = sorted({str(node) for node in node_addresses if str(node).lower() in wanted})
    if not hits:
        return []
    return ["the endpoint %s is the MinIO node %s, one of %d: when it is down W&B has no object store although the "
            "cluster still serves; give W&B a name balanced over every node (the proxy's S3 endpoint or the site's "
            "load balancer)" % (endpoint_url, " / ".join(hits), nodes_total)]
