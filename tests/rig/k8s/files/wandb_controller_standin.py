"""STAND-IN for W&B's operator controller (wandb/controller, operator v1), test rig only.

The real controller image cannot be had on these machines, so the rig's test cluster runs this
program beside the API server (a systemd unit in the control-plane container). It implements the
documented behaviour of the v1 controller in air-gapped mode, nothing more:

* It acts only while an operator is installed: a Deployment labelled
  control-plane=controller-manager with a container named "manager" (what W&B's operator chart
  makes). That Deployment's AIRGAPPED environment variable is the mode.
* For each WeightsAndBiases resource (apps.wandb.com/v1, every namespace) it adds the finalizer
  finalizer.app.wandb.com, then installs or upgrades the chart spec.chart names (a Helm
  repository {url, name, version}, an OCI reference {url: oci://..., version} or a local
  {path}) with spec.values, as the Helm release named after the resource in its namespace.
* status.phase goes Loading -> Completed when Helm returns (it does not wait for pods, like v1),
  or "Invalid Config" when there is no spec.chart while air-gapped (v1 cannot ask W&B's deployer
  then) or when the Helm install fails; status.version is the chart version installed.
* The applied spec (chart and values) is kept in the Secret <name>-spec-active; an unchanged
  spec is not applied again. A failed spec is not retried until the resource changes.
* On delete it uninstalls the release, then removes the finalizer.

It records Events on the resource (Reconciling, ApplyFailed, Deleted) as v1 does.
Configuration (environment): KUBECONFIG, HELM (the helm binary), STANDIN_PLAIN_HTTP_REGISTRIES
(space-separated host:port of OCI registries the rig serves without TLS), STANDIN_INTERVAL.
"""

import base64
import datetime
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException

GROUP, VERSION, PLURAL, KIND = "apps.wandb.com", "v1", "weightsandbiases", "WeightsAndBiases"
FINALIZER = "finalizer.app.wandb.com"
LOG = logging.getLogger("wandb-controller-standin")


def spec_digest(spec):
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def helm_chart_args(chart, plain_http_registries):
    """The helm arguments that name the chart of spec.chart; ValueError if it names none."""
    if chart.get("path"):
        return [chart["path"]]
    url = str(chart.get("url") or "")
    version = str(chart.get("version") or "")
    if url.startswith("oci://"):
        args = [url.rstrip("/")] + (["--version", version] if version else [])
        host = url[len("oci://"):].split("/", 1)[0]
        return args + (["--plain-http"] if host in plain_http_registries else [])
    if url.startswith(("http://", "https://")) and chart.get("name"):
        return [chart["name"], "--repo", url] + (["--version", version] if version else [])
    raise ValueError("spec.chart names no chart (url+name, oci:// url or path): %r" % (chart,))


