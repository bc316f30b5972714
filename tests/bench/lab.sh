#!/usr/bin/env bash
# Measure the lab (make bench-lab): on fresh lab containers, the first converge of onprem.wandb.site,
# the idempotent re-run (must report 0 changed), --check --diff on the converged lab and
# onprem.wandb.verify alone, each as wall time and task results (ok + skipped + failed, over all
# hosts, from the play recap), then a table and the ratios to the first converge. The playbooks
# run as a site runs them: ansible-playbook -i <lab inventory> onprem.wandb.<playbook> from the
# repository root (ansible.cfg: pipelining, forks). Asserts nothing about speed; a run that fails,
# or a re-run that changes something, stops the bench.
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/../rig/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

rig_activate
bash "${REPO_ROOT}/tests/lab/lab.sh" init
export ONPREM_WANDB_LAB_DIR="${ONPREM_WANDB_LAB_DIR:-${ONPREM_WANDB_CACHE}/lab}"
export ANSIBLE_VAULT_PASSWORD_FILE="${ONPREM_WANDB_LAB_DIR}/vault-password"
export ANSIBLE_NOCOLOR=1
cd "${REPO_ROOT}"
out="${ONPREM_WANDB_LAB_DIR}/bench"
mkdir -p "${out}"

# run NAME PLAYBOOK [ARGS...]: prints "seconds task_results changed"
run() {
    local name="$1" playbook="$2"
    shift 2
    timed_playbook "${out}/${name}.log" ansible-playbook -i "${ONPREM_WANDB_LAB_DIR}/inventory" "onprem.wandb.${playbook}" "$@"
}

log "bench lab: fresh containers and control plane (molecule destroy + create -s lab)"
start=$(date +%s)
molecule destroy -s lab >/dev/null 2>&1
molecule create -s lab > "${out}/create.log" 2>&1 || die "molecule create -s lab failed: see ${out}/create.log"
create=$(( $(date +%s) - start ))

log "bench lab: first converge (onprem.wandb.site)"
read -r t_first n_first c_first < <(run first-converge site)
log "bench lab: idempotent re-run"
read -r t_rerun n_rerun c_rerun < <(run rerun site)
[ "${c_rerun}" = 0 ] || die "the re-run changed ${c_rerun} task results: see ${out}/rerun.log"
log "bench lab: --check --diff on the converged lab"
read -r t_check n_check c_check < <(run check site --check --diff)
log "bench lab: verify alone (onprem.wandb.verify)"
read -r t_verify n_verify c_verify < <(run verify verify)

{
    printf 'lab bench, %s\n' "$(machine_line)"
    printf '  (containers and control plane created in %ss, not counted)\n' "${create}"
    printf '  %-26s %8s %13s %8s %14s\n' "run" "seconds" "task results" "changed" "ratio to first"
    printf '  %-26s %8s %13s %8s %14s\n' "first converge" "${t_first}" "${n_first}" "${c_first}" "1.00"
    printf '  %-26s %8s %13s %8s %14s\n' "idempotent re-run" "${t_rerun}" "${n_rerun}" "${c_rerun}" "$(ratio "${t_rerun}" "${t_first}")"
    printf '  %-26s %8s %13s %8s %14s\n' "check --diff (converged)" "${t_check}" "${n_check}" "${c_check}" "$(ratio "${t_check}" "${t_first}")"
    printf '  %-26s %8s %13s %8s %14s\n' "verify alone" "${t_verify}" "${n_verify}" "${c_verify}" "$(ratio "${t_verify}" "${t_first}")"
} | tee "${out}/result.txt"
log "bench lab: the lab stays up (make lab-down removes it); logs in ${out}"
