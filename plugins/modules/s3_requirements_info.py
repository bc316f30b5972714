#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: s3_requirements_info
short_description: Check that an S3 bucket (MinIO or other) meets W&B Server's requirements
version_added: 0.1.0
description:
  - Proves with real requests what W&B's clients will do against the object store, with the
    access key W&B uses - the bucket exists; a presigned PUT uploads an object, a presigned GET
    returns the same bytes and a presigned HEAD its size; CORS preflights from the W&B origin for
    PUT and GET are answered with that origin, the method and the requested headers allowed, and
    a GET from that origin carries the origin back; an origin that is not W&B's is not granted.
  - Optionally proves the key is limited to its bucket (it cannot create buckets and lists no
    other bucket) and, for MinIO, that the cluster has write quorum and, with admin credentials,
    that every node is online and every drive is ok.
  - The test object (under O(key_prefix)) is deleted again, also when a check fails.
  - Every failure says what was sent and what came back; presigned URLs are shown without their
    query string, and the secret keys are never returned.
extends_documentation_fragment:
  - onprem.wandb.requirements_check
author:
  - onprem.wandb maintainers (@onprem)
options:
  endpoint_url:
    description: The S3 endpoint, C(http://host:port) or C(https://host:port).
    type: str
    required: true
  bucket:
    description: The bucket W&B uses.
    type: str
    required: true
  access_key:
    description: The access key W&B uses.
    type: str
    required: true
  secret_key:
    description: Its secret key. Never logged or returned.
    type: str
    required: true
  region:
    description: The region the endpoint signs for.
    type: str
    default: us-east-1
  ca_bundle:
    description: CA bundle (PEM) that verifies an https endpoint; without it the default trust store is used.
    type: path
  connect_host:
    description:
      - Address to connect to instead of resolving the endpoint's host name (a lab, or a check before DNS
        is live), like C(curl --resolve). Requests still carry the name (Host header, TLS SNI) and TLS still
        verifies the certificate against it.
    type: str
  declared_endpoint:
    description:
      - The endpoint is the one W&B and its users are given. Adds two checks, C(mixed_content) (an http
        endpoint behind an https O(origin) fails, because browsers block it) and C(single_node) (the endpoint
        is one of O(node_addresses) of a multi-node cluster).
    type: bool
    default: false
  node_addresses:
    description: Names and addresses of the MinIO nodes, for the C(single_node) check.
    type: list
    elements: str
    default: []
  origin:
    description:
      - The W&B origin (scheme, host and port of the W&B URL) that must pass CORS.
      - Without it the CORS checks are not run and RV(checks) says so; they do not count as passed.
    type: str
  disallowed_origin:
    description: An origin that must not be granted by CORS.
    type: str
    default: https://not-wandb.invalid
  object_size:
    description: Bytes of the test object sent through the presigned PUT.
    type: int
    default: 1048576
  key_prefix:
    description: Prefix of the test object's key.
    type: str
    default: onprem-wandb-probe/
  check_least_privilege:
    description: Prove the key cannot create buckets and sees no other bucket (a refused C(CreateBucket) call).
    type: bool
    default: true
  check_minio_health:
    description:
      - Ask MinIO's C(/minio/health/cluster) whether the cluster has write quorum (C(cluster_health)); with
        the admin credentials also whether every node and drive is up (C(nodes_online)).
    type: bool
    default: false
  admin_access_key:
    description: MinIO credentials allowed to read C(admin:ServerInfo); with them, nodes and drives are checked.
    type: str
  admin_secret_key:
    description: Secret of O(admin_access_key). Never logged or returned.
    type: str
  expected_nodes:
    description: Node count the cluster must report (with the admin credentials).
    type: int
  expected_drives:
    description: Drive count the cluster must report (with the admin credentials).
    type: int
  timeout:
    description: Seconds for connecting and for each answer.
    type: float
    default: 10
attributes:
  check_mode:
    support: full
    description:
      - Runs also in check mode. It writes and deletes its own test object, and the least-privilege
        probe asks to create a bucket it expects to be refused, because proving writes work is the point.
  idempotent:
    support: full
    description: The test object is removed again; a bucket the probe could create is removed at once and reported.
requirements:
  - boto3 and botocore on the host that runs the module (usually the controller)
"""

EXAMPLES = r"""
- name: Check the W&B bucket on MinIO, including CORS and the cluster's drives
  onprem.wandb.s3_requirements_info:
    endpoint_url: https://minio1.example.internal:9000
    bucket: wandb
    access_key: wandb
    secret_key: "{{ vault_minio_wandb_secret_key }}"
    ca_bundle: /etc/ssl/certs/site-ca.pem
    origin: https://wandb.example.com
    check_minio_health: true
    admin_access_key: "{{ vault_minio_root_user }}"
    admin_secret_key: "{{ vault_minio_root_password }}"
    expected_nodes: 4
    expected_drives: 8
  delegate_to: localhost
