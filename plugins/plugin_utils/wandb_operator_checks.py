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
from ansible_collections.onprem.wandb.plugins.plugin_utils.wandb_cr import renderer, spec_drift

ALWAYS_REQUIRED = ("kubernetes", "controller", "resource", "spec", "secrets")


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
    required = list(ALWAYS_REQUIRED) + (["phase"] if require_completed else [])
    return {"checks": checks, "required": required}
