"""Unit tests of the site file expansion (onprem.wandb.site inventory plugin) and of the plugin
through ansible-inventory itself."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.onprem.wandb.plugins.plugin_utils import site_inventory as si

SITE = {
    "plugin": "onprem.wandb.site",
    "site": "lab",
    "domain": "example.test",
    "components": {
        "mysql": {"hosts": ["mysql1"]},
        "minio": {"hosts": ["minio[1:4]"], "drives": ["/srv/minio/disk[1:2]"]},
        "redis": {"hosts": ["redis1"]},
        "proxy": {"hosts": ["proxy1"], "certificate_mode": "internal_ca"},
        "kubernetes": {"admin_host": "localhost", "kubeconfig": "/etc/lab/kubeconfig", "context": "lab"},
    },
    "secrets": {key: "vault_" + key for key in si.REQUIRED_SECRETS},
    "vars": {"common_ntp_servers": ["ntp1.example.test"]},
}


def site(**changes):
    spec = copy.deepcopy(SITE)
    spec.update(changes)
    return spec


def components(**changes):
    parts = copy.deepcopy(SITE["components"])
    parts.update(changes)
    return parts


def test_the_example_expands_into_the_collection_groups():
    groups, host_vars = si.expand_site(site())
    assert groups["wandb_minio"]["hosts"] == ["minio1", "minio2", "minio3", "minio4"]
    assert groups["wandb_minio"]["vars"]["minio_drives"] == ["/srv/minio/disk1", "/srv/minio/disk2"]
    assert sorted(groups["wandb_servers"]["children"]) == ["wandb_minio", "wandb_mysql", "wandb_mysql_replica", "wandb_proxy",
                                                           "wandb_redis"]
    assert groups["wandb_mysql_replica"]["hosts"] == []
    assert groups["wandb_proxy"]["vars"]["nginx_proxy_cert_mode"] == "internal_ca"
    assert groups["wandb_operator"] == {"hosts": ["localhost"], "children": [], "vars": {
        "wandb_operator_kubeconfig": "/etc/lab/kubeconfig", "wandb_operator_context": "lab",
        "wandb_operator_bucket_secret_key": "{{ vault_minio_wandb_secret_key }}",
        "wandb_operator_mysql_password": "{{ vault_mysql_user_password }}",
        "wandb_operator_redis_password": "{{ vault_redis_password }}"}}
    assert host_vars["localhost"]["ansible_connection"] == "local"
    assert groups["all"]["vars"]["wandb_url"] == "https://wandb.example.test"
    assert groups["all"]["vars"]["wandb_license"] == "{{ vault_wandb_license }}"
    assert groups["wandb_mysql"]["vars"]["mysql_user_password"] == "{{ vault_mysql_user_password }}"
    assert groups["wandb_redis"]["vars"]["redis_password"] == "{{ vault_redis_password }}"
    assert groups["all"]["vars"]["common_ntp_servers"] == ["ntp1.example.test"]


def test_url_override_and_group_and_host_overrides_stay_visible():
    groups, host_vars = si.expand_site(site(url="https://ml.example.test/", group_vars={"wandb_redis": {"redis_port": 6380}},
                                            host_vars={"minio1": {"minio_node_name": "minio1.example.test"}}))
    assert groups["all"]["vars"]["wandb_url"] == "https://ml.example.test"
    assert groups["wandb_redis"]["vars"]["redis_port"] == 6380
    assert host_vars["minio1"] == {"minio_node_name": "minio1.example.test"}


def test_endpoints_are_derived_when_the_site_does_not_declare_them():
    groups, _host_vars = si.expand_site(site())
    site_vars = groups["all"]["vars"]
    prefixes = ("wandb_object", "wandb_bucket", "wandb_mysql", "wandb_redis", "wandb_ca")
    assert {key: site_vars[key] for key in site_vars if key.startswith(prefixes)} == {
        "wandb_object_store_url": "https://s3.example.test", "wandb_object_store_served_by": "proxy",
        "wandb_object_store_accept_insecure": False, "wandb_bucket": "wandb",
        "wandb_mysql_host": "mysql1", "wandb_mysql_port": 3306, "wandb_redis_host": "redis1", "wandb_redis_port": 6379}
    # The proxy balances over every MinIO node, listed from the site's hosts (never from their facts).
    assert groups["wandb_proxy"]["vars"]["nginx_proxy_minio_upstreams"] == [f"minio{n}:9000" for n in range(1, 5)]


def test_declared_endpoints_flow_to_every_group_that_needs_them():
    groups, _host_vars = si.expand_site(site(
        endpoints={"object_store": "https://objects.example.test:8443/", "bucket": "wandb-prod",
                   "mysql": "db.example.test", "redis": "cache.example.test:6380", "ca_bundle": "/srv/pki/ca.pem"},
        components=components(minio={"hosts": ["minio[1:4]"], "drives": ["/srv/minio/disk[1:2]"], "port": 9100})))
    site_vars = groups["all"]["vars"]
    assert site_vars["wandb_object_store_url"] == "https://objects.example.test:8443"
    assert (site_vars["wandb_mysql_host"], site_vars["wandb_mysql_port"]) == ("db.example.test", 3306)
    assert (site_vars["wandb_redis_host"], site_vars["wandb_redis_port"]) == ("cache.example.test", 6380)
    assert site_vars["wandb_bucket"] == "wandb-prod" and site_vars["wandb_ca_bundle"] == "/srv/pki/ca.pem"
    assert groups["wandb_proxy"]["vars"]["nginx_proxy_minio_upstreams"][0] == "minio1:9100"
    assert groups["wandb_minio"]["vars"]["minio_port"] == 9100  # one port, said once: MinIO listens where the proxy forwards
    # The operator gets its own references to the vaulted secrets; it never reads the other groups.
    operator = groups["wandb_operator"]["vars"]
    assert operator["wandb_operator_bucket_secret_key"] == "{{ vault_minio_wandb_secret_key }}"
    assert operator["wandb_operator_mysql_password"] == "{{ vault_mysql_user_password }}"
    assert operator["wandb_operator_redis_password"] == "{{ vault_redis_password }}"
    assert groups["wandb_minio"]["vars"]["minio_wandb_secret_key"] == "{{ vault_minio_wandb_secret_key }}"


def test_an_http_object_store_behind_https_is_accepted_only_when_the_site_says_so():
    spec = site(endpoints={"object_store": "http://minio.example.test:9000", "object_store_served_by": "external",
                           "accept_insecure_object_store": True})
    groups, _host_vars = si.expand_site(spec)
    assert groups["all"]["vars"]["wandb_object_store_accept_insecure"] is True
    assert "nginx_proxy_minio_upstreams" in groups["wandb_proxy"]["vars"]


@pytest.mark.parametrize(("spec", "fragment"), [
    (site(endpoints={"object_store": "s3.example.test"}),
     "endpoints.object_store must be the object store's base URL (https://s3.example.com): a URL with its scheme "
     "(https://host), got 's3.example.test'"),
    (site(endpoints={"object_store": "http://minio1:9000", "object_store_served_by": "external"}),
     "endpoints.object_store is http://minio1:9000 but W&B is served at https://wandb.example.test: browsers refuse "
     "the presigned uploads and downloads as Mixed Content"),
    (site(endpoints={"object_store": "http://s3.example.test"}), "the proxy serves the object store over TLS only"),
    (site(endpoints={"object_store": "https://wandb.example.test"}), "has the same host name as W&B"),
    (site(endpoints={"object_store_served_by": "nginx"}),
     "endpoints.object_store_served_by must be one of proxy, external, got 'nginx'"),
    (site(endpoints={"accept_insecure_object_store": "yes"}), "accept_insecure_object_store must be true or false, got 'yes'"),
    (site(endpoints={"mysql": "db:99999"}),
     "endpoints.mysql must be host or host:port with a port 1-65535 (db1.example.com:3306); port 99999 is none, got 'db:99999'"),
    (site(endpoints={"redis": "redis://cache"}), "endpoints.redis must be host or host:port"),
    (site(endpoints={"bucket": "W&B"}), "endpoints.bucket must be an S3 bucket name"),
    (site(endpoints={"object_storage": "https://s3.example.test"}),
     "endpoints.object_storage is not a key of endpoints (did you mean object_store?); allowed: accept_insecure_object_store"),
    (site(endpoints=["https://s3.example.test"]), "endpoints must be a mapping"),
    (site(colour="blue"), "colour is not a key of the site file; allowed: components, connection, domain"),
    (site(site="Lab Site"), "site must be a short lower-case name"),
    (site(domain="localhost"), "domain must be a DNS domain in lower case (example.com), got 'localhost'"),
    (site(url="wandb.example.test"), "url must be the base URL"),
    (site(components=components(mysql=None)), "components.mysql is missing: the MySQL primary, its standbys, backups and TLS (a mapping)"),
    (site(components=components(redis={"hosts": []})), "components.redis.hosts is empty"),
    (site(components=components(redis={"hosts": ["redis1", "redis2"]})), "components.redis.hosts has 2 hosts (redis1, redis2)"),
    (site(components=components(minio={"hosts": ["minio[1:3]"], "drives": ["/srv/minio/disk1"]})),
     "components.minio.hosts and components.minio.drives: "),
    (site(components=components(minio={"hosts": ["minio1"], "drives": ["/srv/minio/disk1"]})), "components.minio.hosts and components.minio.drives: "),
    (site(components=components(minio={"hosts": ["minio[1:4]"]})),
     "components.minio.drives is missing: Absolute, normalised paths of each node's drive mount points"),
    (site(components=components(minio={"hosts": ["minio[1:4]", "minio2"], "drives": ["/d[1:2]"]})),
     "components.minio.hosts lists minio2 more than once"),
    (site(components=components(proxy={"hosts": ["proxy1"], "certificate_mode": "letsencrypt"})),
     "certificate_mode must be one of files, acme, internal_ca, got 'letsencrypt'"),
    (site(components=components(proxy={"hosts": ["proxy1"], "tls": True})),
     "components.proxy.tls is not a key of components.proxy; allowed: certificate_mode, hosts"),
    (site(components=components(cache={"hosts": ["x"]})), "components.cache is not a key of components; allowed: kubernetes, minio, mysql, proxy, redis"),
    (site(secrets={**SITE["secrets"], "redis_password": "hunter2-but-longer"}),
     "secrets.redis_password must name a vaulted variable (vault_<name>) or be an !vault value"),
    (site(secrets={k: v for k, v in SITE["secrets"].items() if k != "wandb_license"}), "secrets.wandb_license is missing"),
    (site(secrets={**SITE["secrets"], "ssh_key": "vault_ssh"}), "secrets.ssh_key is not a key of secrets; allowed:"),
    (site(vars={"mysql_user_password": "plain-text-password"}), "vars.mysql_user_password holds a plain-text value"),
    (site(group_vars={"wandb_minio": {"minio_root_password": "x" * 20}}), "group_vars.wandb_minio.minio_root_password holds a plain-text value"),
    # Secret-looking names the first rule missed: "pass" words, numbers, nested values, list items.
    (site(connection={"ansible_become_pass": "hunter2hunter2"}), "connection.ansible_become_pass holds a plain-text value (str)"),
    (site(host_vars={"minio1": {"ansible_ssh_pass": "x" * 16}}), "host_vars.minio1.ansible_ssh_pass holds a plain-text value"),
    (site(vars={"ldap_passwd": 12345678901234567}), "vars.ldap_passwd holds a plain-text value (int)"),
    (site(vars={"platform_chart": {"url": "https://charts", "password": "chart-pw-chart-pw"}}),
     "vars.platform_chart.password holds a plain-text value"),
    (site(vars={"wandb_operator_extra_secrets": {"sso": {"client": "x" * 16}}}),
     "vars.wandb_operator_extra_secrets.sso.client holds a plain-text value"),
    (site(vars={"api_tokens": ["t0k3n-t0k3n-t0k3n"]}), "vars.api_tokens[0] holds a plain-text value"),
    (site(group_vars={"wandb_redis": {"redis_auth_mode": "acl"}}),
     "group_vars.wandb_redis.redis_auth_mode is 'acl': W&B's chart connects as redis://:<password>@host, without a user name"),
    (site(components=components(kubernetes={"client_cidr": "10.0.4.7/24"})),
     "components.kubernetes.client_cidr must be an IPv4 network as address/prefix without host bits (10.0.4.0/24): "
     "10.0.4.7/24 has host bits set, got '10.0.4.7/24'"),
    (site(components=components(kubernetes={"client_cidr": "0.0.0.0/0"})),
     "components.kubernetes.client_cidr must be a network narrower than every address (10.0.4.0/24): without it the "
     "W&B MySQL user takes connections from anywhere ('%'), got '0.0.0.0/0'"),
    (site(components=components(kubernetes={"client_cidr": "fd00::/64"})), "components.kubernetes.client_cidr must be an IPv4 network as address/prefix"),
    (site(components=components(mysql={"hosts": ["mysql1"], "tls": {"certificate": "/p/m.crt", "key": "/p/m.key"}})),
     "components.mysql.tls.ca is missing: Absolute path on the controller of the PEM CA that signs it"),
    (site(components=components(redis={"hosts": ["redis1"], "tls": "/p/r.crt"})),
     "components.redis.tls must be a mapping of ca, certificate, key, got '/p/r.crt': TLS only on the Redis port"),
    (site(components=components(redis={"hosts": ["redis1"], "tls": {"certificate": "/c", "key": "/k", "ca": "/a", "require": True}})),
     "components.redis.tls.require is not a key of components.redis.tls; allowed: ca, certificate, key"),
    (site(components=components(mysql={"hosts": ["mysql1"], "tls": {"certificate": "/c", "key": "/k", "ca": "/a", "require": "yes"}})),
     "components.mysql.tls.require must be true or false, got 'yes'"),
    (site(group_vars={"wandb_redis": {"redis_tls_cert_src": "/c"}}),
     "group_vars.wandb_redis.redis_tls_cert_src is derived from the site file's components.redis.tls.certificate"),
    (site(vars={"wandb_redis_tls": True}), "vars.wandb_redis_tls is derived from the site file's components.redis.tls"),
    (site(group_vars={"databases": {"a": 1}}), "group_vars.databases is not a group of the site; allowed: all, wandb_minio"),
    (site(host_vars={"minio9": {"a": 1}}), "host_vars.minio9 is not a host of the site (did you mean minio"),
    # Host names and ranges: what the roles can put in URLs, certificates and MINIO_VOLUMES.
    (site(components=components(minio={"hosts": ["minio[4:1]"], "drives": ["/d[1:2]"]})),
     "components.minio.hosts: the range 'minio[4:1]' is empty (its start is after its end: write minio[1:4])"),
    (site(components=components(minio={"hosts": ["minio[1:100000]"], "drives": ["/d[1:2]"]})),
     "components.minio.hosts: the site file describes 100003 hosts (components.minio.hosts has 100000), more than the 4096 a site may have"),
    (site(components=components(redis={"hosts": ["fd00::5"]})), "components.redis.hosts: 'fd00::5' is an IPv6 address: name the host"),
    (site(components=components(redis={"hosts": ["[fd00::5]"]})), "components.redis.hosts: "),
    (site(components=components(redis={"hosts": [""]})), "components.redis.hosts: a host name must be a non-empty string, got ''"),
    (site(components=components(redis={"hosts": ["redis one"]})), "components.redis.hosts: 'redis one' is not a host name (RFC 1123"),
    (site(components=components(redis={"hosts": ["rédis"]})), "components.redis.hosts: 'rédis' is not a host name (RFC 1123"),
    (site(components=components(redis={"hosts": ["redis_1"]})), "components.redis.hosts: 'redis_1' is not a host name"),
    (site(components=components(redis={"hosts": [True]})), "components.redis.hosts must be a list of strings (the one Redis host); item 1 is True"),
    (site(components=components(redis={"hosts": [7]})), "components.redis.hosts must be a list of strings"),
    (site(components=components(minio={"hosts": ["minio[1:4]"], "drives": ["srv/minio/disk[1:2]"]})),
     "components.minio.drives: 'srv/minio/disk1' is not an absolute path of a drive's mount point"),
    (site(components=components(kubernetes={"admin_host": ["admin1", "admin2"]})),
     "components.kubernetes.admin_host must be a string, got ['admin1', 'admin2']: the one host that runs helm and talks "
     "to the Kubernetes API (a host name, or localhost for the controller)"),
    (site(components=components(kubernetes={"kubeconfig": 42})),
     "components.kubernetes.kubeconfig must be a string, got 42: the kubeconfig's path on the admin host"),
    (site(components=components(kubernetes={"context": ""})), "components.kubernetes.context must be a non-empty string, got ''"),
    (site(url="http://wandb.example.test"),
     "url must be the base URL users open W&B at (https://wandb.example.com) with the scheme https://, got 'http://wandb.example.test'"),
    (site(url="https://wandb.example.test:99999"),
     "url must be the base URL users open W&B at (https://wandb.example.com): a URL with a port 1-65535 (port 99999 is none)"),
    (site(domain="10.0.0.10"), "domain must be a DNS domain in lower case (example.com), got '10.0.0.10'"),
    (site(endpoints={"object_store": "https://s3.example.test:99999"}), "endpoints.object_store must be the object store's base URL"),
    # Variables the plugin derives, set directly, would bypass the rules of the key they come from.
    (site(vars={"wandb_url": "ftp://wandb.example.test"}), "vars.wandb_url is derived from the site file's url, which is checked: set url instead"),
    (site(host_vars={"minio2": {"minio_drives": ["/d1"]}}),
     "host_vars.minio2.minio_drives is derived from the site file's components.minio.drives, which is checked"),
    (site(group_vars={"wandb_operator": {"wandb_operator_kubeconfig": "/x"}}),
     "group_vars.wandb_operator.wandb_operator_kubeconfig is derived from the site file's components.kubernetes.kubeconfig"),
    (site(group_vars={"wandb_redis": None}), "group_vars.wandb_redis must be a mapping of variables (an empty entry is null"),
    (["plugin", "onprem.wandb.site"],
     "the site file must be a mapping of the keys of docs/inventory.md (plugin, site, domain, components, secrets, ...), got list"),
])
def test_bad_site_files_are_refused_naming_the_problem(spec, fragment):
    problems = si.site_problems(spec)
    assert any(fragment in p for p in problems), problems
    with pytest.raises(si.SiteError) as error:
        si.expand_site(spec)
    assert fragment in str(error.value)


def test_a_huge_range_is_refused_without_expanding_it():
    problems = si.site_problems(site(components=components(minio={"hosts": ["minio[1:99999999999]"], "drives": ["/d[1:2]"]})))
    assert any("describes 100000000002 hosts (components.minio.hosts has 99999999999)" in p for p in problems), problems


def test_hosts_that_are_names_or_ipv4_are_accepted():
    spec = site(components=components(redis={"hosts": ["10.0.0.7"]}, mysql={"hosts": ["db-1.dc2.example.test"]}))
    assert si.site_problems(spec) == []


def test_duplicate_keys_are_found_at_any_depth_with_their_lines():
    text = "site: a\ncomponents:\n  minio: {hosts: [m1]}\n  redis: {hosts: [r1]}\n  minio:\n    hosts: [m2]\nsite: b\n"
    assert si.duplicate_key_problems(text) == [
        "components.minio is given twice (lines 3 and 5): YAML keeps only the last, so one of them would be silently lost; merge them",
        "site is given twice (lines 1 and 7): YAML keeps only the last, so one of them would be silently lost; merge them"]
    assert si.duplicate_key_problems("secrets:\n  a: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n    3031\n") == []
    assert si.duplicate_key_problems("a: [\n") == []  # not YAML: Ansible's loader reports it


def test_the_secret_references_are_recorded_for_the_inventory_guard():
    groups = si.expand_site(site())[0]
    refs = groups["all"]["vars"]["wandb_site_secret_references"]
    assert refs["redis_password"] == {"reference": "vault_redis_password", "groups": ["wandb_operator", "wandb_redis"]}
    assert refs["wandb_license"] == {"reference": "vault_wandb_license", "groups": ["all"]}


def test_the_topology_message_is_minio_s_rule():
    problems = si.site_problems(site(components=components(minio={"hosts": ["minio[1:3]"], "drives": ["/srv/minio/disk1"]})))
    assert any(p.startswith("components.minio.hosts and components.minio.drives: ") and "4" in p for p in problems), problems


def test_a_vault_reference_in_vars_is_not_a_plain_secret():
    assert si.site_problems(site(vars={"wandb_operator_extra_env": {"HTTPS_PROXY": "{{ vault_proxy_url }}"}})) == []


def test_every_problem_at_once():
    problems = si.site_problems(site(colour="blue", domain="x", secrets={}))
    assert len(problems) >= 2 + len(si.REQUIRED_SECRETS)


def ansible_inventory(path, *args):
    exe = Path(sys.executable).parent / "ansible-inventory"
    return subprocess.run([str(exe), "-i", str(path), *args], capture_output=True, text=True, check=False,
                          env=dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_INVENTORY_ENABLED="auto"))


def test_ansible_inventory_lists_every_host_and_group(tmp_path):
    path = tmp_path / "lab.yml"
    path.write_text(yaml.safe_dump(SITE))
    run = ansible_inventory(path, "--list")
    assert run.returncode == 0, run.stderr
    listed = json.loads(run.stdout)
    assert listed["wandb_minio"]["hosts"] == ["minio1", "minio2", "minio3", "minio4"]
    # The replica group exists even without replicas, so playbooks can name it without a warning.
    assert sorted(listed["wandb_servers"]["children"]) == ["wandb_minio", "wandb_mysql", "wandb_mysql_replica", "wandb_proxy",
                                                           "wandb_redis"]
    assert listed["wandb_operator"]["hosts"] == ["localhost"]
    assert "minio_drives" in listed["_meta"]["hostvars"]["minio3"]
    graph = ansible_inventory(path, "--graph")
    assert "@wandb_servers:" in graph.stdout and "minio4" in graph.stdout


def test_variables_resolve_as_the_roles_see_them(tmp_path):
    """The secret references render to the vaulted values (here passed as extra vars)."""
    path = tmp_path / "lab.yml"
    path.write_text(yaml.safe_dump(SITE))
    exe = Path(sys.executable).parent / "ansible"
    run = subprocess.run([str(exe), "-i", str(path), "minio3,mysql1", "-o", "-m", "ansible.builtin.debug",
                          "-a", "msg={{ [minio_drives | default(None), mysql_user_password | default(None), wandb_license, wandb_url] }}",
                          "-e", "vault_wandb_license=lic-1 vault_mysql_user_password=pw-2"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    seen = {line.split(" | ")[0]: json.loads(line.split(" => ", 1)[1])["msg"] for line in run.stdout.splitlines()}
    assert seen["minio3"] == [["/srv/minio/disk1", "/srv/minio/disk2"], None, "lic-1", "https://wandb.example.test"]
    assert seen["mysql1"] == [None, "pw-2", "lic-1", "https://wandb.example.test"]


def test_the_site_file_s_own_templates_render_per_host(tmp_path):
    """"{{ pki }}/{{ inventory_hostname }}.crt" in the site file (as sites/lab.yml writes its paths) renders for each
    host, with the site's helper variable: the plugin reads the file trusted as templates, as Ansible reads inventories."""
    spec = site(vars={"pki": "/etc/site-pki"}, components=components(
        mysql={"hosts": ["mysql1"], "tls": {"certificate": "{{ pki }}/{{ inventory_hostname }}.crt",
                                            "key": "{{ pki }}/{{ inventory_hostname }}.key", "ca": "{{ pki }}/ca.crt"}}))
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(spec))
    exe = Path(sys.executable).parent / "ansible"
    run = subprocess.run([str(exe), "-i", str(path), "mysql1", "-o", "-m", "ansible.builtin.debug",
                          "-a", "msg={{ [mysql_tls_cert_src, mysql_tls_ca_src, mysql_tls_cert_names] }}"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout.split(" => ", 1)[1])["msg"] == ["/etc/site-pki/mysql1.crt", "/etc/site-pki/ca.crt", ["mysql1"]]


def test_a_file_the_site_names_that_is_not_on_the_controller_stops_the_run_naming_the_key(tmp_path):
    spec = site(components=components(mysql={"hosts": ["mysql1"], "tls": {
        "certificate": "/nonexistent/{{ inventory_hostname }}.crt", "key": "/nonexistent/m.key", "ca": "/nonexistent/ca.crt"}}))
    values = tmp_path / "vault.json"
    values.write_text(json.dumps({"vault_" + key: "k3Jq-81vB-zz0P-44Lm-%s" % key for key in si.REQUIRED_SECRETS}))
    run = run_playbook(tmp_path, "site", spec, extra=["-e", "@%s" % values])
    shown = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0, shown[-2000:]
    assert ("3 file(s) the site file names are not on this controller (the roles read them here and copy them to the hosts): "
            "components.mysql.tls.certificate: /nonexistent/mysql1.crt; components.mysql.tls.key: /nonexistent/m.key; "
            "components.mysql.tls.ca: /nonexistent/ca.crt.") in shown, shown[-2000:]
    plays = [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("PLAY [")]
    assert len(plays) == 1 and plays[0].startswith("PLAY [Check the inventory gives this run its hosts]"), plays


def test_ansible_inventory_refuses_a_bad_site_file_with_the_reasons(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(site(components=components(redis=None), secrets={**SITE["secrets"], "redis_password": "p@ss w0rd"})))
    run = ansible_inventory(path, "--list")
    assert run.returncode != 0
    assert "components.redis is missing" in run.stderr
    assert "secrets.redis_password must name a vaulted variable" in run.stderr
    assert "p@ss w0rd" not in run.stderr


def test_the_shipped_example_site_lists_every_group():
    path = Path(__file__).resolve().parents[2] / "sites" / "example.yml"
    run = ansible_inventory(path, "--list")
    assert run.returncode == 0, run.stderr
    listed = json.loads(run.stdout)
    for group in ("wandb_servers", "wandb_mysql", "wandb_minio", "wandb_redis", "wandb_proxy", "wandb_operator"):
        assert group in listed, group
    assert len(listed["wandb_minio"]["hosts"]) == 4


@pytest.mark.parametrize("name", ["example", "lab"])
def test_the_committed_site_files_expand(name):
    """sites/example.yml and sites/lab.yml (the lab's site) show every group and host."""
    path = Path(__file__).resolve().parents[2] / "sites" / f"{name}.yml"
    run = ansible_inventory(path, "--graph")
    assert run.returncode == 0, run.stderr
    for group in ("@wandb_servers:", "@wandb_mysql:", "@wandb_minio:", "@wandb_redis:", "@wandb_proxy:", "@wandb_operator:"):
        assert group in run.stdout, run.stdout
    minio = [line.strip(" |-") for line in run.stdout.splitlines() if "minio" in line and "@" not in line]
    assert len(minio) == 4, run.stdout


PLAYBOOKS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "playbooks").glob("*.yml"))


