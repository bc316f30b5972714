# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator stage's verify judgement, from what the check entry point read from the cluster.

Beside the renderer (wandb_cr.py) because it compares the live resource with what the site's
declarations render. Input is plain data (the k8s_info / k8s_cluster_info results); output is the
checks in the checklist shape (module_utils/checklist.py) for the report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.onprem.wandb.plugins.module_utils.checklist import failed, not_run, passed
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import judge_version
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import MYSQL_CA_PATH, REDIS_CA_PATH
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import bucket_values, renderer, spec_drift

try:  # Python 3
    from urllib.parse import parse_qsl, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urlparse import parse_qsl, urlsplit

ALWAYS_REQUIRED = ("kubernetes", "controller", "resource", "spec", "secrets")
# What only a reconciled resource has: required with require_completed.
RECONCILED = ("phase", "platform", "platform_env", "ingress")
RELEASE_ANNOTATION = "meta.helm.sh/release-name"


def _resources(read):
    return list((read or {}).get("resources") or [])


def kubernetes_check(cluster_info, follows=None):
    """W&B's Kubernetes policy for the server version k8s_cluster_info read."""
    if not cluster_info or cluster_info.get("failed"):
        return failed("cannot read the cluster's version: %s" % (cluster_info or {}).get("msg", "no answer"))
    server = ((cluster_info.get("version") or {}).get("server") or {}).get("kubernetes") or {}
    version = server.get("gitVersion") or "%s.%s" % (server.get("major", ""), server.get("minor", ""))
    return judge_version("kubernetes", version, "kubernetes", follows=follows or None)


def controller_check(deployment_read, where, namespace):
    items = _resources(deployment_read)
    if deployment_read and deployment_read.get("failed"):
        return failed("cannot read Deployment %s: %s" % (where, deployment_read.get("msg", "")))
    if not items:
        return failed("Deployment %s does not exist: the operator chart is not installed in %s" % (where, namespace))
    available = [c for item in items for c in ((item.get("status") or {}).get("conditions") or [])
                 if c.get("type") == "Available"]
    if any(c.get("status") == "True" for c in available):
        return passed("Deployment %s is Available" % where, expected="Available", found="Available")
    return failed("Deployment %s is not Available: %s" % (
        where, "; ".join(c.get("message", "") for c in available) or "no Available condition"),
        expected="Available", found="not Available")


def release_items(items, release):
    """The objects Helm made for `release` (its release-name annotation), sorted by name."""
    mine = [item for item in items or []
            if ((item.get("metadata") or {}).get("annotations") or {}).get(RELEASE_ANNOTATION) == release]
    return sorted(mine, key=lambda item: item["metadata"].get("name", ""))


def rollout_problems(deployment):
    """Why a Deployment is not rolled out and Available (empty when it is), one sentence each.

    The rollout is done the way kubectl rollout status judges it: the generation observed, every
    replica updated, no old replica left, every updated replica available; and Available is true.
    """
    meta = deployment.get("metadata") or {}
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    wanted = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    problems = []
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        problems.append("generation %s not yet observed (at %s)" % (meta.get("generation"), status.get("observedGeneration", 0)))
    if updated < wanted:
        problems.append("%s of %s replicas updated" % (updated, wanted))
    if status.get("replicas", 0) > updated:
        problems.append("%s old replicas still running" % (status.get("replicas", 0) - updated))
    if status.get("availableReplicas", 0) < max(updated, wanted):
        problems.append("%s of %s replicas available" % (status.get("availableReplicas", 0), max(updated, wanted)))
    conditions = dict((c.get("type"), c) for c in status.get("conditions") or [])
    if (conditions.get("Available") or {}).get("status") != "True":
        problems.append("not Available (%s)" % ((conditions.get("Available") or {}).get("message") or "no Available condition"))
    if (conditions.get("Progressing") or {}).get("reason") == "ProgressDeadlineExceeded":
        problems.append("progress deadline exceeded (%s)" % conditions["Progressing"].get("message", ""))
    return problems


def platform_rollout(deployments_read, release):
    """{ready, names, problems}: whether every Deployment of the release is rolled out and Available."""
    items = release_items(_resources(deployments_read), release)
    names = [item["metadata"]["name"] for item in items]
    if not items:
        return {"ready": False, "names": [], "problems": ["the Helm release %s has no Deployments (yet)" % release]}
    judged = [(item["metadata"]["name"], rollout_problems(item)) for item in items]
    problems = ["%s: %s" % (name, ", ".join(reasons)) for name, reasons in judged if reasons]
    return {"ready": not problems, "names": names, "problems": problems}


