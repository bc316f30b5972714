"""Verify the operator role against the real Kubernetes API server the scenario runs (Go-built
kube-apiserver 1.36 with etcd, controller-manager, scheduler and kwok nodes) and W&B's real charts
served by the rig's internal chart mirror (Helm repository and OCI registry, tests/rig/k8s/chart_mirror.yml):
the real CRD and its explicit upgrade, the operator release from each source, the Secrets, the
WeightsAndBiases resource, the platform chart's Deployments and their environment, check mode,
the waits and the refusal of bad input before anything is applied.

The real W&B controller image cannot be had here, so the rig runs a STAND-IN for it
(tests/rig/k8s/files/wandb_controller_standin.py) with v1's documented behaviour: it installs
spec.chart with spec.values as the release named after the resource, writes status.phase and the
<name>-spec-active Secret, and uninstalls on delete. Its own behaviour is tested here too
(test_standin_*)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from playbook_run import assert_rejected_before_change, run_playbook
from pki import write_test_pki

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
KUBECONFIG = EPHEMERAL / "kubeconfig"
GROUP, VERSION, PLURAL = "apps.wandb.com", "v1", "weightsandbiases"
CR_NAMESPACE, CR_NAME = "default", "wandb"
OPERATOR_NAMESPACE = "wandb-cr"
CRD_NAME = "weightsandbiases.apps.wandb.com"


def mirror():
    """The chart mirror's coordinates, as tests/rig/k8s/chart_mirror.yml wrote them."""
    return yaml.safe_load((EPHEMERAL / "chart-mirror.yml").read_text())