def run_playbook(tmp_path, playbook, spec, config=None, extra=()):
    """ansible-playbook against a site file, with the repository's ansible.cfg (config=None) or another."""
    path = tmp_path / "site.yml"
    path.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec))
    exe = Path(sys.executable).parent / "ansible-playbook"
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_INVENTORY")}
    env.update(ANSIBLE_NOCOLOR="1")
    if config is not None:
        env["ANSIBLE_CONFIG"] = str(config)
    return subprocess.run([str(exe), "-i", str(path), "onprem.wandb." + playbook, *extra], capture_output=True, text=True,
                          check=False, env=env, timeout=300, cwd=str(Path(__file__).resolve().parents[2]))


def test_the_repository_config_stops_at_a_refused_site_file(tmp_path):
    """ansible.cfg's unparsed_is_failed: Ansible stops before any play, the plugin's reasons shown."""
    run = run_playbook(tmp_path, "site", site(endpoints={"object_store": "s3.example.test"}))
    shown = run.stdout + run.stderr
    assert run.returncode != 0, shown[-2000:]
    assert "endpoints.object_store must be the object store's base URL (https://s3.example.com): a URL with its scheme" in shown
    assert "No inventory was parsed" in shown and "PLAY [" not in shown


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_every_playbook_fails_on_a_refused_site_file_under_ansible_s_defaults(tmp_path, playbook):
    """Ansible's defaults: an unparsable source is a warning, and the plays would match no host and exit 0;
    the inventory guard every playbook imports fails first instead."""
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    run = run_playbook(tmp_path, playbook, site(endpoints={"object_store": "s3.example.test"}), config=config)
    shown = run.stdout + run.stderr
    assert run.returncode != 0, shown[-2000:]
    assert "endpoints.object_store must be the object store's base URL (https://s3.example.com): a URL with its scheme" in shown
    assert "The inventory has no host for wandb_" in shown
    plays = [line for line in shown.splitlines() if line.startswith("PLAY [")]
    assert len(plays) == 1 and plays[0].startswith("PLAY [Check the inventory gives this run its hosts]"), plays


