"""Unit tests of the WeightsAndBiases custom resource rendering (apps.wandb.com/v1)."""

from __future__ import annotations

import copy
from collections.abc import Mapping

import pytest

from ansible_collections.onprem.wandb.plugins.plugin_utils import wandb_cr

BASE = {
    "cr_name": "wandb",
    "cr_namespace": "default",
    "host": "https://wandb.example.com",
    "bucket": {"url": "http://minio1.example.com:9000", "name": "wandb", "region": "us-east-1"},
    "bucket_secret": {"name": "wandb-bucket", "access_key_key": "ACCESS_KEY", "secret_key_key": "SECRET_KEY"},
    "mysql": {"host": "10.0.0.5", "port": 3306, "database": "wandb_local", "user": "wandb_local"},
    "mysql_secret": {"name": "wandb-mysql", "key": "password"},
    "redis": {"host": "10.0.0.6", "port": "6379", "tls": False, "user": "default"},
    "redis_secret": {"name": "wandb-redis", "key": "password"},
    "license_secret": {"name": "wandb-license", "key": "license"},
    "ca_configmap": "",
    "ingress_class": "nginx",
    "ingress_annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "0"},
    "extra_env": {"BUCKET_QUEUE": "internal://"},
    "extra_values": {},
    "platform_chart": {},
    "airgapped": False,
}


def inputs(**changes):
    params = copy.deepcopy(BASE)
    params.update(changes)
    return params