def helm_json(*args):
    out = subprocess.run(["helm", *args, "-o", "json", "--kubeconfig", str(KUBECONFIG)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def api():
    return config.new_client_from_config(config_file=str(KUBECONFIG))


@pytest.fixture(scope="module")
def inventory():
    """The scenario's inventory as Ansible resolves it (the hosts standing for MinIO, MySQL, Redis)."""
    out = subprocess.run([str(Path(os.sys.executable).parent / "ansible-inventory"), "-i",
                          str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent), "--list"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["_meta"]["hostvars"]


def custom(api):
    return client.CustomObjectsApi(api)


def get_cr(api):
    return custom(api).get_namespaced_custom_object(GROUP, VERSION, CR_NAMESPACE, PLURAL, CR_NAME)


def secret_values(inventory):
    return [
        inventory["k8s-admin"]["wandb_license"],
        inventory["k8s-admin"]["wandb_operator_bucket_secret_key"],
        inventory["k8s-admin"]["wandb_operator_mysql_password"],
        inventory["k8s-admin"]["wandb_operator_redis_password"],
    ]


def chart_crd():
    """The CRD in the operator chart's crds/, read from the mirror's archive."""
    archive = next(a for a in mirror()["archives"] if Path(a).name.startswith("operator-1"))
    out = subprocess.run(["helm", "show", "crds", archive], capture_output=True, text=True, check=True).stdout
    return next(d for d in yaml.safe_load_all(out) if d and d["kind"] == "CustomResourceDefinition")


def release_deployments(api, namespace=CR_NAMESPACE, release=CR_NAME):
    """The Deployments Helm made for the release (by its labels and annotation), by name."""
    items = client.AppsV1Api(api).list_namespaced_deployment(namespace, label_selector="app.kubernetes.io/managed-by=Helm").items
    return {d.metadata.name: d for d in items if (d.metadata.annotations or {}).get("meta.helm.sh/release-name") == release}


def app_env(api):
    """The W&B app container's env entries (name -> V1EnvVar), read from the live Deployment."""
    app = next(d for d in release_deployments(api).values()
               if any(e.name == "MYSQL_HOST" for c in d.spec.template.spec.containers for e in (c.env or [])))
    container = next(c for c in app.spec.template.spec.containers if any(e.name == "MYSQL_HOST" for e in (c.env or [])))
    return {e.name: e for e in container.env}, container


def deployed_release(name, namespace):
    """The release's one deployed revision, from helm history."""
    history = helm_json("history", name, "-n", namespace)
    deployed = [entry for entry in history if entry["status"] == "deployed"]
    assert len(deployed) == 1, history
    return deployed[0]


def platform_release():
    return deployed_release(CR_NAME, CR_NAMESPACE)


def operator_release_chart():
    return deployed_release("operator", OPERATOR_NAMESPACE)["chart"]


def run_checks():
    run = run_playbook("check.yml")
    assert run.rc == 0, run.failure_messages()
    return next(r for name, _h, r in run.tasks if name == "Show the checks")["wandb_operator_check"]


def test_crd_is_the_real_one_from_the_chart_and_established(api):
    crd = client.ApiextensionsV1Api(api).read_custom_resource_definition(CRD_NAME)
    shipped = chart_crd()
    assert crd.spec.group == GROUP and crd.spec.names.kind == "WeightsAndBiases" and crd.spec.names.short_names == ["wandb"]
    assert [v.name for v in crd.spec.versions] == ["v1"]
    live_schema = client.ApiClient().sanitize_for_serialization(crd.spec.versions[0].schema.open_apiv3_schema)
    assert live_schema == shipped["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert crd.metadata.annotations["onprem.wandb/operator-chart-version"] == "1.4.8"
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions.get("Established") == "True"


def test_operator_release_from_the_mirror_with_air_gapped_values():
    status = helm_json("status", "operator", "-n", OPERATOR_NAMESPACE)
    assert status["info"]["status"] == "deployed"
    assert operator_release_chart() == "operator-1.4.8"
    values = helm_json("get", "values", "operator", "-n", OPERATOR_NAMESPACE)
    assert values["image"] == {"repository": "registry.example.test/wandb/controller", "tag": "1.20.0",
                               "pullPolicy": "IfNotPresent", "pullSecrets": ["registry-credentials"]}
    assert values["airgapped"] is True
    ca = (EPHEMERAL / "k8s-pki" / "ca.crt").read_text().strip()
    assert values["customCACerts"] == [ca]


def test_controller_deployment_available_with_the_values(api):
    deployment = client.AppsV1Api(api).read_namespaced_deployment("wandb-controller-manager", OPERATOR_NAMESPACE)
    conditions = {c.type: c.status for c in deployment.status.conditions}
    assert conditions["Available"] == "True"
    assert deployment.status.available_replicas == 1
    pod = deployment.spec.template.spec
    manager = pod.containers[0]
    assert manager.name == "manager"
    assert manager.image == "registry.example.test/wandb/controller:1.20.0"
    assert manager.image_pull_policy == "IfNotPresent"
    env = {e.name: e.value for e in manager.env}
    assert env["AIRGAPPED"] == "true" and env["SSL_CERT_DIR"] == "/certs/"
    assert [s.name for s in pod.image_pull_secrets] == ["registry-credentials"]
    pods = client.CoreV1Api(api).list_namespaced_pod(OPERATOR_NAMESPACE, label_selector="control-plane=controller-manager")
    assert [p.spec.node_name for p in pods.items] == ["kwok-node-0"]
    assert all(p.status.phase == "Running" for p in pods.items)


def test_secrets_hold_the_inventory_secrets(api, inventory):
    core = client.CoreV1Api(api)

    def data(name):
        secret = core.read_namespaced_secret(name, CR_NAMESPACE)
        assert secret.metadata.labels["app.kubernetes.io/managed-by"] == "onprem.wandb"
        return {k: base64.b64decode(v).decode() for k, v in secret.data.items()}

    admin = inventory["k8s-admin"]
    assert data("wandb-license") == {"license": admin["wandb_license"]}
    assert data("wandb-bucket") == {"ACCESS_KEY": admin["wandb_bucket_access_key"],
                                    "SECRET_KEY": admin["wandb_operator_bucket_secret_key"]}
    assert data("wandb-mysql") == {"password": admin["wandb_operator_mysql_password"]}
    assert data("wandb-redis") == {"password": admin["wandb_operator_redis_password"]}


def test_resource_matches_the_inventory_and_references_existing_secrets(api, inventory):
    cr = get_cr(api)
    values = cr["spec"]["values"]
    site = inventory["k8s-admin"]
    assert values["global"]["host"] == site["wandb_url"]
    # The declared endpoint, https on 443: W&B and browsers get the name and TLS.
    assert values["global"]["bucket"]["name"] == "s3.example.test:443"
    assert values["global"]["bucket"]["path"] == f"{site['wandb_bucket']}?tls=true"
    assert values["global"]["mysql"]["host"] == site["wandb_mysql_host"] and values["global"]["mysql"]["user"] == "wandb_local"
    assert values["global"]["redis"]["host"] == site["wandb_redis_host"] and values["global"]["redis"]["port"] == site["wandb_redis_port"]
    assert values["mysql"] == {"install": False} and values["redis"] == {"install": False}
    assert values["ingress"]["class"] == "nginx"
    assert values["global"]["extraEnv"] == {"ENABLE_REGISTRY_UI": "true"}
    assert cr["spec"]["chart"] == {"url": mirror()["repository"], "name": "operator-wandb", "version": "0.43.8"}
    core = client.CoreV1Api(api)
    refs = [
        (values["global"]["licenseSecret"]["name"], values["global"]["licenseSecret"]["key"]),
        (values["global"]["bucket"]["secret"]["secretName"], values["global"]["bucket"]["secret"]["accessKeyName"]),
        (values["global"]["bucket"]["secret"]["secretName"], values["global"]["bucket"]["secret"]["secretKeyName"]),
        (values["global"]["mysql"]["passwordSecret"]["name"], values["global"]["mysql"]["passwordSecret"]["passwordKey"]),
        (values["global"]["redis"]["secret"]["secretName"], values["global"]["redis"]["secret"]["secretKey"]),
    ]
    for name, key in refs:
        assert key in core.read_namespaced_secret(name, CR_NAMESPACE).data, (name, key)
    # Not wandb-ca-certs: the platform chart makes a ConfigMap of that name for the release.
    ca_map = core.read_namespaced_config_map(values["global"]["caCertsConfigMap"], CR_NAMESPACE)
    assert ca_map.metadata.name == "wandb-trusted-cas"
    assert list(ca_map.data) == ["ca.crt"]
    assert "-----BEGIN CERTIFICATE-----" in ca_map.data["ca.crt"]


def test_resource_completed_and_the_platform_release_installed_from_spec_chart(api):
    cr = get_cr(api)
    assert cr["status"] == {"phase": "Completed", "version": "0.43.8"}
    assert "finalizer.app.wandb.com" in cr["metadata"]["finalizers"]
    release = platform_release()
    assert release["chart"] == "operator-wandb-0.43.8"
    # The release carries exactly the resource's spec.values, and the stand-in recorded the spec it applied.
    assert helm_json("get", "values", CR_NAME, "-n", CR_NAMESPACE) == cr["spec"]["values"]
    active = client.CoreV1Api(api).read_namespaced_secret(f"{CR_NAME}-spec-active", CR_NAMESPACE)
    applied = json.loads(base64.b64decode(active.data["spec"]))
    assert applied == {"chart": cr["spec"]["chart"], "values": cr["spec"]["values"]}


def test_platform_deployments_are_available(api):
    deployments = release_deployments(api)
    # Whatever the chart at this version makes: at least W&B's app and console.
    assert {"wandb-app-bc", "wandb-console-bc"} <= set(deployments), sorted(deployments)
    for name, deployment in deployments.items():
        conditions = {c.type: c.status for c in deployment.status.conditions or []}
        assert conditions.get("Available") == "True", name
        assert deployment.status.available_replicas == deployment.spec.replicas, name


def test_platform_env_carries_the_declared_endpoints_and_the_role_secrets(api, inventory):
    site = inventory["k8s-admin"]
    env, container = app_env(api)
    assert env["MYSQL_HOST"].value == site["wandb_mysql_host"]
    assert env["MYSQL_PORT"].value == str(site["wandb_mysql_port"])
    assert env["MYSQL_PASSWORD"].value_from.secret_key_ref.name == "wandb-mysql"
    assert env["MYSQL_PASSWORD"].value_from.secret_key_ref.key == "password"
    assert env["REDIS_PASSWORD"].value_from.secret_key_ref.name == "wandb-redis"
    assert env["BUCKET_SECRET_KEY"].value_from.secret_key_ref.name == "wandb-bucket"
    assert env["BUCKET_SECRET_KEY"].value_from.secret_key_ref.key == "SECRET_KEY"
    assert env["LICENSE"].value_from.secret_key_ref.name == "wandb-license"
    # Redis and the bucket come from the chart's ConfigMaps (envFrom).
    core = client.CoreV1Api(api)
    from_maps = {}
    for source in container.env_from or []:
        if source.config_map_ref:
            from_maps.update(core.read_namespaced_config_map(source.config_map_ref.name, CR_NAMESPACE).data or {})
    assert from_maps["REDIS_HOST"] == site["wandb_redis_host"]
    assert from_maps["BUCKET_NAME"] == "s3.example.test:443" and from_maps["BUCKET_PATH"] == "wandb?tls=true"
    ingress = client.NetworkingV1Api(api).read_namespaced_ingress(CR_NAME, CR_NAMESPACE)
    assert [rule.host for rule in ingress.spec.rules] == ["wandb.example.test"]
    assert ingress.spec.ingress_class_name == "nginx"


def test_verify_checks_pass_on_what_the_real_chart_made():
    checks = run_checks()
    statuses = {name: check["status"] for name, check in checks["checks"].items()}
    assert statuses == {name: "passed" for name in ("kubernetes", "controller", "resource", "spec", "secrets",
                                                    "phase", "platform", "platform_env", "ingress")}, checks
    assert {"phase", "platform", "platform_env", "ingress"} <= set(checks["required"])
    assert "wandb-app-bc/app" in checks["checks"]["platform_env"]["reason"]


def test_verify_fails_when_a_deployment_env_drifts_from_the_site(api):
    apps = client.AppsV1Api(api)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
        {"name": "MYSQL_HOST", "value": "drifted.example.test"}]}]}}}}
    apps.patch_namespaced_deployment("wandb-app-bc", CR_NAMESPACE, patch)
    try:
        checks = run_checks()
        env_check = checks["checks"]["platform_env"]
        assert env_check["status"] == "failed"
        assert "wandb-app-bc/app MYSQL_HOST is 'drifted.example.test', the site declares 'mysql.example.test'" in env_check["reason"]
    finally:
        apps.patch_namespaced_deployment("wandb-app-bc", CR_NAMESPACE, {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "env": [{"name": "MYSQL_HOST", "value": "mysql.example.test"}]}]}}}})


