"""Verify the operator role against the real Kubernetes API server the scenario runs (Go-built
kube-apiserver 1.36 with etcd, controller-manager, scheduler and kwok nodes): the CRD, the Helm
release and its Deployment, the Secrets, the WeightsAndBiases resource, check mode, the wait for
status.phase and the refusal of bad input before anything is applied.

Nothing here runs the real W&B controller (github.com/wandb/operator is not on the module proxy);
where a test needs a phase, the test writes status.phase itself, standing in for the controller,
and says so. That exercises the role's wait against the real API server, not the operator."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
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
FIXTURE_CHART = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "charts" / "operator"


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


def set_phase(api, phase):
    """Write status.phase as the W&B controller would (the test stands in for it)."""
    custom(api).patch_namespaced_custom_object_status(GROUP, VERSION, CR_NAMESPACE, PLURAL, CR_NAME,
                                                      {"status": {"phase": phase, "version": "0.43.2"}})


def secret_values(inventory):
    return [
        inventory["k8s-admin"]["wandb_license"],
        inventory["k8s-admin"]["wandb_operator_bucket_secret_key"],
        inventory["k8s-admin"]["wandb_operator_mysql_password"],
        inventory["k8s-admin"]["wandb_operator_redis_password"],
    ]


def test_crd_installed_by_the_chart_and_established(api):
    crd = client.ApiextensionsV1Api(api).read_custom_resource_definition("weightsandbiases.apps.wandb.com")
    assert crd.spec.group == GROUP and crd.spec.names.kind == "WeightsAndBiases"
    assert [v.name for v in crd.spec.versions] == ["v1"]
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions.get("Established") == "True"


def test_release_deployed_from_the_archive_with_the_inventory_values():
    status = json.loads(subprocess.run(["helm", "status", "operator", "-n", OPERATOR_NAMESPACE, "-o", "json",
                                        "--kubeconfig", str(KUBECONFIG)], capture_output=True, text=True, check=True).stdout)
    assert status["info"]["status"] == "deployed"
    values = json.loads(subprocess.run(["helm", "get", "values", "operator", "-n", OPERATOR_NAMESPACE, "-o", "json",
                                        "--kubeconfig", str(KUBECONFIG)], capture_output=True, text=True, check=True).stdout)
    assert values["image"] == {"repository": "registry.example.test/wandb/controller", "tag": "fixture",
                               "pullSecrets": [{"name": "registry-credentials"}]}
    assert values["airgapped"] is True
    ca = (EPHEMERAL / "k8s-pki" / "ca.crt").read_text().strip()
    assert values["customCACerts"] == [ca]


def test_controller_deployment_available_with_the_values(api):
    deployment = client.AppsV1Api(api).read_namespaced_deployment("wandb-controller-manager", OPERATOR_NAMESPACE)
    conditions = {c.type: c.status for c in deployment.status.conditions}
    assert conditions["Available"] == "True"
    assert deployment.status.available_replicas == 1
    pod = deployment.spec.template.spec
    assert pod.containers[0].image == "registry.example.test/wandb/controller:fixture"
    assert {e.name: e.value for e in pod.containers[0].env}["AIRGAPPED"] == "true"
    assert [s.name for s in pod.image_pull_secrets] == ["registry-credentials"]
    pods = client.CoreV1Api(api).list_namespaced_pod(OPERATOR_NAMESPACE, label_selector="app.kubernetes.io/name=operator")
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
    assert cr["spec"]["chart"] == {"url": "http://charts.example.test", "name": "operator-wandb", "version": "0.43.2"}
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
    ca_map = core.read_namespaced_config_map(values["global"]["caCertsConfigMap"], CR_NAMESPACE)
    assert list(ca_map.data) == ["ca.crt"]
    assert "-----BEGIN CERTIFICATE-----" in ca_map.data["ca.crt"]


def test_no_secret_in_the_resource_or_in_playbook_output(api, inventory, converge_check_run):
    text = json.dumps(get_cr(api))  # the last-applied annotation included
    output = converge_check_run.stdout + converge_check_run.stderr
    for secret in secret_values(inventory):
        assert secret not in text
        assert secret not in output


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


def test_changed_input_updates_the_resource_and_dropped_keys_go_away(api):
    try:
        run = run_playbook("converge.yml", extra_vars={"wandb_operator_extra_env": {"ENABLE_REGISTRY_UI": True, "GORILLA_TRACE": "1"}})
        assert run.rc == 0, run.failure_messages()
        assert [t for t, _h in run.changed_tasks()] == ["Apply the WeightsAndBiases resource"]
        assert get_cr(api)["spec"]["values"]["global"]["extraEnv"]["GORILLA_TRACE"] == "1"
    finally:
        baseline = run_playbook("converge.yml")
    assert baseline.rc == 0, baseline.failure_messages()
    assert "GORILLA_TRACE" not in get_cr(api)["spec"]["values"]["global"]["extraEnv"]


def test_wait_fails_naming_the_phase_the_operator_reported(api):
    set_phase(api, "Invalid Config")  # as the controller reports an air-gapped resource without spec.chart
    run = run_playbook("converge.yml", extra_vars={"wandb_operator_wait_for_completed": True,
                                                   "wandb_operator_completed_timeout": 4,
                                                   "wandb_operator_completed_poll_interval": 2})
    assert run.rc != 0
    messages = run.failure_messages()
    assert "status.phase is 'Invalid Config'" in messages, messages
    assert "wandb_operator_completed_timeout" in messages
    assert "logs deployment/wandb-controller-manager" in messages


def test_wait_returns_once_the_phase_is_completed_and_reports_it(api):
    set_phase(api, "Loading")
    before = get_cr(api)["metadata"]["resourceVersion"]
    stop = threading.Event()

    def controller():
        """Once the role has applied its change, wait a little and complete the resource."""
        while not stop.is_set():
            if get_cr(api)["metadata"]["resourceVersion"] != before:
                stop.wait(5)
                set_phase(api, "Completed")
                return
            stop.wait(0.5)

    writer = threading.Thread(target=controller)
    writer.start()
    try:
        run = run_playbook("converge.yml", extra_vars={"wandb_operator_wait_for_completed": True,
                                                       "wandb_operator_completed_timeout": 60,
                                                       "wandb_operator_completed_poll_interval": 2,
                                                       "wandb_operator_cr_labels": {"onprem-wandb/test": "wait"}})
    finally:
        stop.set()
        writer.join()
        baseline = run_playbook("converge.yml")
    assert run.rc == 0, run.failure_messages()
    waits = next(r for name, _h, r in run.tasks if name == "Wait for status.phase Completed")
    assert waits["attempts"] > 1  # it saw Loading first and waited for the change
    report = next(r for name, _h, r in run.tasks if name == "Report the phase")
    assert "phase Completed, version 0.43.2" in report["msg"]
    assert baseline.rc == 0, baseline.failure_messages()
    assert "onprem-wandb/test" not in get_cr(api)["metadata"]["labels"]


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
    ({"wandb_operator_chart_archive_sha256": "0" * 64}, ["has sha256", "pins " + "0" * 64]),
    ({"wandb_operator_chart_source": "oci"}, ["wandb_operator_chart_oci_ref (oci://registry/path/operator, got '')"]),
    ({"wandb_operator_ready_timeout": "soon"}, ["wandb_operator_ready_timeout", "int"]),
    ({"wandb_operator_airgapped": "maybe"}, ["wandb_operator_airgapped", "bool"]),
])
def test_bad_input_is_refused_before_anything_is_applied(api, extra, fragments):
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


def package_fixture(tmp_path, version, destination):
    """The fixture chart bumped to `version`, packaged into `destination`; returns the archive."""
    chart = tmp_path / "operator"
    shutil.copytree(FIXTURE_CHART, chart)
    chart_yaml = chart / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0-fixture", f"version: {version}"))
    destination.mkdir(exist_ok=True)
    subprocess.run(["helm", "package", str(chart), "--destination", str(destination)], check=True, capture_output=True)
    return destination / f"operator-{version}.tgz"


def assert_upgrade_is_idempotent_then_archive_rolls_back(source, version):
    """Converge from `source` (upgrade to `version`, then 0 changed), then the scenario's archive again."""
    try:
        first = run_playbook("converge.yml", extra_vars=source)
        assert first.rc == 0, first.failure_messages()
        assert [t for t, _h in first.changed_tasks()] == ["Install or upgrade the operator chart"]
        assert release_chart() == f"operator-{version}"
        again = run_playbook("converge.yml", extra_vars=source)
        assert again.rc == 0, again.failure_messages()
        assert again.changed == 0, again.changed_tasks()
    finally:
        baseline = run_playbook("converge.yml")
    assert baseline.rc == 0, baseline.failure_messages()
    assert release_chart() == "operator-0.1.0-fixture"


