#!/usr/bin/env bash
# The local lab: the whole W&B stack in the project's own systemd containers on this machine
# (MySQL, 4 MinIO nodes x 2 drives, Redis, nginx, the test Kubernetes control plane), driven by
# the site file sites/lab.yml through the full-stack Molecule scenario extensions/molecule/lab.
#   tests/lab/lab.sh up      set up what the machine lacks, then create, converge (site.yml,
#                            which ends with verify.yml), print the report and how to reach each service
#   tests/lab/lab.sh down    remove the containers, their network and the lab directory (secrets too)
#   tests/lab/lab.sh info    the report and the addresses again
#   tests/lab/lab.sh init    only the lab directory: random vaulted secrets, inventory, artifact paths
# The lab directory is $ONPREM_WANDB_LAB_DIR (default: $ONPREM_WANDB_CACHE/lab).
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/../rig/lib.sh"

LAB="${ONPREM_WANDB_LAB_DIR:-${ONPREM_WANDB_CACHE}/lab}"
export ONPREM_WANDB_LAB_DIR="${LAB}"

step() {
    STEP_START=$(date +%s)
    log "==== lab: $*"
}

step_done() {
    log "==== lab: done in $(( $(date +%s) - STEP_START ))s"
}

# The lab's inventory: the site file (a link to sites/lab.yml), its random secrets vaulted with a
# random password (mode 0600, never printed) and the machine's artifact paths. Idempotent: the
# secrets are made once per lab and kept until `down`.
lab_init() {
    local inventory="${LAB}/inventory"
    (
        umask 077
        mkdir -p "${inventory}/group_vars/all" "${LAB}/reports"
        if [ ! -s "${LAB}/vault-password" ]; then
            python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "${LAB}/vault-password"
        fi
        if [ ! -s "${inventory}/group_vars/all/vault.yml" ]; then
            python3 - <<'PY' | ansible-vault encrypt --vault-password-file "${LAB}/vault-password" \
                --output "${inventory}/group_vars/all/vault.yml" -
import secrets

def token():
    return "Lab-" + secrets.token_urlsafe(24)

for name, value in (("vault_wandb_license", "lab-license-" + secrets.token_hex(8)),
                    ("vault_mysql_user_password", token()),
                    ("vault_minio_root_user", "labadmin"),
                    ("vault_minio_root_password", token()),
                    ("vault_minio_wandb_secret_key", token()),
                    ("vault_redis_password", token())):
    print('%s: "%s"' % (name, value))
PY
        fi
        # The day-2 secrets (replication, backups), added to a lab made before they existed.
        if [ ! -s "${inventory}/group_vars/all/vault-day2.yml" ]; then
            python3 - <<'PY' | ansible-vault encrypt --vault-password-file "${LAB}/vault-password" \
                --output "${inventory}/group_vars/all/vault-day2.yml" -
import secrets

def token():
    return "Lab-" + secrets.token_urlsafe(24)

# MySQL takes replication passwords of at most 32 characters.
print('vault_mysql_replication_password: "Lab-%s"' % secrets.token_urlsafe(18))
print('vault_mysql_backup_password: "%s"' % token())
print('vault_mysql_backup_repository_env: {AWS_ACCESS_KEY_ID: "labbackup", AWS_SECRET_ACCESS_KEY: "%s"}' % token())
PY
        fi
    )
    ln -sfn "${REPO_ROOT}/sites/lab.yml" "${inventory}/lab.yml"
    local minio="${ONPREM_WANDB_ARTIFACTS}/minio-${MINIO_VERSION}/minio" mc="${ONPREM_WANDB_ARTIFACTS}/mc-${MC_VERSION}/mc"
    local charts="${ONPREM_WANDB_ARTIFACTS}/charts" operator_chart="operator-${WANDB_OPERATOR_CHART_VERSION}.tgz"
    cat > "${inventory}/group_vars/all/artifacts.yml" <<YAML
# Made by tests/lab/lab.sh from tests/rig/versions.env: the binaries the rig built on this machine
# (an air-gapped site's local artifacts) and the sha256 pins the rig recorded.
minio_binary_local_path: ${minio}
minio_binary_sha256: "$(cut -d' ' -f1 "${minio}.sha256" 2>/dev/null || echo missing)"
minio_mc_binary_local_path: ${mc}
minio_mc_binary_sha256: "$(cut -d' ' -f1 "${mc}.sha256" 2>/dev/null || echo missing)"
# W&B's operator chart from the rig's chart mirror (tests/rig/charts.sh), pinned by its sha256.
wandb_operator_chart_archive: ${charts}/${operator_chart}
wandb_operator_chart_archive_sha256: "$(grep -E "  ${operator_chart}\$" "${charts}/SHA256SUMS" 2>/dev/null | cut -d' ' -f1 || echo missing)"
YAML
}