def test_no_secret_in_the_resource_or_in_playbook_output(api, inventory, converge_check_run):
    text = json.dumps(get_cr(api))  # the last-applied annotation included
    output = converge_check_run.stdout + converge_check_run.stderr
    for secret in secret_values(inventory):
        assert secret not in text
        assert secret not in output


def inputs_versions(api):
    """Each platform Deployment's pod-template annotation onprem.wandb/inputs-version."""
    return {name: (d.spec.template.metadata.annotations or {}).get("onprem.wandb/inputs-version")
            for name, d in release_deployments(api).items()}


def test_new_secrets_reach_the_kubernetes_secrets_and_roll_the_pods_with_none_shown_anywhere(api, inventory):
    """New values for every secret the role manages, applied at -vvv with --diff (every command and result
    printed) while every process's command line and environment on this machine is sampled: the
    Secrets hold the new values, every platform Deployment rolled to a pod template with the new
    inputs version (so its pods read the new Secrets) and is Available, and neither the old nor the
    new values appear in any of it."""
    before = inputs_versions(api)
    assert before and len(set(before.values())) == 1 and None not in before.values(), before
    new = {"wandb_license": "rotated-license-5c1e9a7b2d", "wandb_operator_bucket_secret_key": "rotated-bucket-9f3b2e71c4",
           "wandb_operator_mysql_password": "rotated-mysql-4d8a1c6e0b", "wandb_operator_redis_password": "rotated-redis-7e2f5a9c13"}
    try:
        run = run_playbook("converge.yml", extra_vars=new, diff=True, verbose=True, watch=True)
        assert run.rc == 0, run.stdout[-3000:]
        assert run.process_samples > 20 and " EXEC " in run.stdout + run.stderr
        for secret in list(new.values()) + secret_values(inventory):
            assert secret not in run.stdout + run.stderr, "a secret is in the -vvv output"
            assert secret not in run.processes, "a secret was in a process's command line or environment"
        core = client.CoreV1Api(api)
        stored = {name: {k: base64.b64decode(v).decode() for k, v in core.read_namespaced_secret(name, CR_NAMESPACE).data.items()}
                  for name in ("wandb-mysql", "wandb-redis")}
        assert stored == {"wandb-mysql": {"password": new["wandb_operator_mysql_password"]},
                          "wandb-redis": {"password": new["wandb_operator_redis_password"]}}
        after = inputs_versions(api)
        assert set(after) == set(before) and len(set(after.values())) == 1, after
        assert set(after.values()) != set(before.values()), "the Deployments kept the old pod template"
        test_platform_deployments_are_available(api)
    finally:
        back = run_playbook("converge.yml")
        assert back.rc == 0, back.failure_messages()


