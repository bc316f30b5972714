# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WeightsAndBiases custom resource, rendered from the endpoints the site declares.

One place renders the resource so every site gets the same shape and a later API version (the
operator's apps.wandb.com/v2, with SecretKeySelectors and conditions) can sit beside it as another
pair of functions. Input is one dict whose keys are the wandb_operator role's variables without
the prefix (host, bucket, mysql, redis, ...), so every problem names the variable to fix.

Secrets never enter the resource: it names the Kubernetes Secrets the role creates (license,
bucket keys, MySQL and Redis passwords) and the ConfigMap with the CA certificates.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from collections.abc import Mapping

from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import REQUIREMENTS

try:  # Python 3
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urlparse import urlsplit

API_VERSION_V1 = "apps.wandb.com/v1"
KIND = "WeightsAndBiases"
PREFIX = "wandb_operator_"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
# Where the platform chart mounts the CAs it is given (operator-wandb _mysql.tpl, _volumes.tpl).
MYSQL_CA_PATH = "/etc/ssl/certs/mysql_ca.pem"
REDIS_CA_PATH = "/etc/ssl/certs/redis_ca.pem"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# The site variables each renderer input comes from (docs/inventory.md), for the messages.
SITE_VARIABLES = {
    "mysql": {"host": "wandb_mysql_host", "port": "wandb_mysql_port", "database": "wandb_mysql_database",
              "user": "wandb_mysql_user"},
    "redis": {"host": "wandb_redis_host", "port": "wandb_redis_port"},
}
_SECRET_REFS = {
    "license_secret": ("name", "key"),
    "bucket_secret": ("name", "access_key_key", "secret_key_key"),
    "mysql_secret": ("name", "key"),
    "redis_secret": ("name", "key"),
}


def _var(key):
    return PREFIX + key


def _is_port(value):
    if isinstance(value, bool):
        return False
    try:
        port = int(value)
    except (TypeError, ValueError):
        return False
    return 1 <= port <= 65535 and str(port) == str(value).strip()


def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def endpoint_url_parts(url):
    """(scheme, host, port, tls) of an endpoint URL such as https://s3.example.com; ValueError if it is not one."""
    parts = urlsplit(str(url or ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not a URL with http:// or https:// and a host name")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("has a path, query or fragment; give the base URL only")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not 1-65535")
    port = port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.scheme == "https"


def bucket_problems(bucket):
    """Why the object store inputs (url, name, region) cannot make global.bucket."""
    variable = _var("bucket")
    if not isinstance(bucket, dict) or not bucket:
        return ["%s is missing or empty: it is made of the site's wandb_object_store_url, wandb_bucket and "
                "wandb_bucket_region (url, name, region)" % variable]
    problems = []
    try:
        endpoint_url_parts(bucket.get("url"))
    except ValueError as error:
        problems.append("%s.url (the site's wandb_object_store_url) must be the object store's base URL, "
                        "https://s3.example.com: %r %s" % (variable, bucket.get("url"), error))
    if REQUIREMENTS["object_store"]["region_required"] and not str(bucket.get("region") or "").strip():
        problems.append("%s.region (the site's wandb_bucket_region) is empty: W&B needs the region of an "
                        "S3-compatible store (MinIO's MINIO_SITE_REGION, for example us-east-1)" % variable)
    if not _BUCKET.match(str(bucket.get("name") or "")):
        problems.append("%s.name (the site's wandb_bucket) must be an S3 bucket name (3-63 lower-case letters, "
                        "digits, '.', '-'), got %r" % (variable, bucket.get("name")))
    return problems


def host_problems(host):
    """Why global.host would be rejected; W&B wants the URL users open, scheme included."""
    variable = _var("host")
    if not isinstance(host, str) or not host:
        return ["%s must be the URL users open W&B at (https://wandb.example.com), got %r" % (variable, host)]
    parts = urlsplit(host)
    problems = []
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append("%s must be a URL with http:// or https:// and a host name (https://wandb.example.com), got %r" % (variable, host))
    elif parts.query or parts.fragment or parts.path not in ("", "/"):
        problems.append("%s must be the base URL without path, query or fragment, got %r" % (variable, host))
    return problems


def chart_problems(chart, airgapped):
    """spec.chart: the shapes the v1 controller accepts (repository, OCI, local path)."""
    variable = _var("platform_chart")
    if not chart:
        if airgapped:
            return ["%s is empty but wandb_operator_airgapped is true: an air-gapped operator only installs "
                    "the chart spec.chart names (url, name, version of the internal repository), "
                    "otherwise it reports 'Invalid Config'" % variable]
        return []
    if not isinstance(chart, dict):
        return ["%s must be a dict (url, name, version; or path), got %r" % (variable, chart)]
    unknown = sorted(set(chart) - {"url", "name", "version", "path", "username", "password", "credentialSecret"})
    if unknown:
        return ["%s has unknown keys %s (allowed: url, name, version, path, username, password, credentialSecret)" % (variable, ", ".join(unknown))]
    if "path" in chart:
        if "url" in chart:
            return ["%s sets both path and url: choose a chart inside the controller (path) or a repository (url)" % variable]
        if not str(chart["path"]).startswith("/"):
            return ["%s.path must be an absolute path inside the controller, got %r" % (variable, chart["path"])]
        return []
    url = str(chart.get("url", ""))
    scheme = urlsplit(url).scheme
    problems = []
    if scheme not in ("http", "https", "oci") or not urlsplit(url).netloc:
        problems.append("%s.url must be an http(s) Helm repository or an oci:// reference, got %r" % (variable, chart.get("url")))
    if scheme in ("http", "https") and not chart.get("name"):
        problems.append("%s.name is required with a repository url (the platform chart, operator-wandb)" % variable)
    if not chart.get("version"):
        problems.append("%s.version must pin the platform chart version, got %r" % (variable, chart.get("version")))
    return problems


def cr_v1_problems(params):
    """Every reason the inputs cannot make a valid v1 resource, one sentence each."""
    problems = []
    name = params.get("cr_name")
    if not isinstance(name, str) or not _DNS_SUBDOMAIN.match(name):
        problems.append("%s must be a lower-case DNS name (wandb), got %r" % (_var("cr_name"), name))
    namespace = params.get("cr_namespace")
    if not isinstance(namespace, str) or not _DNS_LABEL.match(namespace):
        problems.append("%s must be a lower-case DNS label (default), got %r" % (_var("cr_namespace"), namespace))
    problems.extend(host_problems(params.get("host")))

    problems.extend(bucket_problems(params.get("bucket")))

    for key, required in (("mysql", ("host", "port", "database", "user")), ("redis", ("host", "port"))):
        value = params.get(key)
        if not isinstance(value, dict) or not value:
            problems.append("%s is missing or empty (needs %s, from the site's %s)"
                            % (_var(key), ", ".join(required), ", ".join(SITE_VARIABLES[key][f] for f in required)))
            continue
        missing = [field for field in required if not value.get(field)]
        if missing:
            declared = ", ".join(SITE_VARIABLES[key][field] for field in missing)
            problems.append("%s lacks %s (has %s): the site declares them (%s)"
                            % (_var(key), ", ".join(missing), ", ".join(sorted(value)) or "nothing", declared))
        if value.get("port") and not _is_port(value["port"]):
            problems.append("%s.port must be a TCP port 1-65535, got %r" % (_var(key), value["port"]))
        ca_cert = value.get("ca_cert")
        if ca_cert and (not isinstance(ca_cert, str) or PEM_CERTIFICATE not in ca_cert):
            problems.append("%s.ca_cert must be the PEM text of a CA certificate (the site file's components.%s.tls.ca), "
                            "got %s" % (_var(key), key, "text without %r" % PEM_CERTIFICATE if isinstance(ca_cert, str) else repr(ca_cert)))

    for key, fields in _SECRET_REFS.items():
        ref = params.get(key)
        if not isinstance(ref, dict) or any(not ref.get(field) for field in fields):
            problems.append("%s must name the Secret and its keys (%s), got %r" % (_var(key), ", ".join(fields), ref))

    ingress_annotations = params.get("ingress_annotations") or {}
    if not isinstance(ingress_annotations, dict) or not all(isinstance(v, str) for v in ingress_annotations.values()):
        problems.append("%s must map annotation names to strings (quote numbers such as '64m'), got %r"
                        % (_var("ingress_annotations"), ingress_annotations))
    extra_env = params.get("extra_env") or {}
    if not isinstance(extra_env, dict):
        problems.append("%s must be a dict of environment variables, got %r" % (_var("extra_env"), extra_env))
    else:
        bad = sorted(str(k) for k in extra_env if not _ENV_NAME.match(str(k)))
        if bad:
            problems.append("%s has invalid variable names %s" % (_var("extra_env"), ", ".join(bad)))
        nested = sorted(str(k) for k, v in extra_env.items() if isinstance(v, (dict, list)) or v is None)
        if nested:
            problems.append("%s values must be strings, numbers or booleans; %s are not" % (_var("extra_env"), ", ".join(nested)))
    pod_annotations = params.get("pod_annotations") or {}
    if not isinstance(pod_annotations, dict) or not all(isinstance(v, str) for v in pod_annotations.values()):
        problems.append("%s must map annotation names to strings, got %r" % (_var("pod_annotations"), pod_annotations))
    extra_values = params.get("extra_values") or {}
    if not isinstance(extra_values, dict):
        problems.append("%s must be a dict merged into spec.values, got %r" % (_var("extra_values"), extra_values))
    problems.extend(chart_problems(params.get("platform_chart") or {}, _truthy(params.get("airgapped", False))))
    return problems


def deep_merge(base, override):
    """A copy of base with override merged in: dicts merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _env_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def bucket_values(bucket, secret):
    """global.bucket for an S3-compatible store behind url: name host:port, path bucket[?tls=true]."""
    _scheme, host, port, tls = endpoint_url_parts(bucket["url"])
    path = str(bucket["name"])
    if tls:
        path += "?tls=true"
    return {
        "provider": "s3",
        "name": "%s:%s" % (host, port),
        "path": path,
        "region": str(bucket["region"]),
        "secret": {
            "secretName": secret["name"],
            "accessKeyName": secret["access_key_key"],
            "secretKeyName": secret["secret_key_key"],
        },
    }


def render_cr_v1(params):
    """The apps.wandb.com/v1 WeightsAndBiases resource; raises ValueError listing every problem."""
    problems = cr_v1_problems(params)
    if problems:
        raise ValueError("; ".join(problems))
    mysql = params["mysql"]
    redis = params["redis"]
    global_values = {
        "host": params["host"].rstrip("/"),
        "licenseSecret": {"name": params["license_secret"]["name"], "key": params["license_secret"]["key"]},
        "bucket": bucket_values(params["bucket"], params["bucket_secret"]),
        "mysql": {
            "host": str(mysql["host"]),
            "port": int(mysql["port"]),
            "database": str(mysql["database"]),
            "user": str(mysql["user"]),
            "passwordSecret": {"name": params["mysql_secret"]["name"], "passwordKey": params["mysql_secret"]["key"]},
        },
        "redis": {
            "host": str(redis["host"]),
            "port": int(redis["port"]),
            "secret": {"secretName": params["redis_secret"]["name"], "secretKey": params["redis_secret"]["key"]},
        },
    }
    if mysql.get("ca_cert"):
        global_values["mysql"]["caCert"] = str(mysql["ca_cert"]).strip() + "\n"
    if _truthy(redis.get("tls", False)) or redis.get("ca_cert"):
        global_values["redis"]["parameters"] = {"tls": "true"}
    if redis.get("ca_cert"):
        global_values["redis"]["caCert"] = str(redis["ca_cert"]).strip() + "\n"
    extra_env = dict((str(k), _env_value(v)) for k, v in (params.get("extra_env") or {}).items())
    if extra_env:
        global_values["extraEnv"] = extra_env
    if params.get("ca_configmap"):
        global_values["caCertsConfigMap"] = params["ca_configmap"]
    # On every pod of the platform chart (wandb-base merges global.pod.annotations into each pod
    # template): the version of the Secrets and CAs the pods read, so a change rolls them.
    if params.get("pod_annotations"):
        global_values["pod"] = {"annotations": dict(params["pod_annotations"])}

    values = {
        "global": global_values,
        # External MySQL and Redis: the platform chart must not install its own.
        "mysql": {"install": False},
        "redis": {"install": False},
    }
    ingress = {}
    if params.get("ingress_class"):
        ingress["class"] = params["ingress_class"]
    if params.get("ingress_annotations"):
        ingress["annotations"] = dict(params["ingress_annotations"])
    if ingress:
        values["ingress"] = ingress
    values = deep_merge(values, params.get("extra_values") or {})

    spec = {"values": values}
    if params.get("platform_chart"):
        spec["chart"] = copy.deepcopy(params["platform_chart"])
    labels = {"app.kubernetes.io/name": "weightsandbiases", "app.kubernetes.io/instance": params["cr_name"],
              "app.kubernetes.io/managed-by": "onprem.wandb"}
    labels.update(params.get("labels") or {})
    return {
        "apiVersion": API_VERSION_V1,
        "kind": KIND,
        "metadata": {"name": params["cr_name"], "namespace": params["cr_namespace"], "labels": labels},
        "spec": spec,
    }


def spec_drift(expected, live, path="spec"):
    """Where the live resource differs from the one the site's declarations render, one sentence per leaf.

    Only what the site renders is compared (the API server and the controller may add fields); each
    sentence names the field, the declared value and the value W&B was given.
    """
    if isinstance(expected, dict) and isinstance(live, dict):
        drift = []
        for key in sorted(expected):
            drift.extend(spec_drift(expected[key], live.get(key), "%s.%s" % (path, key)))
        return drift
    if expected == live:
        return []
    if live is None:
        return ["%s: the site declares %r, the resource has none" % (path, expected)]
    return ["%s: the site declares %r, the resource has %r" % (path, expected, live)]


RENDERERS = {"v1": (cr_v1_problems, render_cr_v1)}


def plain_data(value):
    """value with every mapping a dict and every sequence a list, recursively.

    A filter's input arrives as ansible-core's lazy containers, which hold the templar: copying one
    (deep_merge, the chart's copy) copies the plugin loaders, which ansible-core 2.21 reports as a
    deprecation on every run. The renderers work on plain data only.
    """
    if isinstance(value, Mapping):
        return dict((key, plain_data(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    return value


def renderer(api_version):
    """(problems, render) functions of an API version, taking plain or lazy input; ValueError naming
    the versions that exist."""
    if api_version not in RENDERERS:
        raise ValueError("api_version must be one of %s, got %r" % (", ".join(sorted(RENDERERS)), api_version))
    problems, render = RENDERERS[api_version]
    return (lambda params: problems(plain_data(params))), (lambda params: render(plain_data(params)))