class StandIn(object):
    def __init__(self, api, helm, plain_http_registries):
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.helm = helm
        self.plain_http_registries = plain_http_registries
        self.failed = {}  # (namespace, name) -> digest of the spec that failed

    def operator_mode(self):
        """None when no operator is installed, else whether it runs air-gapped."""
        deployments = self.apps.list_deployment_for_all_namespaces(label_selector="control-plane=controller-manager").items
        for deployment in deployments:
            for container in deployment.spec.template.spec.containers:
                if container.name == "manager":
                    env = dict((e.name, e.value) for e in (container.env or []))
                    return str(env.get("AIRGAPPED", "false")).lower() == "true"
        return None

    def event(self, cr, reason, message, kind="Normal"):
        meta = cr["metadata"]
        now = datetime.datetime.now(datetime.timezone.utc)
        body = client.CoreV1Event(
            metadata=client.V1ObjectMeta(generate_name=meta["name"] + "-", namespace=meta["namespace"]),
            involved_object=client.V1ObjectReference(api_version="%s/%s" % (GROUP, VERSION), kind=KIND,
                                                     name=meta["name"], namespace=meta["namespace"], uid=meta["uid"]),
            reason=reason, message=message[-1000:], type=kind, first_timestamp=now, last_timestamp=now, count=1,
            source=client.V1EventSource(component="wandb-controller-standin"))
        try:
            self.core.create_namespaced_event(meta["namespace"], body)
        except ApiException as error:
            LOG.warning("event %s on %s/%s not recorded: %s", reason, meta["namespace"], meta["name"], error.reason)

    def set_status(self, cr, phase, version=None):
        status = dict(cr.get("status") or {})
        wanted = dict(status, phase=phase)
        if version is not None:
            wanted["version"] = version
        if wanted == status:
            return
        meta = cr["metadata"]
        self.custom.patch_namespaced_custom_object_status(GROUP, VERSION, meta["namespace"], PLURAL, meta["name"],
                                                          {"status": wanted})
        cr["status"] = wanted
        LOG.info("%s/%s: phase %s", meta["namespace"], meta["name"], phase)

    def active_secret(self, cr):
        meta = cr["metadata"]
        try:
            secret = self.core.read_namespaced_secret(meta["name"] + "-spec-active", meta["namespace"])
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return (secret.metadata.annotations or {}).get("onprem-wandb.test/spec-digest")

    def write_active(self, cr, spec):
        meta = cr["metadata"]
        body = client.V1Secret(
            metadata=client.V1ObjectMeta(
                name=meta["name"] + "-spec-active", namespace=meta["namespace"],
                annotations={"onprem-wandb.test/spec-digest": spec_digest(spec)},
                labels={"app.kubernetes.io/managed-by": "wandb-controller-standin"},
                owner_references=[client.V1OwnerReference(api_version="%s/%s" % (GROUP, VERSION), kind=KIND,
                                                          name=meta["name"], uid=meta["uid"])]),
            type="Opaque", data={"spec": base64.b64encode(json.dumps(spec, sort_keys=True).encode()).decode()})
        try:
            self.core.replace_namespaced_secret(body.metadata.name, meta["namespace"], body)
        except ApiException as error:
            if error.status != 404:
                raise
            self.core.create_namespaced_secret(meta["namespace"], body)

    def run_helm(self, *args):
        return subprocess.run([self.helm] + list(args), capture_output=True, text=True, timeout=900, check=False)

    def apply(self, cr, spec):
        """helm upgrade --install; returns (ok, chart version or error text)."""
        meta = cr["metadata"]
        try:
            chart_args = helm_chart_args(spec["chart"], self.plain_http_registries)
        except ValueError as error:
            return False, str(error)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as values:
            os.chmod(values.name, 0o600)
            json.dump(spec.get("values") or {}, values)
        try:
            run = self.run_helm("upgrade", "--install", meta["name"], *chart_args, "--namespace", meta["namespace"],
                                "--values", values.name, "--timeout", "600s", "--output", "json")
        finally:
            os.unlink(values.name)
        if run.returncode != 0:
            return False, (run.stderr or run.stdout).strip()
        release = json.loads(run.stdout)
        return True, release["chart"]["metadata"]["version"]

    def reconcile(self, cr, airgapped):
        meta = cr["metadata"]
        key = (meta["namespace"], meta["name"])
        if meta.get("deletionTimestamp"):
            if FINALIZER in (meta.get("finalizers") or []):
                run = self.run_helm("uninstall", meta["name"], "--namespace", meta["namespace"], "--ignore-not-found")
                if run.returncode != 0:
                    LOG.error("%s/%s: uninstall failed: %s", key[0], key[1], run.stderr.strip())
                    return
                self.event(cr, "Deleted", "release %s uninstalled" % meta["name"])
                finalizers = [f for f in meta["finalizers"] if f != FINALIZER]
                self.custom.patch_namespaced_custom_object(GROUP, VERSION, key[0], PLURAL, key[1],
                                                           {"metadata": {"finalizers": finalizers,
                                                                         "resourceVersion": meta["resourceVersion"]}})
                LOG.info("%s/%s: uninstalled, finalizer removed", key[0], key[1])
            self.failed.pop(key, None)
            return
        spec = {"chart": (cr.get("spec") or {}).get("chart") or {}, "values": (cr.get("spec") or {}).get("values") or {}}
        digest = spec_digest(spec)
        if self.failed.get(key) == digest:
            return
        if not spec["chart"]:
            # v1: air-gapped, only spec.chart can name a release; online it would ask deploy.wandb.ai,
            # which no test machine reaches.
            self.event(cr, "InvalidConfig", "no spec.chart (air-gapped: %s)" % airgapped, "Warning")
            self.set_status(cr, "Invalid Config")
            self.failed[key] = digest
            return
        if FINALIZER not in (meta.get("finalizers") or []):
            self.custom.patch_namespaced_custom_object(GROUP, VERSION, key[0], PLURAL, key[1],
                                                       {"metadata": {"finalizers": (meta.get("finalizers") or []) + [FINALIZER],
                                                                     "resourceVersion": meta["resourceVersion"]}})
        if self.active_secret(cr) == digest and (cr.get("status") or {}).get("phase") == "Completed":
            return
        self.event(cr, "Reconciling", "Reconciling")
        self.set_status(cr, "Loading")
        ok, detail = self.apply(cr, spec)
        if not ok:
            LOG.error("%s/%s: apply failed: %s", key[0], key[1], detail)
            self.event(cr, "ApplyFailed", "Invalid config for apply: %s" % detail, "Warning")
            self.set_status(cr, "Invalid Config")
            self.failed[key] = digest
            return
        self.write_active(cr, spec)
        self.failed.pop(key, None)
        self.set_status(cr, "Completed", detail)

    def pass_once(self):
        airgapped = self.operator_mode()
        if airgapped is None:
            return
        resources = self.custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)["items"]
        for cr in resources:
            try:
                self.reconcile(cr, airgapped)
            except ApiException as error:
                if error.status != 409:  # a newer version arrived: the next pass takes it
                    LOG.exception("%s/%s", cr["metadata"]["namespace"], cr["metadata"]["name"])


def main():
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(message)s")
    config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))
    standin = StandIn(client.ApiClient(), os.environ.get("HELM", "helm"),
                      set(os.environ.get("STANDIN_PLAIN_HTTP_REGISTRIES", "").split()))
    interval = float(os.environ.get("STANDIN_INTERVAL", "2"))
    LOG.info("STAND-IN for the W&B v1 controller: watching %s.%s", PLURAL, GROUP)
    while True:
        try:
            standin.pass_once()
        except ApiException as error:
            if error.status != 404:  # 404: the CRD is not installed yet
                LOG.warning("API: %s %s", error.status, error.reason)
        except Exception:  # noqa: BLE001 - a long-running loop logs and carries on
            LOG.exception("pass failed")
        time.sleep(interval)


if __name__ == "__main__":
    main()