def test_check_mode_on_the_converged_cluster_changes_nothing(converge_check_run):
    assert converge_check_run.rc == 0, converge_check_run.failure_messages()
    assert converge_check_run.changed == 0, converge_check_run.changed_tasks()


def test_check_mode_shows_the_resource_diff_without_applying(api):
    before = get_cr(api)["metadata"]["resourceVersion"]
    run = run_playbook("converge.yml", extra_vars={"wandb_operator_extra_env": {"ENABLE_REGISTRY_UI": True, "GORILLA_TRACE": "1"}},
                       check=True, diff=True)
    assert run.rc == 0, run.failure_messages()
    changed = [task for task, _host in run.changed_tasks()]
    assert changed == ["Apply the WeightsAndBiases resource"], changed
    result = next(r for name, _h, r in run.tasks if name == "Apply the WeightsAndBiases resource")
    assert "GORILLA_TRACE" in json.dumps(result.get("diff", {}))
    after = get_cr(api)
    assert after["metadata"]["resourceVersion"] == before
    assert "GORILLA_TRACE" not in after["spec"]["values"]["global"]["extraEnv"]


def test_changed_endpoint_upgrades_the_release_and_the_deployments_follow(api):
    """A new MySQL host in the inventory: the resource changes, the controller upgrades the release,
    and the app's env follows by the time the run returns. (That a run after a change changes nothing
    is the chart-source test's and Molecule's idempotence step's.)"""
    before = int(platform_release()["revision"])
    try:
        run = run_playbook("converge.yml", extra_vars={"wandb_mysql_host": "mysql-new.example.test"})
        assert run.rc == 0, run.failure_messages()
        assert [t for t, _h in run.changed_tasks()] == ["Apply the WeightsAndBiases resource"]
        assert int(platform_release()["revision"]) == before + 1
        env, _container = app_env(api)
        assert env["MYSQL_HOST"].value == "mysql-new.example.test"
        assert get_cr(api)["status"]["phase"] == "Completed"
    finally:
        baseline = run_playbook("converge.yml")
    assert baseline.rc == 0, baseline.failure_messages()
    assert app_env(api)[0]["MYSQL_HOST"].value == "mysql.example.test"


