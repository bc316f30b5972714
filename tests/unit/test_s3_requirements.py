"""Unit tests of the judgements s3_requirements_info makes of an S3 endpoint's answers."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.wandb.plugins.module_utils import s3_requirements as req

URL = "https://minio1:9000/wandb/probe"
ORIGIN = "https://wandb.example.com"
GRANTED = {"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Methods": "PUT",
           "Access-Control-Allow-Headers": "content-type,x-amz-meta-wandb"}


def test_granted_preflight_passes():
    assert req.preflight_problems(URL, ORIGIN, "PUT", ["content-type", "x-amz-meta-wandb"], 204, GRANTED) == []


def test_header_names_compare_case_insensitively():
    lower = {key.lower(): value for key, value in GRANTED.items()}
    assert req.preflight_problems(URL, ORIGIN, "PUT", ["Content-Type"], 200, lower) == []


def test_missing_origin_is_one_problem_naming_request_and_answer():
    (problem,) = req.preflight_problems(URL, ORIGIN, "PUT", ["content-type"], 204, {"Vary": "Origin"})
    assert problem == (
        "CORS preflight OPTIONS https://minio1:9000/wandb/probe with Origin: https://wandb.example.com, "
        "Access-Control-Request-Method: PUT, Access-Control-Request-Headers: content-type answered HTTP 204 with "
        "Access-Control-Allow-Origin: (absent), Access-Control-Allow-Methods: (absent), "
        "Access-Control-Allow-Headers: (absent): the W&B origin is not allowed")


def test_method_and_headers_must_be_allowed():
    answer = {"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Methods": "GET, HEAD",
              "Access-Control-Allow-Headers": "content-type"}
    problems = req.preflight_problems(URL, ORIGIN, "PUT", ["content-type", "x-amz-meta-wandb"], 200, answer)
    assert problems[0].endswith("PUT is not an allowed method")
    assert problems[1].endswith("headers x-amz-meta-wandb are not allowed")


def test_wildcards_and_failed_status():
    wildcard = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*",
                "Access-Control-Allow-Headers": "*"}
    assert req.preflight_problems(URL, ORIGIN, "GET", ["range"], 200, wildcard) == []
    (problem,) = req.preflight_problems(URL, ORIGIN, "GET", [], 403, GRANTED)
    assert "answered HTTP 403" in problem and problem.endswith("a preflight must succeed")


def test_response_origin_and_disallowed_origin():
    assert req.response_origin_problems("GET x", ORIGIN, 200, {"access-control-allow-origin": ORIGIN}) == []
    (dropped,) = req.response_origin_problems("GET x", ORIGIN, 200, {})
    assert dropped.startswith("GET x with Origin: https://wandb.example.com answered HTTP 200")
    assert req.disallowed_origin_problems(URL, "https://evil.test", "PUT", 204, {"Vary": "Origin"}) == []
    (granted,) = req.disallowed_origin_problems(URL, "https://evil.test", "PUT", 204,
                                                {"Access-Control-Allow-Origin": "*"})
    assert granted.endswith("an origin other than W&B's is allowed; scope CORS to the W&B origin")


INFO = {
    "servers": [
        {"endpoint": "minio1:9000", "state": "online", "drives": [{"endpoint": "d1", "state": "ok"}] * 2},
        {"endpoint": "minio2:9000", "state": "offline",
         "drives": [{"endpoint": "http://minio2:9000/d1", "state": "offline"}, {"endpoint": "x", "state": "ok"}]},
    ],
    "backend": {"standardSCParity": 2, "totalSets": [1], "totalDrivesPerSet": [4]},
}


def test_cluster_summary_and_problems():
    summary = req.cluster_summary(INFO)
    assert summary == {"nodes_total": 2, "nodes_online": 1, "nodes_offline": ["minio2:9000"], "drives_total": 4,
                       "drives_ok": 3, "drives_not_ok": ["http://minio2:9000/d1 (offline)"], "drives_not_ok_on_online_nodes": [],
                       "standard_parity": 2, "sets": [1], "drives_per_set": [4]}
    assert req.cluster_problems(summary, expected_nodes=4, expected_drives=8) == [
        "MinIO reports 2 nodes, the inventory has 4",
        "MinIO reports 4 drives, the inventory has 8",
    ]
    # A node down is degraded redundancy, reported on its own (the pool still serves with quorum).
    assert req.degraded_problems(summary) == [
        "MinIO nodes not online: minio2:9000 (1 of 2 online)",
        "MinIO drives not ok: http://minio2:9000/d1 (offline) (3 of 4 ok)",
    ]
    assert req.cluster_problems(summary, expected_nodes=2, expected_drives=4) == []
    healthy = dict(INFO, servers=[INFO["servers"][0]])
    assert req.cluster_problems(req.cluster_summary(healthy), 1, 2) == []
    assert req.degraded_problems(req.cluster_summary(healthy)) == []


def test_a_replaced_drive_on_a_node_that_is_up_names_the_cause_and_the_fix():
    info = {"servers": [{"endpoint": "minio1:9000", "state": "online", "drives": [
        {"endpoint": "http://minio1:9000/srv/minio/disk1", "state": "ok"},
        {"endpoint": "http://minio1:9000/srv/minio/disk2", "state": "offline"}]}]}
    problems = req.degraded_problems(req.cluster_summary(info))
    assert problems[0] == "MinIO drives not ok: http://minio1:9000/srv/minio/disk2 (offline) (1 of 2 ok)"
    assert problems[1].startswith("http://minio1:9000/srv/minio/disk2: on a node that is up, a drive MinIO reports offline is "
                                  "most often a replaced drive"), problems
    assert "'file access denied'" in problems[1] and "ansible-playbook onprem.wandb.minio" in problems[1]


@pytest.mark.parametrize(("origin", "endpoint", "blocked"), [
    ("https://wandb.example.com", "http://minio1:9000", True),
    ("https://wandb.example.com", "HTTP://minio1:9000", True),
    ("https://wandb.example.com", "https://s3.example.com", False),
    ("http://wandb.example.com", "http://minio1:9000", False),
])
def test_an_http_endpoint_behind_an_https_wandb_is_mixed_content(origin, endpoint, blocked):
    problems = req.mixed_content_problems(origin, endpoint)
    assert bool(problems) is blocked
    if blocked:
        assert "as Mixed Content" in problems[0] and endpoint in problems[0] and origin in problems[0]


def test_an_endpoint_that_is_one_node_of_several_is_named():
    nodes = ["minio1", "minio2", "10.0.0.11", "10.0.0.12"]
    problems = req.single_node_problems("http://minio1:9000", {"minio1"}, nodes, 2)
    assert problems == ["the endpoint http://minio1:9000 is the MinIO node minio1, one of 2: when it is down W&B has "
                        "no object store although the cluster still serves; give W&B a name balanced over every node "
                        "(the proxy's S3 endpoint or the site's load balancer)"]
    # By address too (the name resolves to a node's address).
    assert "10.0.0.12" in req.single_node_problems("https://s3.example.com", {"s3.example.com", "10.0.0.12"}, nodes, 2)[0]
    assert req.single_node_problems("https://s3.example.com", {"s3.example.com", "10.0.0.5"}, nodes, 2) == []
    # A single-node deployment has nothing to balance.
    assert req.single_node_problems("http://minio1:9000", {"minio1"}, ["minio1"], 1) == []


def test_the_w_b_origin_must_be_able_to_read_etag():
    minio = {"Access-Control-Allow-Origin": "https://wandb.example.com",
             "Access-Control-Expose-Headers": "Date, Etag, Server, Content-Length, X-Amz*, *"}
    assert req.exposed_header_problems("GET u", "https://wandb.example.com", minio, ["ETag"]) == []
    (hidden,) = req.exposed_header_problems("GET u", "https://wandb.example.com",
                                            {"Access-Control-Expose-Headers": "*"}, ["ETag"])
    assert hidden == ("GET u with Origin: https://wandb.example.com exposes * but not ETag: "
                      "the browser hides them from W&B's code")
    assert "exposes no headers but not ETag" in req.exposed_header_problems("GET u", "o", {}, ["ETag"])[0]
