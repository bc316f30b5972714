"""Unit tests of the distributed MinIO topology rules and the MINIO_VOLUMES rendering."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.wandb.plugins.module_utils import minio_topology as topo

TWO = ("/srv/minio/disk1", "/srv/minio/disk2")


def nodes(count, drives=TWO, prefix="minio"):
    return [(f"{prefix}{i}", list(drives)) for i in range(1, count + 1)]


@pytest.mark.parametrize(
    ("node_count", "per_node", "expected"),
    [
        (4, 2, [2, 4, 8]),
        (1, 4, [2, 4]),
        (2, 2, [2, 4]),
        (3, 2, [3, 6]),
        (4, 4, [2, 4, 8, 16]),
        (5, 3, [5, 15]),
        (7, 1, [7]),
        (17, 1, []),
        (6, 3, [2, 3, 6]),  # 9 divides 18 but does not spread over 6 nodes
    ],
)
def test_erasure_set_sizes_follow_minio(node_count, per_node, expected):
    assert topo.erasure_set_sizes(node_count, per_node) == expected


def test_good_topology_has_no_problems():
    assert topo.topology_problems(nodes(4)) == []


def test_too_few_drives():
    (problem,) = topo.topology_problems([("minio1", list(TWO[:1])), ("minio2", list(TWO[:1])), ("minio3", list(TWO[:1]))])
    assert problem == "3 node(s) x 1 drive(s) = 3 drives in total: distributed MinIO needs at least 4"


def test_uneven_drives_name_each_node():
    (problem,) = topo.topology_problems([("minio1", list(TWO)), ("minio2", list(TWO[:1])), ("minio3", list(TWO)), ("minio4", list(TWO))])
    assert problem == "every node must have the same number of drives, found minio1=2, minio2=1, minio3=2, minio4=2"


def test_total_without_a_set_size():
    (problem,) = topo.topology_problems(nodes(17, TWO[:1]))
    assert problem.startswith("17 node(s) x 1 drive(s) = 17 drives cannot be split into erasure sets")


def test_duplicate_names_and_bad_paths():
    problems = topo.topology_problems([("minio1", list(TWO)), ("minio1", ["srv/disk", "/"])])
    assert "minio_node_name repeats minio1: every node needs its own name" in problems
    assert "minio1 has minio_drives that are not absolute paths below /: srv/disk, /" in problems


def test_empty_group_and_missing_drives():
    assert topo.topology_problems([]) == ["the MinIO group has no hosts"]
    assert "minio2 has no drives in minio_drives" in topo.topology_problems([("minio1", list(TWO)), ("minio2", [])])


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (["minio1", "minio2", "minio3", "minio4"], "minio{1...4}"),
        (["/srv/minio/disk1", "/srv/minio/disk2"], "/srv/minio/disk{1...2}"),
        (["s01.dc", "s02.dc", "s03.dc"], "s{01...03}.dc"),
        (["minio9", "minio10"], "minio{9...10}"),
        (["solo"], "solo"),
        (["minio1", "minio3"], None),
        (["a1", "b2"], None),
        (["minio01", "minio2"], None),
        (["minio", "minio2"], None),
        (["m1.x", "m2.y"], None),
    ],
)
def test_ellipsis_pattern(values, pattern):
    assert topo.ellipsis_pattern(values) == pattern


def test_volumes_in_ellipsis_form():
    assert topo.volumes(nodes(4), "https", 9000) == "https://minio{1...4}:9000/srv/minio/disk{1...2}"


def test_volumes_list_every_endpoint_when_names_do_not_compress():
    spec = [("alpha", list(TWO)), ("beta", list(TWO))]
    assert topo.volumes(spec, "http", 9000) == (
        "http://alpha:9000/srv/minio/disk1 http://alpha:9000/srv/minio/disk2 "
        "http://beta:9000/srv/minio/disk1 http://beta:9000/srv/minio/disk2")


def test_volumes_list_every_endpoint_when_drive_paths_differ():
    spec = [("minio1", ["/a1", "/a2"]), ("minio2", ["/b1", "/b2"])]
    assert topo.volumes(spec) == "http://minio1:9000/a1 http://minio1:9000/a2 http://minio2:9000/b1 http://minio2:9000/b2"


def test_node_pairs_refuses_other_shapes():
    assert topo.node_pairs([{"name": "m1", "drives": ["/d"]}]) == [("m1", ["/d"])]
    with pytest.raises(ValueError, match="must be a dict with name and a list of drives"):
        topo.node_pairs([{"name": "m1", "drives": "/d"}])