def test_wait_fails_naming_the_phase_and_the_controller_event(api):
    """A platform chart version the mirror lacks, with the admin host's check off: the controller's
    Helm install fails, it reports Invalid Config, and the role fails saying so."""
    bad = {"wandb_operator_platform_chart_check": False,
           "wandb_operator_platform_chart": {"url": mirror()["repository"], "name": "operator-wandb", "version": "0.43.999"}}
    try:
        run = run_playbook("converge.yml", extra_vars=bad)
        assert run.rc != 0
        messages = run.failure_messages()
        assert "status.phase is 'Invalid Config'" in messages, messages
        assert "wandb_operator_platform_chart" in messages
        assert "0.43.999" in messages  # the controller's ApplyFailed event
        assert "logs deployment/wandb-controller-manager" in messages
    finally:
        baseline = run_playbook("converge.yml")
    assert baseline.rc == 0, baseline.failure_messages()
    assert get_cr(api)["status"]["phase"] == "Completed"


def test_platform_wait_fails_naming_the_deployment_and_its_events(api):
    """W&B's app pods fit no node: the release upgrades (Completed) but the new pod stays Pending
    while the old one still serves. The role waits its bounded time, then names the Deployment, why
    it is not rolled out, and the scheduler's event."""
    unschedulable = {"wandb_operator_extra_values": {"app": {"nodeSelector": {"onprem-wandb.test/none": "true"}}},
                     "wandb_operator_platform_ready_timeout": 16}
    try:
        run = run_playbook("converge.yml", extra_vars=unschedulable)
        assert run.rc != 0
        messages = run.failure_messages()
        assert "default/wandb is Completed, but within 16 s (wandb_operator_platform_ready_timeout) the platform is not up" in messages
        assert "wandb-app-bc: 1 old replicas still running" in messages, messages
        assert "didn't match Pod's node affinity/selector" in messages, messages
        assert "wandb-console-bc" not in messages.split("Events:", maxsplit=1)[0]
    finally:
        baseline = run_playbook("converge.yml")
    assert baseline.rc == 0, baseline.failure_messages()
    assert release_deployments(api)["wandb-app-bc"].spec.template.spec.node_selector is None