def test_repository_source_upgrades_and_is_idempotent_then_archive_rolls_back(tmp_path):
    """An internal Helm repository (served on loopback from the fixture chart, bumped to 0.1.1)."""
    repo = package_fixture(tmp_path, "0.1.1-fixture", tmp_path / "repo").parent
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(repo))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_port}"
    subprocess.run(["helm", "repo", "index", str(repo), "--url", url], check=True, capture_output=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert_upgrade_is_idempotent_then_archive_rolls_back(
            {"wandb_operator_chart_source": "repository", "wandb_operator_chart_repo_url": url,
             "wandb_operator_chart_version": "0.1.1-fixture"}, "0.1.1-fixture")
    finally:
        server.shutdown()


def test_oci_source_from_a_registry_then_archive_rolls_back(tmp_path):
    """An internal OCI registry (distribution, Go-built by the rig, plain HTTP on loopback)."""
    archive = package_fixture(tmp_path, "0.1.2-fixture", tmp_path / "packaged")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config_file = tmp_path / "registry.yml"
    config_file.write_text(yaml.safe_dump({"version": 0.1, "log": {"level": "warn"},
                                           "storage": {"filesystem": {"rootdirectory": str(tmp_path / "storage")}},
                                           "http": {"addr": f"127.0.0.1:{port}"}}))
    registry = subprocess.Popen(["registry", "serve", str(config_file)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _attempt in range(50):  # until the registry listens (bounded: 50 x 0.2 s)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                registry.poll()
                assert registry.returncode is None, registry.stderr.read().decode()
                time.sleep(0.2)
        subprocess.run(["helm", "push", str(archive), f"oci://127.0.0.1:{port}/charts", "--plain-http"],
                       check=True, capture_output=True)
        assert_upgrade_is_idempotent_then_archive_rolls_back(
            {"wandb_operator_chart_source": "oci", "wandb_operator_chart_oci_ref": f"oci://127.0.0.1:{port}/charts/operator",
             "wandb_operator_chart_version": "0.1.2-fixture", "wandb_operator_chart_plain_http": True}, "0.1.2-fixture")
    finally:
        registry.terminate()
        registry.wait(timeout=10)


def release_chart():
    history = json.loads(subprocess.run(["helm", "history", "operator", "-n", OPERATOR_NAMESPACE, "-o", "json",
                                         "--kubeconfig", str(KUBECONFIG)], capture_output=True, text=True, check=True).stdout)
    deployed = [entry for entry in history if entry["status"] == "deployed"]
    assert len(deployed) == 1, history
    return deployed[0]["chart"]


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
