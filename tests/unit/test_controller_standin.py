"""Unit tests of the W&B controller stand-in's pure logic (tests/rig/k8s/files/wandb_controller_standin.py).

The stand-in's behaviour against the API server is tested in the wandb_operator scenario."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "rig" / "k8s" / "files" / "wandb_controller_standin.py"
SPEC = importlib.util.spec_from_file_location("wandb_controller_standin", SOURCE)
standin = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(standin)


def test_helm_arguments_for_each_spec_chart_shape():
    assert standin.helm_chart_args({"url": "http://charts.example.test:8080", "name": "operator-wandb", "version": "0.43.8"},
                                   set()) == ["operator-wandb", "--repo", "http://charts.example.test:8080", "--version", "0.43.8"]
    assert standin.helm_chart_args({"url": "oci://10.0.0.2:5000/charts/operator-wandb/", "version": "0.43.8"},
                                   {"10.0.0.2:5000"}) == ["oci://10.0.0.2:5000/charts/operator-wandb", "--version", "0.43.8",
                                                          "--plain-http"]
    assert standin.helm_chart_args({"url": "oci://registry.example.test/charts/operator-wandb", "version": "1"},
                                   {"10.0.0.2:5000"}) == ["oci://registry.example.test/charts/operator-wandb", "--version", "1"]
    assert standin.helm_chart_args({"path": "/charts/operator-wandb.tgz"}, set()) == ["/charts/operator-wandb.tgz"]


@pytest.mark.parametrize("chart", [{"url": "http://charts.example.test"}, {"url": "ftp://x/y", "name": "a"}, {"version": "1"}])
def test_a_spec_chart_that_names_no_chart_is_refused(chart):
    with pytest.raises(ValueError, match="spec.chart names no chart"):
        standin.helm_chart_args(chart, set())


def test_the_spec_digest_ignores_key_order():
    assert standin.spec_digest({"a": 1, "b": {"c": 2}}) == standin.spec_digest({"b": {"c": 2}, "a": 1})
    assert standin.spec_digest({"a": 1}) != standin.spec_digest({"a": 2})