def test_base_inputs_render_the_v1_resource():
    cr = wandb_cr.render_cr_v1(inputs())
    assert cr["apiVersion"] == "apps.wandb.com/v1"
    assert cr["kind"] == "WeightsAndBiases"
    assert cr["metadata"]["name"] == "wandb" and cr["metadata"]["namespace"] == "default"
    assert cr["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "onprem.wandb"
    values = cr["spec"]["values"]
    assert values["global"]["host"] == "https://wandb.example.com"
    assert values["global"]["licenseSecret"] == {"name": "wandb-license", "key": "license"}
    assert values["global"]["bucket"] == {
        "provider": "s3",
        "name": "minio1.example.com:9000",
        "path": "wandb",
        "region": "us-east-1",
        "secret": {"secretName": "wandb-bucket", "accessKeyName": "ACCESS_KEY", "secretKeyName": "SECRET_KEY"},
    }
    assert values["global"]["mysql"] == {
        "host": "10.0.0.5", "port": 3306, "database": "wandb_local", "user": "wandb_local",
        "passwordSecret": {"name": "wandb-mysql", "passwordKey": "password"},
    }
    assert values["global"]["redis"] == {"host": "10.0.0.6", "port": 6379,
                                         "secret": {"secretName": "wandb-redis", "secretKey": "password"}}
    assert values["mysql"] == {"install": False}
    assert values["redis"] == {"install": False}
    assert values["ingress"] == {"class": "nginx", "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "0"}}
    assert values["global"]["extraEnv"] == {"BUCKET_QUEUE": "internal://"}
    assert "chart" not in cr["spec"]
    assert "caCertsConfigMap" not in values["global"]


def test_no_secret_value_reaches_the_resource():
    cr = wandb_cr.render_cr_v1(inputs(bucket=dict(BASE["bucket"], secret_key="s3cr3t-value", access_key="wandb-app")))
    text = repr(cr)
    assert "s3cr3t-value" not in text
    assert "wandb-app" not in text  # the access key too lives in the Secret, not in the resource


@pytest.mark.parametrize(("url", "name", "path"), [
    ("https://s3.example.com", "s3.example.com:443", "wandb?tls=true"),
    ("https://s3.example.com/", "s3.example.com:443", "wandb?tls=true"),
    ("https://s3.example.com:8443", "s3.example.com:8443", "wandb?tls=true"),
    ("http://minio1.example.com:9000", "minio1.example.com:9000", "wandb"),
    ("http://minio.example.com", "minio.example.com:80", "wandb"),
])
def test_the_declared_endpoint_url_becomes_name_and_path(url, name, path):
    bucket = wandb_cr.render_cr_v1(inputs(bucket=dict(BASE["bucket"], url=url)))["spec"]["values"]["global"]["bucket"]
    assert (bucket["name"], bucket["path"]) == (name, path)


def test_tls_marks_redis_parameters():
    cr = wandb_cr.render_cr_v1(inputs(redis=dict(BASE["redis"], tls="true")))
    assert cr["spec"]["values"]["global"]["redis"]["parameters"] == {"tls": "true"}


PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"


def test_the_service_cas_go_where_the_chart_reads_them():
    """global.mysql.caCert (the chart makes a Secret and mounts it, W&B gets MYSQL_CA_CERT_PATH);
    global.redis.caCert (tls=true and caCertPath in REDIS_PARAMS)."""
    cr = wandb_cr.render_cr_v1(inputs(mysql=dict(BASE["mysql"], ca_cert=PEM + "\n\n"), redis=dict(BASE["redis"], ca_cert=PEM)))
    values = cr["spec"]["values"]["global"]
    assert values["mysql"]["caCert"] == values["redis"]["caCert"] == PEM + "\n"
    assert values["redis"]["parameters"] == {"tls": "true"}
    plain = wandb_cr.render_cr_v1(inputs(mysql=dict(BASE["mysql"], ca_cert=""), redis=dict(BASE["redis"], ca_cert="")))["spec"]["values"]["global"]
    assert "caCert" not in plain["mysql"] and "caCert" not in plain["redis"] and "parameters" not in plain["redis"]


def test_host_trailing_slash_is_dropped_and_ca_configmap_referenced():
    cr = wandb_cr.render_cr_v1(inputs(host="https://wandb.example.com/", ca_configmap="wandb-ca-certs"))
    assert cr["spec"]["values"]["global"]["host"] == "https://wandb.example.com"
    assert cr["spec"]["values"]["global"]["caCertsConfigMap"] == "wandb-ca-certs"


def test_extra_env_values_become_strings():
    cr = wandb_cr.render_cr_v1(inputs(extra_env={"ENABLE_REGISTRY_UI": True, "GORILLA_WORKERS": 4}))
    assert cr["spec"]["values"]["global"]["extraEnv"] == {"ENABLE_REGISTRY_UI": "true", "GORILLA_WORKERS": "4"}


def test_extra_values_merge_last_without_dropping_siblings():
    cr = wandb_cr.render_cr_v1(inputs(extra_values={
        "global": {"bucket": {"region": "eu-west-1"}},
        "app": {"image": {"repository": "registry.example.com/local", "tag": "0.70.0"}},
        "redis": {"install": False},
    }))
    values = cr["spec"]["values"]
    assert values["global"]["bucket"]["region"] == "eu-west-1"
    assert values["global"]["bucket"]["name"] == "minio1.example.com:9000"
    assert values["app"]["image"]["tag"] == "0.70.0"
    assert BASE["extra_values"] == {}  # inputs are not mutated


def test_repository_chart_is_carried_as_given():
    chart = {"url": "https://charts.example.com", "name": "operator-wandb", "version": "0.43.2"}
    cr = wandb_cr.render_cr_v1(inputs(platform_chart=chart, airgapped=True))
    assert cr["spec"]["chart"] == chart


@pytest.mark.parametrize("chart", [
    {"url": "oci://registry.example.com/charts/operator-wandb", "version": "0.43.2"},
    {"path": "/charts/operator-wandb"},
])
def test_oci_and_local_chart_shapes_are_accepted(chart):
    assert wandb_cr.chart_problems(chart, airgapped=True) == []


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"host": "wandb.example.com"}, "wandb_operator_host must be a URL with http:// or https:// and a host name"),
    ({"host": "ftp://wandb.example.com"}, "got 'ftp://wandb.example.com'"),
    ({"host": "https://wandb.example.com/app"}, "without path, query or fragment"),
    ({"host": ""}, "wandb_operator_host must be the URL users open W&B at"),
    ({"bucket": {}}, "wandb_operator_bucket is missing or empty: it is made of the site's wandb_object_store_url"),
    ({"bucket": None}, "wandb_operator_bucket is missing or empty"),
    ({"bucket": {"url": "s3.example.com", "name": "wandb"}},
     "wandb_operator_bucket.url (the site's wandb_object_store_url) must be the object store's base URL, "
     "https://s3.example.com: 's3.example.com' not a URL with http:// or https://"),
    ({"bucket": {"url": "https://s3.example.com:99999", "name": "wandb"}}, "has a port that is not 1-65535"),
    ({"bucket": {"url": "https://s3.example.com/wandb", "name": "wandb"}}, "has a path, query or fragment"),
    ({"bucket": {"url": "https://s3.example.com", "name": "Bad_Bucket"}},
     "wandb_operator_bucket.name (the site's wandb_bucket) must be an S3 bucket name"),
    ({"mysql": {"host": "db", "port": 3306, "database": "wandb_local"}},
     "wandb_operator_mysql lacks user (has database, host, port): the site declares them (wandb_mysql_user)"),
    ({"mysql": {"host": "", "port": 3306, "database": "wandb_local", "user": "u"}}, "declares them (wandb_mysql_host)"),
    ({"redis": None}, "wandb_operator_redis is missing or empty (needs host, port, from the site's wandb_redis_host, wandb_redis_port)"),
    ({"redis": {"host": "r", "port": "six"}}, "wandb_operator_redis.port must be a TCP port 1-65535, got 'six'"),
    ({"mysql": {"host": "db", "port": 3306, "database": "wandb_local", "user": "u", "ca_cert": "/pki/ca.crt"}},
     "wandb_operator_mysql.ca_cert must be the PEM text of a CA certificate (the site file's components.mysql.tls.ca), "
     "got text without '-----BEGIN CERTIFICATE-----'"),
    ({"license_secret": {"name": "wandb-license"}}, "wandb_operator_license_secret must name the Secret and its keys (name, key)"),
    ({"cr_name": "WandB"}, "wandb_operator_cr_name must be a lower-case DNS name"),
    ({"cr_namespace": "wandb.cr"}, "wandb_operator_cr_namespace must be a lower-case DNS label"),
    ({"ingress_annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": 64}}, "quote numbers"),
    ({"extra_env": {"1BAD": "x"}}, "wandb_operator_extra_env has invalid variable names 1BAD"),
    ({"extra_env": {"NESTED": {"a": 1}}}, "NESTED are not"),
    ({"extra_values": ["x"]}, "wandb_operator_extra_values must be a dict"),
    ({"airgapped": True}, "wandb_operator_platform_chart is empty but wandb_operator_airgapped is true"),
    ({"platform_chart": {"url": "https://charts.example.com", "version": "1"}}, "wandb_operator_platform_chart.name is required"),
    ({"platform_chart": {"url": "charts.example.com", "name": "operator-wandb", "version": "1"}}, "must be an http(s) Helm repository"),
    ({"platform_chart": {"url": "https://c.example.com", "name": "operator-wandb"}}, "wandb_operator_platform_chart.version must pin"),
    ({"platform_chart": {"path": "charts/operator-wandb"}}, "path must be an absolute path"),
    ({"platform_chart": {"path": "/c", "url": "https://c"}}, "sets both path and url"),
    ({"platform_chart": {"url": "https://c.example.com", "name": "n", "version": "1", "tag": "x"}}, "unknown keys tag"),
])
def test_bad_inputs_name_the_variable_and_value(changes, fragment):
    problems = wandb_cr.cr_v1_problems(inputs(**changes))
    assert any(fragment in problem for problem in problems), problems
    with pytest.raises(ValueError) as error:
        wandb_cr.render_cr_v1(inputs(**changes))
    assert fragment in str(error.value)