def container_env(container, configmaps):
    """A container's environment as Kubernetes builds it: envFrom ConfigMaps in order, then env.

    Values are strings; a secretKeyRef is ("secret", name, key); a ConfigMap that does not exist
    contributes nothing (the kubelet would refuse a required one, which rollout reports).
    """
    env = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref:
            data = (configmaps.get(ref.get("name")) or {}).get("data") or {}
            env.update(((source.get("prefix") or "") + key, value) for key, value in data.items())
    for entry in container.get("env") or []:
        value_from = entry.get("valueFrom") or {}
        if "value" in entry:
            env[entry["name"]] = entry.get("value")
        elif value_from.get("secretKeyRef"):
            ref = value_from["secretKeyRef"]
            env[entry["name"]] = ("secret", ref.get("name"), ref.get("key"))
        elif value_from.get("configMapKeyRef"):
            ref = value_from["configMapKeyRef"]
            env[entry["name"]] = ((configmaps.get(ref.get("name")) or {}).get("data") or {}).get(ref.get("key"))
        else:
            env[entry["name"]] = ("field", value_from)
    return env


def expected_platform_env(inputs):
    """The variables W&B's containers must carry for the endpoints and Secrets the site declares."""
    bucket = bucket_values(inputs["bucket"], inputs["bucket_secret"])
    mysql, redis = inputs["mysql"], inputs["redis"]
    expected = {
        "MYSQL_HOST": str(mysql["host"]), "MYSQL_PORT": str(mysql["port"]),
        "MYSQL_DATABASE": str(mysql["database"]), "MYSQL_USER": str(mysql["user"]),
        "MYSQL_PASSWORD": ("secret", inputs["mysql_secret"]["name"], inputs["mysql_secret"]["key"]),
        "REDIS_HOST": str(redis["host"]), "REDIS_PORT": str(redis["port"]),
        "REDIS_PASSWORD": ("secret", inputs["redis_secret"]["name"], inputs["redis_secret"]["key"]),
        "BUCKET_NAME": bucket["name"], "BUCKET_PATH": bucket["path"], "AWS_REGION": bucket["region"],
        "BUCKET_ACCESS_KEY": ("secret", inputs["bucket_secret"]["name"], inputs["bucket_secret"]["access_key_key"]),
        "BUCKET_SECRET_KEY": ("secret", inputs["bucket_secret"]["name"], inputs["bucket_secret"]["secret_key_key"]),
        "LICENSE": ("secret", inputs["license_secret"]["name"], inputs["license_secret"]["key"]),
    }
    # With the site's CAs W&B must verify MySQL and Redis with them (the chart's mount paths).
    if mysql.get("ca_cert"):
        expected["MYSQL_CA_CERT_PATH"] = MYSQL_CA_PATH
    if redis.get("ca_cert"):
        expected["REDIS_PARAMS"] = ("query", {"tls": "true", "caCertPath": REDIS_CA_PATH})
    return expected


def _shown(value):
    if isinstance(value, (tuple, list)) and value and value[0] == "secret":
        return "Secret %s key %s" % (value[1], value[2])
    if isinstance(value, tuple) and value and value[0] == "query":
        return "a query with %s" % "&".join("%s=%s" % pair for pair in sorted(value[1].items()))
    return repr(value)


def platform_env_check(deployments_read, configmaps_read, inputs, release):
    """Whether the live W&B containers carry the declared endpoints and the role's Secret references.

    Every container of the release that sets one of the variables must set it as declared; the
    W&B app container (the one with MYSQL_HOST) must set all of them.
    """
    expected = expected_platform_env(inputs)
    configmaps = dict((item["metadata"]["name"], item) for item in _resources(configmaps_read))
    wrong, complete = [], []
    for deployment in release_items(_resources(deployments_read), release):
        pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
        for container in pod.get("containers") or []:
            env = container_env(container, configmaps)
            where = "%s/%s" % (deployment["metadata"]["name"], container.get("name"))
            for name in sorted(expected):
                if name in env and not _matches(env[name], expected[name]):
                    wrong.append("%s %s is %s, the site declares %s" % (where, name, _shown(env[name]), _shown(expected[name])))
            if "MYSQL_HOST" in env:
                missing = [name for name in sorted(expected) if name not in env]
                if missing:
                    wrong.append("%s lacks %s" % (where, ", ".join(missing)))
                else:
                    complete.append(where)
    if wrong:
        return failed("; ".join(wrong))
    if not complete:
        return failed("no container of the release %s carries MYSQL_HOST: the platform chart did not make W&B's app" % release)
    return passed("%s carry the declared MySQL, Redis and bucket endpoints and the role's Secrets" % ", ".join(complete))


