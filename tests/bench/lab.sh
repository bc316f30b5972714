#!/usr/bin/env bash
# Measure the lab (make bench-lab): on fresh lab containers, the first converge of onprem.wandb.site,
# the idempotent re-run (must report 0 changed), --check --diff on the converged lab and
# onprem.wandb.verify alone, each as wall time and task results (ok + skipped + failed, over all
# hosts, from the play recap), then a table and the ratios to the first converge. The playbooks
# run as a site runs them: ansible-playbook -i <lab inventory> onprem.wandb.<playbook> from the
# repository root (ansible.cfg: pipelining, forks), once over the rig's docker connection and once
# over SSH (BENCH_CONNECTIONS="docker ssh", the default). Asserts nothing about speed; a run that
# fails, or a re-run that changes something, stops the bench. With BENCH_PROFILE=1 (the default) a
# further re-run per connection runs with ansible.posix.profile_tasks and the bench prints its time
# per role and its slowest tasks (tests/bench/profile_summary.py).
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
rm -f "${out}"/profile-*.txt

# The connections to measure (BENCH_CONNECTIONS, default both): the rig's docker connection, and
# SSH as real sites use it (sshd installed in the lab's containers after they are created, the
# controller's key, ansible-core's default ControlMaster/ControlPersist, pipelining from ansible.cfg).
read -r -a connections <<< "${BENCH_CONNECTIONS:-docker ssh}"
for connection in "${connections[@]}"; do
    [[ "${connection}" =~ ^(docker|ssh)$ ]] || die "BENCH_CONNECTIONS: '${connection}' is not docker or ssh"
done

# run NAME INVENTORY PLAYBOOK [ARGS...]: prints "seconds task_results changed"
run() {
    local name="$1" inventory="$2" playbook="$3"
    shift 3
    timed_playbook "${out}/${name}.log" ansible-playbook -i "${inventory}" "onprem.wandb.${playbook}" "$@"
}

# ssh_inventory DIR: the lab's inventory as a site reached over SSH would have it: the same site file
# and vaulted group_vars, and per host (host_vars beat the site plugin's connection block) SSH to
# the container's address as root with the bench's key. sshd is installed and started in every
# site host first (not counted: a real host has it).
ssh_inventory() {
    local dir="$1" hosts host address
    rm -rf "${dir}"
    mkdir -p "${dir}/host_vars" "${out}/ssh"
    ln -s "${ONPREM_WANDB_LAB_DIR}/inventory/lab.yml" "${dir}/lab.yml"
    ln -s "${ONPREM_WANDB_LAB_DIR}/inventory/group_vars" "${dir}/group_vars"
    [ -f "${out}/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C onprem-wandb-bench -f "${out}/ssh/id_ed25519"
    : > "${out}/ssh/known_hosts"
    hosts=$(ansible-inventory -i "${ONPREM_WANDB_LAB_DIR}/inventory" --list \
        | python3 -c 'import json, sys; print(" ".join(h for h in json.load(sys.stdin)["_meta"]["hostvars"] if h != "localhost"))')
    for host in ${hosts}; do
        address=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
            "${ONPREM_WANDB_LAB_DIR}/addresses.json" "${host}") || die "no address for ${host} in addresses.json"
        docker exec -i "${host}" sh -c 'export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
            install -d -m 0700 /root/.ssh && cat > /root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys
            systemctl enable --now ssh >/dev/null 2>&1' < "${out}/ssh/id_ed25519.pub" &
        cat > "${dir}/host_vars/${host}.yml" <<HOSTVARS
ansible_connection: ansible.builtin.ssh
ansible_host: ${address}
ansible_user: root
ansible_ssh_private_key_file: ${out}/ssh/id_ed25519
ansible_ssh_common_args: -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${out}/ssh/known_hosts
HOSTVARS
    done
    wait
    for host in ${hosts}; do
        ansible -i "${dir}" "${host}" -m ansible.builtin.ping >/dev/null || die "${host} does not answer over SSH"
    done
}

