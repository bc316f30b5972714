#!/usr/bin/env bash
# MinIO scale benchmark (make bench-minio-scale): onprem.wandb.minio on N fresh systemd containers of
# the rig (N from NODES, default "4 8"), two tmpfs drives each like the minio scenario's, one run per
# size: the first converge and the idempotent re-run, their task results and the ratio of each size
# to the smallest. The role's work per node runs in parallel across hosts (forks from ansible.cfg);
# what grows with the cluster is the steps MinIO needs once per cluster and the waits for every node.
# A benchmark, not a test: it fails only when a run fails or a re-run changes something.
# Usage: tests/bench/minio_scale.sh ["4 8"]
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/../rig/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

read -r -a sizes <<< "${1:-4 8}"
for n in "${sizes[@]}"; do
    if ! [[ "${n}" =~ ^[1-9][0-9]*$ ]] || [ "${n}" -lt 4 ]; then
        die "NODES: '${n}' is not a node count of 4 or more (MinIO's erasure sets)"
    fi
done
rig_activate
cd "${REPO_ROOT}"
export ANSIBLE_NOCOLOR=1
out="${ONPREM_WANDB_CACHE}/bench-minio-scale"
rm -rf "${out}"
mkdir -p "${out}"
chmod 0700 "${out}"

# Random credentials (a file only root reads; no default passwords anywhere) and the rig's pinned
# binaries, as the minio scenario gives them.
umask 077
{
    printf 'minio_root_user: benchadmin\n'
    printf 'minio_root_password: "%s"\n' "$(random_secret)"
    printf 'minio_wandb_secret_key: "%s"\n' "$(random_secret)"
} > "${out}/secrets.yml"
umask 022
minio="${ONPREM_WANDB_ARTIFACTS}/minio-${MINIO_VERSION}/minio"
mc="${ONPREM_WANDB_ARTIFACTS}/mc-${MC_VERSION}/mc"
if [ ! -x "${minio}" ] || [ ! -x "${mc}" ]; then
    die "no MinIO or mc artifact under ${ONPREM_WANDB_ARTIFACTS} (run: make setup)"
fi
cat > "${out}/minio.yml" <<YAML
- name: MinIO, every node of the group
  hosts: wandb_minio
  gather_facts: true
  roles:
    - role: onprem.wandb.minio
      vars:
        wandb_url: https://wandb.bench.test
        minio_drives: [/srv/minio/disk1, /srv/minio/disk2]
        minio_binary_local_path: ${minio}
        minio_binary_sha256: $(cut -d' ' -f1 "${minio}.sha256")
        minio_mc_binary_local_path: ${mc}
        minio_mc_binary_sha256: $(cut -d' ' -f1 "${mc}.sha256")
YAML

# containers ACTION N: create or destroy N MinIO nodes with the shared platform playbooks.
containers() {
    local platforms="" i
    for (( i = 1; i <= $2; i++ )); do
        platforms+=$(printf '{"name": "onprem-wandb-bench-minio%s", "tmpfs": ["/srv/minio/disk1:size=256m", "/srv/minio/disk2:size=256m"]},' "${i}")
    done
    printf '{"molecule_scenario_name": "bench-minio", "molecule_yml": {"platforms": [%s]}}\n' "${platforms%,}" > "${out}/platforms.json"
    rig_containers "$1" "${out}/platforms.json" "${out}/$1-$2.log"
}
largest="${sizes[-1]}"
trap 'containers destroy "${largest}" || true' EXIT

declare -A t_first n_first t_rerun n_rerun
for n in "${sizes[@]}"; do
    log "bench minio: ${n} nodes x 2 drives, fresh containers"
    containers destroy "${largest}"
    containers create "${n}"
    {
        printf 'all:\n  vars:\n    ansible_connection: community.docker.docker\n  children:\n    wandb_minio:\n      hosts:\n'
        for (( i = 1; i <= n; i++ )); do printf '        onprem-wandb-bench-minio%s: {}\n' "${i}"; done
    } > "${out}/inventory-${n}.yml"
    log "bench minio: ${n} nodes: first converge"
    read -r "t_first[${n}]" "n_first[${n}]" _ < <(timed_playbook "${out}/first-${n}.log" \
        ansible-playbook -i "${out}/inventory-${n}.yml" -e "@${out}/secrets.yml" "${out}/minio.yml")
    log "bench minio: ${n} nodes: idempotent re-run"
    read -r "t_rerun[${n}]" "n_rerun[${n}]" changed < <(timed_playbook "${out}/rerun-${n}.log" \
        ansible-playbook -i "${out}/inventory-${n}.yml" -e "@${out}/secrets.yml" "${out}/minio.yml")
    [ "${changed}" = 0 ] || die "the ${n}-node re-run changed ${changed} task results: see ${out}/rerun-${n}.log"
done

smallest="${sizes[0]}"
{
    printf 'minio scale bench, %s\n' "$(machine_line)"
    printf '  %-8s %14s %13s %14s %13s %17s %17s\n' "nodes" "first (s)" "task results" "re-run (s)" "task results" \
        "first / ${smallest}" "re-run / ${smallest}"
    for n in "${sizes[@]}"; do
        printf '  %-8s %14s %13s %14s %13s %17s %17s\n' "${n}" "${t_first[${n}]}" "${n_first[${n}]}" "${t_rerun[${n}]}" "${n_rerun[${n}]}" \
            "$(ratio "${t_first[${n}]}" "${t_first[${smallest}]}")" "$(ratio "${t_rerun[${n}]}" "${t_rerun[${smallest}]}")"
    done
} | tee "${out}/result.txt"