def test_a_secret_reference_that_does_not_resolve_fails_before_any_host_is_touched(tmp_path):
    defined = ["-e", "vault_" + " vault_".join("%s=x" % key for key in si.REQUIRED_SECRETS if key != "redis_password")]
    run = run_playbook(tmp_path, "site", SITE, extra=defined)
    shown = run.stdout + run.stderr
    assert run.returncode != 0, shown[-2000:]
    assert ("1 secret reference(s) of the site file do not resolve: secrets.redis_password names vault_redis_password, "
            "undefined for localhost, redis1.") in " ".join(shown.split()), shown[-2000:]
    plays = [line for line in shown.splitlines() if line.startswith("PLAY [")]
    assert len(plays) == 1 and plays[0].startswith("PLAY [Check the inventory gives this run its hosts]"), plays


def test_placeholder_secrets_are_refused_before_any_host_is_touched(tmp_path):
    """The example vault's REPLACE: texts and sample values pass every length rule: refused by name, never printed."""
    values = {"vault_" + key: "k3Jq-81vB-zz0P-44Lm-%s" % key for key in si.REQUIRED_SECRETS}
    values["vault_redis_password"] = "REPLACE: the Redis password of W&B's ACL user, 16 characters or more"
    values["vault_minio_root_password"] = "changeme"
    extra = tmp_path / "vault.json"
    extra.write_text(json.dumps(values))
    run = run_playbook(tmp_path, "site", SITE, extra=["-e", "@%s" % extra, "-vvv"])
    shown = run.stdout + run.stderr
    assert run.returncode != 0, shown[-2000:]
    flat = " ".join(shown.split())
    assert "2 secret(s) of the site file are not real secrets yet: " in flat, shown[-2000:]
    assert "secrets.minio_root_password (vault_minio_root_password) is a well-known sample value" in flat
    assert "secrets.redis_password (vault_redis_password) is still the example vault's placeholder text" in flat
    assert "REPLACE: the Redis password" not in shown and "changeme" not in shown
    plays = [line for line in shown.splitlines() if line.startswith("PLAY [")]
    assert len(plays) == 1 and plays[0].startswith("PLAY [Check the inventory gives this run its hosts]"), plays