def _normal(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _matches(found, expected):
    """Whether a live value is the declared one; ("query", {k: v}) means a ?query string holding those pairs."""
    if isinstance(expected, tuple) and expected and expected[0] == "query":
        if not isinstance(found, str):
            return False
        pairs = dict(parse_qsl(found.lstrip("?"), keep_blank_values=True))
        return all(pairs.get(key) == value for key, value in expected[1].items())
    return _normal(found) == _normal(expected)


def ingress_check(ingresses_read, host_url, release):
    """Whether every Ingress of the release routes the host users open (wandb_url)."""
    host = urlsplit(str(host_url)).hostname
    items = release_items(_resources(ingresses_read), release)
    if not items:
        return failed("the release %s has no Ingress" % release, expected=host, found=None)
    found = sorted(set(rule.get("host") for item in items for rule in (item.get("spec") or {}).get("rules") or []))
    if found == [host]:
        return passed("Ingress %s routes %s" % (", ".join(i["metadata"]["name"] for i in items), host), expected=host, found=host)
    return failed("the release's Ingress routes %s, not %s (wandb_url)" % (", ".join(str(h) for h in found) or "no host", host),
                  expected=host, found=", ".join(str(h) for h in found))


def operator_checks(reads, inputs, namespace, deployment_name, secret_names, api_version="v1", follows=None,
                    require_completed=True):
    """Checks (kubernetes, controller, resource, spec, secrets, phase) and which are required.

    reads: {cluster, deployment, resource, secrets} registered k8s results; inputs: the renderer's
    input dict; namespace/deployment_name: the operator's controller; secret_names: the Secrets the
    resource references; follows: the site's earlier Kubernetes minimum
    (wandb_operator_kubernetes_follows).
    """
    where = "%s/%s" % (namespace, deployment_name)
    cr = "WeightsAndBiases %s/%s" % (inputs.get("cr_namespace"), inputs.get("cr_name"))
    live = (_resources(reads.get("resource")) or [{}])[0]
    checks = {
        "kubernetes": kubernetes_check(reads.get("cluster"), follows),
        "controller": controller_check(reads.get("deployment"), where, namespace),
        "resource": passed("%s exists" % cr) if live else failed(
            "%s does not exist (%s)" % (cr, (reads.get("resource") or {}).get("msg") or "not found")),
    }
    problems_of, render = renderer(api_version)
    input_problems = problems_of(inputs)
    if not live:
        checks["spec"] = not_run("%s does not exist" % cr)
    elif input_problems:
        checks["spec"] = not_run("the inventory cannot render the resource (%s)" % "; ".join(input_problems))
    else:
        drift = spec_drift(render(inputs)["spec"], live.get("spec") or {})
        checks["spec"] = passed("matches the endpoints the site declares") if not drift else failed(
            "W&B was not given what the site declares: %s; run onprem.wandb.wandb_operator" % "; ".join(drift))
    wanted = list(secret_names)
    present = [item.get("metadata", {}).get("name") for item in _resources(reads.get("secrets"))]
    missing = [name for name in wanted if name not in present]
    checks["secrets"] = passed(", ".join(wanted)) if not missing else failed(
        "missing in %s: %s" % (inputs.get("cr_namespace"), ", ".join(missing)))
    phase = (live.get("status") or {}).get("phase")
    if phase == "Completed":
        checks["phase"] = passed("Completed", expected="Completed", found=phase)
    else:
        checks["phase"] = failed("%s has status.phase %s; kubectl -n %s logs deploy/%s says why" % (
            cr, phase or "(none: no controller has reconciled it)", namespace, deployment_name),
            expected="Completed", found=phase)
    release = str(inputs.get("cr_name"))
    if "platform" in reads:
        rollout = platform_rollout(reads.get("platform"), release)
        checks["platform"] = passed("%s Available" % ", ".join(rollout["names"])) if rollout["ready"] else failed(
            "; ".join(rollout["problems"]))
        if input_problems:
            checks["platform_env"] = not_run("the inventory cannot render the resource")
        else:
            checks["platform_env"] = platform_env_check(reads.get("platform"), reads.get("configmaps"), inputs, release)
        checks["ingress"] = ingress_check(reads.get("ingresses"), inputs.get("host"), release)
    required = list(ALWAYS_REQUIRED) + ([name for name in RECONCILED if name in checks] if require_completed else [])
    return {"checks": checks, "required": required}