declare -A t_first n_first c_first t_rerun n_rerun c_rerun t_check n_check c_check t_verify n_verify c_verify create
for connection in "${connections[@]}"; do
    inventory="${ONPREM_WANDB_LAB_DIR}/inventory"
    log "bench lab (${connection}): fresh containers and control plane (molecule destroy + create -s lab)"
    start=$(date +%s)
    molecule destroy -s lab >/dev/null 2>&1
    molecule create -s lab > "${out}/create-${connection}.log" 2>&1 || die "molecule create -s lab failed: see ${out}/create-${connection}.log"
    if [ "${connection}" = ssh ]; then
        inventory="${out}/ssh-inventory"
        ssh_inventory "${inventory}"
    fi
    create[${connection}]=$(( $(date +%s) - start ))

    log "bench lab (${connection}): first converge (onprem.wandb.site)"
    read -r "t_first[${connection}]" "n_first[${connection}]" "c_first[${connection}]" < <(run "first-converge-${connection}" "${inventory}" site)
    log "bench lab (${connection}): idempotent re-run"
    read -r "t_rerun[${connection}]" "n_rerun[${connection}]" "c_rerun[${connection}]" < <(run "rerun-${connection}" "${inventory}" site)
    [ "${c_rerun[${connection}]}" = 0 ] || die "the re-run changed ${c_rerun[${connection}]} task results: see ${out}/rerun-${connection}.log"
    log "bench lab (${connection}): --check --diff on the converged lab"
    read -r "t_check[${connection}]" "n_check[${connection}]" "c_check[${connection}]" < <(run "check-${connection}" "${inventory}" site --check --diff)
    log "bench lab (${connection}): verify alone (onprem.wandb.verify)"
    read -r "t_verify[${connection}]" "n_verify[${connection}]" "c_verify[${connection}]" < <(run "verify-${connection}" "${inventory}" verify)
    if [ "${BENCH_PROFILE:-1}" = 1 ]; then
        # Where the time goes: one more re-run with ansible.posix.profile_tasks (a few per cent slower,
        # so not in the table above), summed per role.
        log "bench lab (${connection}): a profiled re-run (ansible.posix.profile_tasks)"
        ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=100000 \
            run "profiled-rerun-${connection}" "${inventory}" site > /dev/null
        python3 "${REPO_ROOT}/tests/bench/profile_summary.py" "${out}/profiled-rerun-${connection}.log" 15 \
            > "${out}/profile-${connection}.txt"
    fi
done

{
    printf 'lab bench, %s\n' "$(machine_line)"
    for connection in "${connections[@]}"; do
        printf '  %s connection (containers and control plane created in %ss, not counted)\n' "${connection}" "${create[${connection}]}"
        printf '  %-26s %8s %13s %8s %14s\n' "run" "seconds" "task results" "changed" "ratio to first"
        printf '  %-26s %8s %13s %8s %14s\n' "first converge" "${t_first[${connection}]}" "${n_first[${connection}]}" "${c_first[${connection}]}" "1.00"
        printf '  %-26s %8s %13s %8s %14s\n' "idempotent re-run" "${t_rerun[${connection}]}" "${n_rerun[${connection}]}" "${c_rerun[${connection}]}" \
            "$(ratio "${t_rerun[${connection}]}" "${t_first[${connection}]}")"
        printf '  %-26s %8s %13s %8s %14s\n' "check --diff (converged)" "${t_check[${connection}]}" "${n_check[${connection}]}" "${c_check[${connection}]}" \
            "$(ratio "${t_check[${connection}]}" "${t_first[${connection}]}")"
        printf '  %-26s %8s %13s %8s %14s\n' "verify alone" "${t_verify[${connection}]}" "${n_verify[${connection}]}" "${c_verify[${connection}]}" \
            "$(ratio "${t_verify[${connection}]}" "${t_first[${connection}]}")"
    done
    if [ -n "${t_first[ssh]:-}" ] && [ -n "${t_first[docker]:-}" ]; then
        printf '  ssh / docker: first converge %s, re-run %s, check %s, verify %s\n' \
            "$(ratio "${t_first[ssh]}" "${t_first[docker]}")" "$(ratio "${t_rerun[ssh]}" "${t_rerun[docker]}")" \
            "$(ratio "${t_check[ssh]}" "${t_check[docker]}")" "$(ratio "${t_verify[ssh]}" "${t_verify[docker]}")"
    fi
    for connection in "${connections[@]}"; do
        [ -f "${out}/profile-${connection}.txt" ] || continue
        printf '\n  where a re-run goes, %s connection (profile_tasks, per role):\n' "${connection}"
        sed 's/^/  /' "${out}/profile-${connection}.txt"
    done
} | tee "${out}/result.txt"
log "bench lab: the lab stays up (make lab-down removes it); logs in ${out}"