def test_a_duplicate_key_and_a_list_admin_host_are_refused_without_a_traceback(tmp_path):
    text = yaml.safe_dump(site(components=components(kubernetes={"admin_host": ["a1", "a2"]})))
    text += "site: other\n"
    path = tmp_path / "site.yml"
    path.write_text(text)
    run = ansible_inventory(path, "--list")
    assert run.returncode != 0
    assert "2 problems in the site file" in run.stderr and "Traceback" not in run.stderr
    assert "site is given twice" in run.stderr and "components.kubernetes.admin_host must be a string, got ['a1', 'a2']" in run.stderr


DAY2_SECRETS = {"mysql_replication_password": "vault_mysql_replication_password",
                "mysql_backup_password": "vault_mysql_backup_password",
                "mysql_backup_repository_env": "vault_mysql_backup_repository_env"}


def day2_site(**mysql):
    spec = site(components=components(mysql={"hosts": ["mysql1"], **mysql}))
    spec["secrets"].update(DAY2_SECRETS)
    return spec


def test_replicas_and_backups_expand_into_the_replica_group_and_the_roles_variables():
    groups, host_vars = si.expand_site(day2_site(replicas=["mysql2"], backup={
        "repository": "s3:https://vault.example.test/wandb-mysql", "ca_bundle": "/etc/lab/vault-ca.crt", "keep_daily": 14}))
    replica = groups["wandb_mysql_replica"]
    assert replica["hosts"] == ["mysql2"] and "mysql2" in host_vars
    assert replica["vars"]["mysql_replication_role"] == "replica"
    assert replica["vars"]["mysql_replication_source_host"] == "mysql1"
    assert replica["vars"]["mysql_replication_password"] == "{{ vault_mysql_replication_password }}"
    assert replica["vars"]["mysql_user_password"] == "{{ vault_mysql_user_password }}"
    primary = groups["wandb_mysql"]["vars"]
    assert primary["mysql_replication_enabled"] is True
    assert primary["mysql_backup_repository"] == "s3:https://vault.example.test/wandb-mysql"
    assert primary["mysql_backup_keep_daily"] == 14 and primary["mysql_backup_ca_src"] == "/etc/lab/vault-ca.crt"
    assert primary["mysql_backup_password"] == "{{ vault_mysql_backup_password }}"
    # A promoted replica continues the same backup series.
    assert primary["mysql_backup_host"] == replica["vars"]["mysql_backup_host"] == "mysql1"
    assert replica["vars"]["mysql_backup_repository_env"] == "{{ vault_mysql_backup_repository_env }}"