def test_valid_inputs_have_no_problems():
    assert wandb_cr.cr_v1_problems(inputs()) == []


def test_every_problem_is_reported_at_once():
    problems = wandb_cr.cr_v1_problems(inputs(host="nope", bucket={}, redis={}))
    assert len(problems) == 3


def test_deep_merge_replaces_lists_and_scalars():
    assert wandb_cr.deep_merge({"a": [1, 2], "b": {"c": 1, "d": 2}}, {"a": [3], "b": {"d": 5}}) == {"a": [3], "b": {"c": 1, "d": 5}}


def test_renderers_registry_has_v1():
    problems, render = wandb_cr.RENDERERS["v1"]
    assert problems is wandb_cr.cr_v1_problems and render is wandb_cr.render_cr_v1


class UncopyableMapping(Mapping):
    """Stands for ansible-core's lazy containers: copying one copies the templar and its plugin
    loaders, which ansible-core 2.21 reports as a deprecation on every run."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __deepcopy__(self, memo):
        raise AssertionError("the renderer copied an input container")


def test_renderer_works_on_plain_copies_and_never_copies_its_input_containers():
    chart = {"url": "https://charts.example.com", "name": "operator-wandb", "version": "0.43.2"}
    lazy = UncopyableMapping(dict(inputs(platform_chart=UncopyableMapping(chart), airgapped=True,
                                         extra_values={"global": UncopyableMapping({"extraEnv": {"A": "1"}})},
                                         ingress_annotations=UncopyableMapping({"a": "b"}))))
    problems, render = wandb_cr.renderer("v1")
    assert problems(lazy) == []
    cr = render(lazy)
    assert cr["spec"]["chart"] == chart and isinstance(cr["spec"]["chart"], dict)
    assert cr["spec"]["values"]["global"]["extraEnv"]["A"] == "1"
    assert wandb_cr.plain_data(UncopyableMapping({"a": (1, UncopyableMapping({"b": [2]}))})) == {"a": [1, {"b": [2]}]}


def test_renderer_names_the_versions_that_exist():
    problems, render = wandb_cr.renderer("v1")
    assert render(inputs()) == wandb_cr.render_cr_v1(inputs()) and problems(inputs()) == []
    with pytest.raises(ValueError) as error:
        wandb_cr.renderer("v2")
    assert "api_version must be one of v1, got 'v2'" in str(error.value)


def test_drift_names_each_field_with_the_declared_and_the_given_value():
    expected = wandb_cr.render_cr_v1(inputs(bucket=dict(BASE["bucket"], url="https://s3.example.com")))["spec"]
    live = copy.deepcopy(expected)
    assert wandb_cr.spec_drift(expected, live) == []
    # Fields the API server or the controller add are not drift.
    live["values"]["global"]["defaulted"] = True
    live["status"] = {"phase": "Completed"}
    assert wandb_cr.spec_drift(expected, live) == []
    live["values"]["global"]["bucket"]["name"] = "minio1.example.com:9000"
    live["values"]["global"]["mysql"]["port"] = 3307
    del live["values"]["global"]["redis"]["host"]
    assert wandb_cr.spec_drift(expected, live) == [
        "spec.values.global.bucket.name: the site declares 's3.example.com:443', the resource has 'minio1.example.com:9000'",
        "spec.values.global.mysql.port: the site declares 3306, the resource has 3307",
        "spec.values.global.redis.host: the site declares '10.0.0.6', the resource has none",
    ]


def test_the_inputs_version_goes_on_every_platform_pod_and_nowhere_without_it():
    values = wandb_cr.render_cr_v1(inputs(pod_annotations={"onprem.wandb/inputs-version": "0f3a9c2b71d4e5a6"}))["spec"]["values"]
    assert values["global"]["pod"] == {"annotations": {"onprem.wandb/inputs-version": "0f3a9c2b71d4e5a6"}}
    assert "pod" not in wandb_cr.render_cr_v1(inputs(pod_annotations={}))["spec"]["values"]["global"]
    assert any("pod_annotations" in p for p in wandb_cr.cr_v1_problems(inputs(pod_annotations={"a": 1})))
