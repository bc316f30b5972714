# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wandb_cr
short_description: Render the WeightsAndBiases custom resource of the W&B operator
version_added: 0.1.0
description:
  - Renders the C(WeightsAndBiases) resource (C(apps.wandb.com/v1)) from the inputs of the
    P(onprem.wandb.wandb_operator#role) role, that is the endpoints the site declares (the W&B URL,
    the object store URL with bucket and region, MySQL and Redis), the names of the Secrets holding
    license and passwords, the CA ConfigMap, ingress settings, the platform chart and extra values
    merged last. C(global.bucket.name) is the object store URL's C(host:port) and C(path) the bucket,
    with C(?tls=true) for an https URL.
  - The resource never carries a secret; it references Secrets by name.
  - Fails listing every problem with the variable to fix (see P(onprem.wandb.wandb_cr_problems#filter)).
options:
  _input:
    description:
      - The inputs, keyed like the role's variables without the C(wandb_operator_) prefix
        (C(cr_name), C(cr_namespace), C(host), C(bucket), C(bucket_secret), C(mysql), C(mysql_secret),
        C(redis), C(redis_secret), C(license_secret), C(ca_configmap), C(ingress_class),
        C(ingress_annotations), C(extra_env), C(extra_values), C(platform_chart), C(airgapped), C(labels)).
    type: dict
    required: true
  api_version:
    description: The resource version to render; only C(v1) exists today.
    type: str
    default: v1
    choices: [v1]
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Show the resource the role would apply
  ansible.builtin.debug:
    msg: "{{ inputs | onprem.wandb.wandb_cr('v1') | to_nice_yaml }}"
  vars:
    inputs:
      cr_name: wandb
      cr_namespace: default
      host: https://wandb.example.com
      bucket: {url: "https://s3.example.com", name: wandb, region: us-east-1}
      bucket_secret: {name: wandb-bucket, access_key_key: ACCESS_KEY, secret_key_key: SECRET_KEY}
      mysql: {host: mysql.example.com, port: 3306, database: wandb_local, user: wandb_local}
      mysql_secret: {name: wandb-mysql, key: password}
      redis: {host: redis.example.com, port: 6379, tls: false}
      redis_secret: {name: wandb-redis, key: password}
      license_secret: {name: wandb-license, key: license}
"""

RETURN = r"""
_value:
  description: The resource as a dict, ready for M(kubernetes.core.k8s).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import renderer


def wandb_cr(params, api_version="v1"):
    if not isinstance(params, dict):
        raise AnsibleFilterError("wandb_cr: the input must be a dict, got %s" % type(params).__name__)
    try:
        _problems, render = renderer(api_version)
        return render(params)
    except ValueError as error:
        raise AnsibleFilterError("wandb_cr: %s" % error)


class FilterModule(object):
    def filters(self):
        return {"wandb_cr": wandb_cr}