@pytest.mark.parametrize(("mysql", "drop", "fragment"), [
    ({"replicas": ["mysql1"]}, None, "components.mysql.replicas lists mysql1, the primary itself"),
    ({"replicas": ["redis1"]}, None, "components.mysql.replicas lists redis1, which is also a redis host"),
    ({"replicas": ["mysql2"]}, "mysql_replication_password", "secrets.mysql_replication_password is missing"),
    ({"backup": {"repository": "s3:https://mysql1:9000/b"}}, None,
     "components.mysql.backup.repository s3:https://mysql1:9000/b is on mysql1, a MySQL host of this site"),
    ({"replicas": ["mysql2"], "backup": {"repository": "sftp:backup@mysql2:/srv/b"}}, None, "is on mysql2, a MySQL host"),
    ({"backup": {"repository": "/srv/backups"}}, None, "must be a restic repository on another host"),
    ({"backup": {"repository": "s3:https://vault.example.test/b", "keep_daily": 6}}, None,
     "components.mysql.backup.keep_daily must be 7 to 3650, got 6"),
    ({"backup": {"repository": "s3:https://vault.example.test/b"}}, "mysql_backup_password",
     "secrets.mysql_backup_password is missing"),
    ({"backup": {"repository": "s3:https://vault.example.test/b", "keep": 3}}, None,
     "components.mysql.backup.keep is not a key of components.mysql.backup"),
])
def test_day2_mistakes_are_refused_naming_the_key(mysql, drop, fragment):
    spec = day2_site(**mysql)
    if drop:
        del spec["secrets"][drop]
    problems = si.site_problems(spec)
    assert any(fragment in problem for problem in problems), problems