"""

RETURN = r"""
passed:
  description: Whether every check that ran passed.
  returned: always
  type: bool
  sample: true
failures:
  description: One sentence per failed check, naming what was sent and what came back.
  returned: always
  type: list
  elements: str
  sample: ["CORS preflight OPTIONS https://minio1:9000/wandb/onprem-wandb-probe/x with Origin: https://wandb.example.com,
    Access-Control-Request-Method: PUT answered HTTP 204 with Access-Control-Allow-Origin: (absent), ...:
    the W&B origin is not allowed"]
checks:
  description: >-
    One result per check: C(status) (passed, failed, warn, not_run), a one-line C(reason) and,
    where they exist, the C(expected) and C(found) values.
  returned: always
  type: dict
  sample:
    bucket: {status: passed, reason: ""}
    nodes_online: {status: failed, reason: "MinIO nodes not online: minio2:9000 (3 of 4 online)"}
endpoint_url:
  description: The endpoint the checks went through.
  returned: always
  type: str
  sample: https://s3.example.com
tls:
  description: Whether the endpoint is https.
  returned: always
  type: bool
  sample: true
object_size:
  description: Bytes sent through the presigned PUT.
  returned: always
  type: int
  sample: 1048576
cluster:
  description: Nodes and drives MinIO reports (with the admin credentials).
  returned: when admin credentials are given and the admin API answered
  type: dict
  sample: {nodes_total: 4, nodes_online: 4, nodes_offline: [], drives_total: 8, drives_ok: 8, drives_not_ok: [],
           drives_not_ok_on_online_nodes: [], standard_parity: 4, sets: [1], drives_per_set: [8]}
"""

import hashlib
import json
import os
import socket
import ssl
import traceback
import uuid

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.onprem.wandb.plugins.module_utils.address_override import connect_to
from ansible_collections.onprem.wandb.plugins.module_utils.checklist import PASSED, not_run, outcome
from ansible_collections.onprem.wandb.plugins.module_utils.s3_requirements import (
    PREFLIGHT_HEADERS,
    cluster_problems,
    cluster_summary,
    degraded_problems,
    disallowed_origin_problems,
    exposed_header_problems,
    mixed_content_problems,
    preflight_problems,
    response_origin_problems,
    single_node_problems,
)
from ansible_collections.onprem.wandb.plugins.module_utils.wandb_requirements import REQUIREMENTS

try:
    import boto3
    import urllib3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.exceptions import BotoCoreError, ClientError

    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()


def without_query(url):
    return url.split("?", 1)[0]


def error_code(body):
    """<Code> and <Message> of an S3 XML error body, for the failure sentence."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    parts = []
    for tag in ("Code", "Message"):
        start, end = text.find("<%s>" % tag), text.find("</%s>" % tag)
        if 0 <= start < end:
            parts.append(text[start + len(tag) + 2:end])
    return ": ".join(parts) or text[:200]


class Probe(object):
    """Runs the checks in order and records an outcome for each."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.failures = []
        self.checks = {}
        verify = self.params["ca_bundle"] or True
        timeout = self.params["timeout"]
        self.s3 = boto3.client(
            "s3",
            endpoint_url=self.params["endpoint_url"],
            aws_access_key_id=self.params["access_key"],
            aws_secret_access_key=self.params["secret_key"],
            region_name=self.params["region"],
            verify=verify,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, connect_timeout=timeout,
                          read_timeout=timeout, retries={"max_attempts": 1}),
        )
        context = None
        if self.params["endpoint_url"].startswith("https://"):
            context = ssl.create_default_context(cafile=self.params["ca_bundle"])
        self.http = urllib3.PoolManager(ssl_context=context, timeout=urllib3.Timeout(connect=timeout, read=timeout),
                                        retries=False)
        self.object_url = "%s/%s/%s" % (self.params["endpoint_url"].rstrip("/"), self.params["bucket"],
                                        self.params["key_prefix"] + "cors-preflight")

    def record(self, name, problems):
        self.checks[name] = outcome(problems)
        self.failures.extend(problems)
        return not problems

    def request(self, method, url, body=None, headers=None):
        answer = self.http.request(method, url, body=body, headers=headers or {})
        return answer.status, dict(answer.headers), answer.data

    def presigned(self, operation, key, method, body=None, headers=None):
        url = self.s3.generate_presigned_url(operation, Params={"Bucket": self.params["bucket"], "Key": key},
                                             ExpiresIn=300)
        return (without_query(url),) + self.request(method, url, body=body, headers=headers)

    def bucket(self):
        bucket = self.params["bucket"]
        try:
            self.s3.head_bucket(Bucket=bucket)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            reason = {404: "does not exist", 403: "is not accessible with this access key (403)"}.get(
                status, "answered %s" % error)
            return self.record("bucket", ["bucket %s at %s %s" % (bucket, self.params["endpoint_url"], reason)])
        return self.record("bucket", [])

    def round_trip(self, key):
        payload = os.urandom(self.params["object_size"])
        url, status, _headers, body = self.presigned("put_object", key, "PUT", body=payload)
        if not self.record("presigned_put", [] if status == 200 else [
                "presigned PUT of %d bytes to %s answered HTTP %s: %s" % (len(payload), url, status, error_code(body))]):
            return
        url, status, _headers, body = self.presigned("get_object", key, "GET")
        got = hashlib.sha256(body).hexdigest() if status == 200 else None
        self.record("presigned_get", [] if got == hashlib.sha256(payload).hexdigest() else [
            "presigned GET of %s answered HTTP %s with %d bytes (sha256 %s); the PUT sent %d bytes (sha256 %s)"
            % (url, status, len(body), got or "-", len(payload), hashlib.sha256(payload).hexdigest())])
        url, status, headers, _body = self.presigned("head_object", key, "HEAD")
        length = {k.lower(): v for k, v in headers.items()}.get("content-length")
        self.record("presigned_head", [] if status == 200 and str(length) == str(len(payload)) else [
            "presigned HEAD of %s answered HTTP %s with Content-Length %s; expected %d"
            % (url, status, length, len(payload))])

    def cors(self, key):
        origin = self.params["origin"]
        if not origin:
            self.checks["cors"] = not_run("no origin given")
            self.checks["disallowed_origin"] = not_run("no origin given")
            return
        problems = []
        for method in REQUIREMENTS["object_store"]["cors_methods"]:
            request_headers = PREFLIGHT_HEADERS.get(method, [])
            status, headers, _body = self.request("OPTIONS", self.object_url, headers={
                "Origin": origin, "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": ", ".join(request_headers)})
            problems += preflight_problems(self.object_url, origin, method, request_headers, status, headers)
        if self.checks.get("presigned_put", {}).get("status") == PASSED:
            url, status, headers, _body = self.presigned("get_object", key, "GET", headers={"Origin": origin})
            problems += response_origin_problems("presigned GET of %s" % url, origin, status, headers)
            problems += exposed_header_problems("presigned GET of %s" % url, origin, headers,
                                                REQUIREMENTS["object_store"]["cors_expose_headers"])
        self.record("cors", problems)
        other = self.params["disallowed_origin"]
        status, headers, _body = self.request("OPTIONS", self.object_url, headers={
            "Origin": other, "Access-Control-Request-Method": "PUT"})
        self.record("disallowed_origin", disallowed_origin_problems(self.object_url, other, "PUT", status, headers))

    def least_privilege(self):
        problems = []
        probe = "onprem-wandb-probe-%s" % uuid.uuid4().hex[:12]
        try:
            self.s3.create_bucket(Bucket=probe)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code != "AccessDenied":
                problems.append("CreateBucket %s with the W&B key answered %s, expected AccessDenied" % (probe, code))
        else:
            self.s3.delete_bucket(Bucket=probe)
            problems.append("the W&B key created bucket %s (removed again): it is not limited to bucket %s"
                            % (probe, self.params["bucket"]))
        try:
            names = sorted(b["Name"] for b in self.s3.list_buckets().get("Buckets", []))
        except ClientError:
            names = []  # Refusing ListBuckets is stricter still.
        others = [name for name in names if name != self.params["bucket"]]
        if others:
            problems.append("the W&B key lists other buckets: %s" % ", ".join(others))
        self.record("least_privilege", problems)

    def minio_health(self):
        url = self.params["endpoint_url"].rstrip("/") + "/minio/health/cluster"
        status, _headers, _body = self.request("GET", url)
        problems = [] if status == 200 else [
            "GET %s answered HTTP %s: the MinIO cluster has no write quorum" % (url, status)]
        result = None
        if self.params["admin_access_key"]:
            info_url = self.params["endpoint_url"].rstrip("/") + "/minio/admin/v3/info"
            signed = AWSRequest(method="GET", url=info_url,
                                headers={"X-Amz-Content-Sha256": hashlib.sha256(b"").hexdigest()})
            SigV4Auth(Credentials(self.params["admin_access_key"], self.params["admin_secret_key"]), "s3",
                      self.params["region"]).add_auth(signed)
            status, _headers, body = self.request("GET", info_url, headers=dict(signed.headers))
            if status != 200:
                problems.append("GET %s with the admin credentials answered HTTP %s: %s"
                                % (info_url, status, error_code(body)))
            else:
                result = cluster_summary(json.loads(body))
                problems += cluster_problems(result, self.params["expected_nodes"], self.params["expected_drives"])
                self.record("nodes_online", degraded_problems(result))
        self.record("cluster_health", problems)
        return result

    def endpoint(self, hostname):
        """The declared endpoint as its users meet it: https behind an https W&B, and not a single node."""
        url = self.params["endpoint_url"]
        origin = self.params["origin"]
        if origin:
            self.record("mixed_content", mixed_content_problems(origin, url))
        else:
            self.checks["mixed_content"] = not_run("no origin given")
        nodes = self.params["node_addresses"]
        total = self.params["expected_nodes"] or len(nodes)
        addresses = {hostname}
        if self.params["connect_host"]:
            addresses.add(self.params["connect_host"])
        try:
            addresses.update(info[4][0] for info in socket.getaddrinfo(hostname, None))
        except OSError:
            pass  # a name that does not resolve here is judged by its name alone
        self.record("single_node", single_node_problems(url, addresses, nodes, total))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoint_url=dict(type="str", required=True),
            bucket=dict(type="str", required=True),
            access_key=dict(type="str", required=True, no_log=False),
            secret_key=dict(type="str", required=True, no_log=True),
            region=dict(type="str", default="us-east-1"),
            ca_bundle=dict(type="path"),
            connect_host=dict(type="str"),
            declared_endpoint=dict(type="bool", default=False),
            node_addresses=dict(type="list", elements="str", default=[]),
            origin=dict(type="str"),
            disallowed_origin=dict(type="str", default="https://not-wandb.invalid"),
            object_size=dict(type="int", default=1048576),
            key_prefix=dict(type="str", default="onprem-wandb-probe/", no_log=False),
            check_least_privilege=dict(type="bool", default=True),
            check_minio_health=dict(type="bool", default=False),
            admin_access_key=dict(type="str", no_log=False),
            admin_secret_key=dict(type="str", no_log=True),
            expected_nodes=dict(type="int"),
            expected_drives=dict(type="int"),
            timeout=dict(type="float", default=10),
            fail_on_failure=dict(type="bool", default=True),
        ),
        required_together=[("admin_access_key", "admin_secret_key")],
        supports_check_mode=True,
    )
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"), exception=BOTO3_IMPORT_ERROR)
    if not module.params["endpoint_url"].startswith(("http://", "https://")):
        module.fail_json(msg="endpoint_url %r must start with http:// or https://" % module.params["endpoint_url"])
    if module.params["object_size"] < 1:
        module.fail_json(msg="object_size must be at least 1, got %d" % module.params["object_size"])

    hostname = urllib3.util.parse_url(module.params["endpoint_url"]).host
    with connect_to(hostname, module.params["connect_host"]):
        run(module, hostname)


def run(module, hostname):
    probe = Probe(module)
    key = "%s%s" % (module.params["key_prefix"], uuid.uuid4().hex)
    result = dict(changed=False, endpoint_url=module.params["endpoint_url"], tls=module.params["endpoint_url"].startswith("https://"),
                  object_size=module.params["object_size"])
    try:
        if module.params["declared_endpoint"]:
            probe.endpoint(hostname)
        if module.params["check_minio_health"]:
            cluster = probe.minio_health()
            if cluster is not None:
                result["cluster"] = cluster
        if probe.bucket():
            try:
                probe.round_trip(key)
                probe.cors(key)
            finally:
                probe.s3.delete_object(Bucket=module.params["bucket"], Key=key)
            if module.params["check_least_privilege"]:
                probe.least_privilege()
    except (BotoCoreError, ClientError, urllib3.exceptions.HTTPError, ssl.SSLError, OSError) as error:
        probe.failures.append("talking to %s failed: %s" % (module.params["endpoint_url"], error))
    wanted = ["bucket", "presigned_put", "presigned_get", "presigned_head", "cors", "disallowed_origin"]
    wanted += ["least_privilege"] if module.params["check_least_privilege"] else []
    wanted += ["cluster_health"] if module.params["check_minio_health"] else []
    wanted += ["nodes_online"] if module.params["check_minio_health"] and module.params["admin_access_key"] else []
    wanted += ["mixed_content", "single_node"] if module.params["declared_endpoint"] else []
    for name in wanted:
        probe.checks.setdefault(name, not_run("an earlier check failed"))
    result.update(passed=not probe.failures, failures=probe.failures, checks=probe.checks)
    if probe.failures and module.params["fail_on_failure"]:
        module.fail_json(msg="; ".join(probe.failures), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