@pytest.mark.parametrize(("extra", "fragments"), [
    ({"wandb_operator_kubernetes_follows": "1.30"}, ['wandb_operator_kubernetes_follows is "1.30"',
                                                     "an earlier minimum W&B published (1.28, 1.29, 1.32)"]),
    ({"wandb_operator_min_kubernetes_version": "1.29"}, ["wandb_operator_min_kubernetes_version is set (1.29)",
                                                         "W&B requires Kubernetes 1.34 or newer",
                                                         "wandb_operator_kubernetes_follows"]),
    ({"wandb_license": ""}, ["wandb_operator_license is empty"]),
    ({"wandb_url": "wandb.example.test"}, ["wandb_operator_host must be a URL with http:// or https://", "got 'wandb.example.test'"]),
    ({"wandb_object_store_url": "s3.example.test"}, ["wandb_operator_bucket.url (the site's wandb_object_store_url)",
                                                     "'s3.example.test' not a URL with http:// or https://"]),
    ({"wandb_mysql_host": ""}, ["wandb_operator_mysql lacks host", "the site declares them (wandb_mysql_host)"]),
    ({"wandb_operator_ingress_class": "traefik"}, ["wandb_operator_ingress_class is 'traefik'", "IngressClasses [nginx]"]),
    ({"wandb_operator_platform_chart": {}}, ["wandb_operator_platform_chart is empty but wandb_operator_airgapped is true"]),
    ({"wandb_operator_chart_source": "oci"}, ["wandb_operator_chart_oci_ref (oci://registry/path/operator, got '')"]),
    ({"wandb_operator_chart_version": "1.4.99"}, ["wandb_operator_chart_version is '1.4.99'", "but helm cannot read that chart from",
                                                  "the chart repository wandb_operator_chart_repo_url"]),
    ("platform-missing", ["wandb_operator_platform_chart names operator-wandb version '0.43.999'", "cannot read it there",
                          "would report Invalid Config"]),
    ("archive-sha", ["has sha256 4551c1c2", "wandb_operator_chart_archive_sha256 pins " + "0" * 64]),
    ({"wandb_operator_image_tag": "latest"}, ["wandb_operator_image_tag is 'latest'", "air-gapped site"]),
    ({"wandb_operator_ready_timeout": "soon"}, ["wandb_operator_ready_timeout", "int"]),
    ({"wandb_operator_airgapped": "maybe"}, ["wandb_operator_airgapped", "bool"]),
])
def test_bad_input_is_refused_before_anything_is_applied(api, extra, fragments):
    if extra == "platform-missing":
        extra = {"wandb_operator_platform_chart": {"url": mirror()["repository"], "name": "operator-wandb", "version": "0.43.999"}}
    elif extra == "archive-sha":
        archive = next(a for a in mirror()["archives"] if Path(a).name.startswith("operator-1"))
        extra = {"wandb_operator_chart_source": "archive", "wandb_operator_chart_archive": archive,
                 "wandb_operator_chart_archive_sha256": "0" * 64}
    before = get_cr(api)["metadata"]["resourceVersion"]
    run = run_playbook("converge.yml", extra_vars=extra)
    assert_rejected_before_change(run, *fragments)
    assert get_cr(api)["metadata"]["resourceVersion"] == before


@pytest.mark.parametrize(("kind", "fragment"), [
    ("expired", "has expired"),
    ("server", "is not a CA certificate"),
    ("garbage", "is not a PEM certificate"),
    ("missing", "not files on the controller"),
])
def test_bad_ca_files_are_refused(tmp_path, kind, fragment):
    pki = write_test_pki(tmp_path / "pki", "ca.example.test", days=-1 if kind == "expired" else 1)
    path = {"expired": pki["cert"], "server": pki["cert"], "garbage": str(tmp_path / "garbage.pem"),
            "missing": str(tmp_path / "nope.pem")}[kind]
    if kind == "garbage":
        Path(path).write_text("not a certificate\n")
    run = run_playbook("converge.yml", extra_vars={"wandb_operator_ca_cert_files": [path]})
    assert_rejected_before_change(run, fragment, path)