@pytest.mark.parametrize("variables", [
    {"wandb_operator_secret_prefix": "wandb-", "wandb_operator_image_pull_secrets": ["regcred"]},
    {"nginx_proxy_cert_src": "/pki/proxy.crt", "nginx_proxy_key_src": "/pki/proxy.key", "minio_tls_key_src": "/pki/m.key"},
    {"wandb_operator_platform_chart": {"url": "https://charts.example.test", "name": "operator-wandb", "version": "0.43.8",
                                       "password": "{{ vault_chart_password }}"}},
])
def test_settings_with_secret_like_names_are_not_plain_secrets(variables):
    assert si.site_problems(site(vars=variables)) == []


def test_the_kubernetes_client_network_is_the_only_host_of_the_w_b_mysql_user():
    groups = si.expand_site(site(components=components(kubernetes={"client_cidr": "10.0.4.0/24"})))[0]
    assert groups["wandb_mysql"]["vars"]["mysql_user_host"] == "10.0.4.0/24"
    assert groups["wandb_mysql_replica"]["vars"]["mysql_user_host"] == "10.0.4.0/24"
    assert "mysql_user_host" not in si.expand_site(site())[0]["wandb_mysql"]["vars"]


def test_service_tls_reaches_the_servers_the_standby_and_the_resource_alike():
    tls = {"certificate": "/pki/{{ inventory_hostname }}.crt", "key": "/pki/{{ inventory_hostname }}.key", "ca": "/pki/ca.crt"}
    groups = si.expand_site(site(components=components(
        mysql={"hosts": ["mysql1"], "replicas": ["mysql2"], "tls": tls},
        redis={"hosts": ["redis1"], "tls": tls}),
        secrets=dict(SITE["secrets"], mysql_replication_password="vault_mysql_replication_password")))[0]
    for group in ("wandb_mysql", "wandb_mysql_replica"):
        variables = groups[group]["vars"]
        assert (variables["mysql_tls_cert_src"], variables["mysql_tls_key_src"], variables["mysql_tls_ca_src"]) == \
            (tls["certificate"], tls["key"], tls["ca"])
        assert variables["mysql_require_secure_transport"] is True
    assert groups["wandb_redis"]["vars"]["redis_tls_cert_src"] == tls["certificate"]
    assert groups["wandb_redis"]["vars"]["redis_tls_ca_src"] == tls["ca"]
    site_vars = groups["all"]["vars"]
    assert (site_vars["wandb_mysql_ca_bundle"], site_vars["wandb_redis_ca_bundle"], site_vars["wandb_redis_tls"]) == \
        ("/pki/ca.crt", "/pki/ca.crt", True)
    # MySQL may keep plain connections when the site says so; without tls nothing changes.
    relaxed = si.expand_site(site(components=components(mysql={"hosts": ["mysql1"], "tls": dict(tls, require=False)})))[0]
    assert relaxed["wandb_mysql"]["vars"]["mysql_require_secure_transport"] is False
    plain = si.expand_site(site())[0]
    assert not any(k.startswith(("mysql_tls", "mysql_require")) for k in plain["wandb_mysql"]["vars"])
    assert "wandb_redis_tls" not in plain["all"]["vars"] and "redis_tls_cert_src" not in plain["wandb_redis"]["vars"]


def test_a_ca_bundle_the_proxy_makes_is_marked_so_earlier_stages_do_not_require_it():
    """internal_ca: the proxy stage writes endpoints.ca_bundle during the first site run, after the preflight."""
    made = si.expand_site(site(endpoints={"ca_bundle": "/lab/pki/lab-ca.crt"}))[0]["all"]["vars"]
    assert made["wandb_ca_bundle_made_by_proxy"] is True
    given = si.expand_site(site(endpoints={"ca_bundle": "/pki/ca.crt"},
                                components=components(proxy={"hosts": ["proxy1"], "certificate_mode": "files"})))[0]["all"]["vars"]
    assert "wandb_ca_bundle_made_by_proxy" not in given