lab_info() {
    local report="${LAB}/reports/lab-verify.md" name
    [ -f "${report}" ] && cat "${report}"
    printf '\nThe lab (site file sites/lab.yml, inventory %s):\n' "${LAB}/inventory"
    for name in mysql mysql2 backup minio1 minio2 minio3 minio4 redis proxy k8s; do
        printf '  %-8s %s\n' "${name}" "$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "onprem-wandb-lab-${name}" 2>/dev/null || echo 'not running')"
    done
    local proxy redis
    proxy=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' onprem-wandb-lab-proxy 2>/dev/null || true)
    redis=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' onprem-wandb-lab-redis 2>/dev/null || true)
    cat <<TEXT

  W&B URL     https://wandb.lab.test and its object store https://s3.lab.test (both the proxy: add
              "${proxy:-<proxy address>} wandb.lab.test s3.lab.test" to /etc/hosts; trust ${LAB}/pki/lab-ca.crt)
  MySQL       onprem-wandb-lab-mysql:3306 (inside the lab network), database wandb_local, user wandb_local
  MinIO       https://s3.lab.test (balanced over minio1-4), bucket wandb, access key wandb
  Redis       onprem-wandb-lab-redis:6379 (${redis:-not running}; TLS, the lab's service CA), password (W&B connects as the default user)
  Kubernetes  KUBECONFIG=${LAB}/kubeconfig kubectl get weightsandbiases -A
  Secrets     ansible-vault view --vault-password-file ${LAB}/vault-password ${LAB}/inventory/group_vars/all/vault.yml
  Re-run      cd ${REPO_ROOT} && PATH=${ONPREM_WANDB_CACHE}/bin:${REPO_ROOT}/.venv/bin:\$PATH ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH} ONPREM_WANDB_LAB_DIR=${LAB} ANSIBLE_VAULT_PASSWORD_FILE=${LAB}/vault-password ansible-playbook -i ${LAB}/inventory onprem.wandb.verify
              (the whole line, in any shell: the collection, the venv, the Go-built tools and the lab directory it needs are on it)
  Tear down   make lab-down
TEXT
}

case "${1:-up}" in
    init)
        rig_activate
        lab_init ;;
    up)
        step "set up the machine (Docker engine, venv, base images, Go-built tools; cached)"
        bash "${REPO_ROOT}/tests/run.sh" setup
        step_done
        rig_activate
        lab_init
        cd "${REPO_ROOT}"
        step "create the containers and the Kubernetes control plane (molecule create -s lab)"
        molecule create -s lab
        step_done
        step "converge: onprem.wandb.site on the lab, ending with onprem.wandb.verify (molecule converge -s lab)"
        molecule converge -s lab
        step_done
        lab_info ;;
    info)
        rig_activate
        lab_info ;;
    down)
        rig_activate
        lab_init
        cd "${REPO_ROOT}"
        step "destroy the lab's containers and network"
        molecule destroy -s lab
        rm -rf "${LAB}"
        step_done ;;
    *)
        die "usage: tests/lab/lab.sh up|down|info|init" ;;
esac