def test_an_archive_that_is_not_a_chart_is_refused_before_anything_is_applied(api, tmp_path):
    """The sha256 pin matches, but the file is no chart: helm's read of it fails before any change."""
    archive = tmp_path / "operator-1.4.8.tgz"
    archive.write_bytes(b"not a chart archive\n")
    before = get_cr(api)["metadata"]["resourceVersion"]
    run = run_playbook("converge.yml", extra_vars={
        "wandb_operator_chart_source": "archive", "wandb_operator_chart_archive": str(archive),
        "wandb_operator_chart_archive_sha256": hashlib.sha256(archive.read_bytes()).hexdigest()})
    assert_rejected_before_change(run, "wandb_operator_chart_source is archive, but helm cannot read that chart from the archive "
                                  f"wandb_operator_chart_archive ({archive})")
    assert get_cr(api)["metadata"]["resourceVersion"] == before


def source_vars(source):
    """The operator chart from the mirror's OCI registry, or from its archive with the sha256 pin."""
    coordinates = mirror()
    if source == "oci":
        return {"wandb_operator_chart_source": "oci", "wandb_operator_chart_oci_ref": coordinates["oci"] + "/operator"}
    archive = next(a for a in coordinates["archives"] if Path(a).name.startswith("operator-1"))
    return {"wandb_operator_chart_source": "archive", "wandb_operator_chart_archive": archive,
            "wandb_operator_chart_archive_sha256": coordinates["sha256"][Path(archive).name]}


def test_operator_chart_from_each_source_upgrades_then_is_idempotent():
    """The same chart from the OCI registry, then from the archive, each with a changed value: Helm must
    fetch it from that source to upgrade; the next run from the same source changes nothing; the
    scenario's repository source puts it back."""
    try:
        for source in ("oci", "archive"):
            extra = dict(source_vars(source), wandb_operator_chart_extra_values={"podAnnotations": {"onprem-wandb/source": source}})
            first = run_playbook("converge.yml", extra_vars=extra)
            assert first.rc == 0, (source, first.failure_messages())
            assert [t for t, _h in first.changed_tasks()] == ["Install or upgrade the operator chart"], source
            assert operator_release_chart() == "operator-1.4.8"
            assert helm_json("get", "values", "operator", "-n", OPERATOR_NAMESPACE)["podAnnotations"] == {"onprem-wandb/source": source}
            again = run_playbook("converge.yml", extra_vars=extra)
            assert again.rc == 0, (source, again.failure_messages())
            assert again.changed == 0, (source, again.changed_tasks())
    finally:
        baseline = run_playbook("converge.yml")
    assert baseline.rc == 0, baseline.failure_messages()
    assert "podAnnotations" not in helm_json("get", "values", "operator", "-n", OPERATOR_NAMESPACE)


def test_an_older_crd_is_upgraded_and_a_newer_one_is_kept(api):
    """Helm never upgrades crds/: a cluster with an older CRD (without status.version, as a site that
    installed an older operator chart has) gets the chart's; one a newer chart applied is left alone."""
    extensions = client.ApiextensionsV1Api(api)
    path = "/spec/versions/0/schema/openAPIV3Schema/properties/status/properties/version"
    extensions.patch_custom_resource_definition(CRD_NAME, [
        {"op": "remove", "path": path},
        {"op": "replace", "path": "/metadata/annotations/onprem.wandb~1operator-chart-version", "value": "1.3.0"}])
    try:
        run = run_playbook("converge.yml")
        assert run.rc == 0, run.failure_messages()
        assert [t for t, _h in run.changed_tasks()] == ["Apply the operator chart's CRDs (Helm installs a chart's crds/ once and never upgrades them)"]
        crd = extensions.read_custom_resource_definition(CRD_NAME)
        assert "version" in crd.spec.versions[0].schema.open_apiv3_schema.properties["status"].properties
        assert crd.metadata.annotations["onprem.wandb/operator-chart-version"] == "1.4.8"

        extensions.patch_custom_resource_definition(CRD_NAME, {"metadata": {"annotations": {"onprem.wandb/operator-chart-version": "1.9.0"}}})
        kept = run_playbook("converge.yml")
        assert kept.rc == 0, kept.failure_messages()
        assert kept.changed == 0, kept.changed_tasks()
        report = next(r for name, _h, r in kept.tasks if name == "Report the CRDs a newer operator chart applied (left as they are)")
        assert "comes from operator chart 1.9.0, newer than 1.4.8" in json.dumps(report)
    finally:
        extensions.patch_custom_resource_definition(CRD_NAME, {"metadata": {"annotations": {"onprem.wandb/operator-chart-version": "1.4.8"}}})


def test_check_mode_of_a_first_install_creates_nothing_and_shows_the_resource(api):
    """New namespaces and release: Helm's dry run and the resource preview, nothing created."""
    fresh = {"wandb_operator_namespace": "onprem-fresh-operator", "wandb_operator_cr_namespace": "onprem-fresh",
             "wandb_operator_release_name": "operator-fresh"}
    run = run_playbook("converge.yml", extra_vars=fresh, check=True, diff=True)
    assert run.rc == 0, run.failure_messages()
    changed = sorted({task for task, _host in run.changed_tasks()})
    assert changed == ["Create the namespaces", "Install or upgrade the operator chart"], changed
    preview = next(r for name, _h, r in run.tasks if name == "Report what check mode could not compare (first install)")
    assert "the namespace onprem-fresh does not exist yet" in preview["msg"]
    assert '"secretName": "wandb-bucket"' in preview["msg"]
    names = [ns.metadata.name for ns in client.CoreV1Api(api).list_namespace().items]
    assert "onprem-fresh" not in names and "onprem-fresh-operator" not in names


# --- The controller stand-in's own behaviour (v1 semantics) -------------------------------------

def wait_for_phase(api, namespace, name, phases, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded poll of the stand-in's status writes
        try:
            cr = custom(api).get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        except client.ApiException as error:
            if error.status != 404:
                raise
            cr = None
        if cr and (cr.get("status") or {}).get("phase") in phases:
            return cr
        time.sleep(1)
    raise AssertionError(f"{name} did not reach {phases} within {timeout} s: {cr}")


@pytest.fixture()
def standin_namespace(api):
    """A namespace of its own per test (deleting one takes a while)."""
    name = "onprem-standin-" + os.urandom(4).hex()
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


def test_standin_installs_spec_chart_from_oci_then_uninstalls_on_delete(api, standin_namespace):
    values = {"global": {"host": "https://standin.example.test"}, "mysql": {"install": False}, "redis": {"install": False}}
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "WeightsAndBiases", "metadata": {"name": "standin"},
            "spec": {"chart": {"url": mirror()["oci"] + "/operator-wandb", "version": "0.43.8"}, "values": values}}
    custom(api).create_namespaced_custom_object(GROUP, VERSION, standin_namespace, PLURAL, body)
    cr = wait_for_phase(api, standin_namespace, "standin", ["Completed", "Invalid Config"])
    assert cr["status"] == {"phase": "Completed", "version": "0.43.8"}
    assert cr["metadata"]["finalizers"] == ["finalizer.app.wandb.com"]
    releases = helm_json("list", "-n", standin_namespace)
    assert [(r["name"], r["chart"]) for r in releases] == [("standin", "operator-wandb-0.43.8")]
    active = client.CoreV1Api(api).read_namespaced_secret("standin-spec-active", standin_namespace)
    digest = hashlib.sha256(json.dumps({"chart": body["spec"]["chart"], "values": values}, sort_keys=True).encode()).hexdigest()
    assert active.metadata.annotations["onprem-wandb.test/spec-digest"] == digest

    custom(api).delete_namespaced_custom_object(GROUP, VERSION, standin_namespace, PLURAL, "standin")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the finalizer holds the resource until the release is gone
        names = [item["metadata"]["name"] for item in
                 custom(api).list_namespaced_custom_object(GROUP, VERSION, standin_namespace, PLURAL)["items"]]
        if not names:
            break
        time.sleep(1)
    assert not names
    assert helm_json("list", "-n", standin_namespace) == []


def test_standin_reports_invalid_config_without_spec_chart_when_air_gapped(api, standin_namespace):
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "WeightsAndBiases", "metadata": {"name": "nochart"},
            "spec": {"values": {"global": {"host": "https://nochart.example.test"}}}}
    custom(api).create_namespaced_custom_object(GROUP, VERSION, standin_namespace, PLURAL, body)
    cr = wait_for_phase(api, standin_namespace, "nochart", ["Completed", "Invalid Config"])
    assert cr["status"]["phase"] == "Invalid Config"
    assert helm_json("list", "-n", standin_namespace) == []
    custom(api).delete_namespaced_custom_object(GROUP, VERSION, standin_namespace, PLURAL, "nochart")
