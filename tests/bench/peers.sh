#!/usr/bin/env bash
# Side-by-side peer benchmark (make bench-peers): our role and a widely used peer role on identical
# fresh systemd containers (the rig's Debian 12 image, docker connection, ansible.cfg's pipelining),
# in one run: the first converge and the idempotent re-run of each, their task results and the
# ratio ours/peer. Pairs: onprem.wandb.redis vs geerlingguy.redis, onprem.wandb.nginx_proxy vs
# geerlingguy.nginx. Each run makes every container anew; the order ours/peer alternates between
# runs so neither always runs on a warmer machine. A benchmark, not a test: it fails only when a
# run fails or a re-run changes something, never on a number.
# Usage: tests/bench/peers.sh [RUNS] [PEERS_DIR]
#        (make bench-peers RUNS=2 PEERS=../shared/peers; PEERS_DIR holds geerlingguy.redis/ and geerlingguy.nginx/)
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/../rig/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

runs="${1:-2}"
peers="$(cd "${2:-${REPO_ROOT}/../shared/peers}" && pwd)" || die "no peer roles directory (give it as the second argument)"
for role in geerlingguy.redis geerlingguy.nginx; do
    [ -d "${peers}/${role}/tasks" ] || die "${peers}/${role} is not a role: give the directory that holds the peer roles"
done
rig_activate
cd "${REPO_ROOT}"
export ANSIBLE_NOCOLOR=1 ANSIBLE_ROLES_PATH="${peers}"
out="${ONPREM_WANDB_CACHE}/bench-peers"
rm -rf "${out}"
mkdir -p "${out}"
chmod 0700 "${out}"

pairs=(redis nginx)
# The roles measured for each pair, on our side and the peer's.
declare -A role_of=([ours-redis]=onprem.wandb.redis [peer-redis]=geerlingguy.redis
                    [ours-nginx]=onprem.wandb.nginx_proxy [peer-nginx]=geerlingguy.nginx)
hosts=()
for pair in "${pairs[@]}"; do
    hosts+=("onprem-wandb-bench-ours-${pair}" "onprem-wandb-bench-peer-${pair}")
done
platforms=$(printf '{"name": "%s"},' "${hosts[@]}")
printf '{"molecule_scenario_name": "bench-peers", "molecule_yml": {"platforms": [%s]}}\n' "${platforms%,}" > "${out}/platforms.json"

# The inventory: one group per side and pair, reached over the docker connection.
{
    printf 'all:\n  vars:\n    ansible_connection: community.docker.docker\n  children:\n'
    for pair in "${pairs[@]}"; do
        for side in ours peer; do
            printf '    bench_%s_%s:\n      hosts:\n        onprem-wandb-bench-%s-%s: {}\n' "${side}" "${pair}" "${side}" "${pair}"
        done
    done
} > "${out}/inventory.yml"

# A random password for both Redis roles (a file only root reads; no default passwords anywhere).
umask 077
printf 'bench_redis_password: "%s"\n' "$(random_secret)" > "${out}/secrets.yml"
umask 022

# The same job for both sides of a pair: Redis with a password and a 256 MiB memory limit; nginx as
# the reverse proxy of one upstream (ours also terminates TLS with a lab CA it makes, and does the
# checks it always does: it does more than the peer, not less).
cat > "${out}/ours-redis.yml" <<'YAML'
- name: Our Redis role
  hosts: bench_ours_redis
  roles:
    - role: onprem.wandb.redis
      vars:
        redis_password: "{{ bench_redis_password }}"
        redis_maxmemory: 268435456
YAML
cat > "${out}/peer-redis.yml" <<'YAML'
- name: The peer Redis role
  hosts: bench_peer_redis
  roles:
    - role: geerlingguy.redis
      vars:
        redis_requirepass: "{{ bench_redis_password }}"
        redis_maxmemory: 256mb
YAML
cat > "${out}/ours-nginx.yml" <<'YAML'
- name: Our nginx proxy role
  hosts: bench_ours_nginx
  roles:
    - role: onprem.wandb.nginx_proxy
      vars:
        wandb_url: https://wandb.bench.test
        nginx_proxy_upstreams: ["127.0.0.1:8080"]
        nginx_proxy_cert_mode: internal_ca
        nginx_proxy_internal_ca_acknowledge_lab_only: true
YAML
cat > "${out}/peer-nginx.yml" <<'YAML'
- name: The peer nginx role
  hosts: bench_peer_nginx
  roles:
    - role: geerlingguy.nginx
      vars:
        nginx_remove_default_vhost: true
        nginx_vhosts:
          - listen: "80"
            server_name: wandb.bench.test
            filename: wandb.conf
            extra_parameters: |
              location / {
                  proxy_pass http://127.0.0.1:8080;
              }
YAML

containers() {
    rig_containers "$1" "${out}/platforms.json" "${out}/$1.log"
}
trap 'containers destroy || true' EXIT

# measure NAME: first converge and re-run of NAME's playbook; appends to the results file.
measure() {
    local name="$1" run="$2" t_first n_first c_first t_rerun n_rerun c_rerun
    read -r t_first n_first c_first < <(timed_playbook "${out}/${name}-${run}-first.log" \
        ansible-playbook -i "${out}/inventory.yml" -e "@${out}/secrets.yml" "${out}/${name}.yml")
    read -r t_rerun n_rerun c_rerun < <(timed_playbook "${out}/${name}-${run}-rerun.log" \
        ansible-playbook -i "${out}/inventory.yml" -e "@${out}/secrets.yml" "${out}/${name}.yml")
    [ "${c_rerun}" = 0 ] || die "${name}'s re-run changed ${c_rerun} task results: see ${out}/${name}-${run}-rerun.log"
    printf '%s %s %s %s %s %s\n' "${name}" "${t_first}" "${n_first}" "${c_first}" "${t_rerun}" "${n_rerun}" >> "${out}/results.txt"
}

for run in $(seq 1 "${runs}"); do
    log "bench peers: run ${run}/${runs}: fresh containers"
    containers destroy
    containers create
    for pair in "${pairs[@]}"; do
        if [ $(( run % 2 )) = 1 ]; then order=(ours peer); else order=(peer ours); fi
        for side in "${order[@]}"; do
            log "bench peers: run ${run}/${runs}: ${side} ${pair}"
            measure "${side}-${pair}" "${run}"
        done
    done
done

# col NAME FIELD: the median of a results column for NAME (2 first, 3 tasks, 5 re-run, 6 tasks).
col() {
    local values
    mapfile -t values < <(awk -v n="$1" -v f="$2" '$1 == n { print $f }' "${out}/results.txt")
    median "${values[@]}"
}
{
    printf 'peer bench, %s, %s runs (median), seconds\n' "$(machine_line)" "${runs}"
    printf '  %-7s %-28s %8s %8s %10s %8s\n' "pair" "role" "first" "re-run" "re-run/1st" "tasks"
    for pair in "${pairs[@]}"; do
        for side in ours peer; do
            name="${side}-${pair}"
            role="${role_of[${name}]}"
            printf '  %-7s %-28s %8s %8s %10s %8s\n' "${pair}" "${role}" "$(col "${name}" 2)" "$(col "${name}" 5)" \
                "$(ratio "$(col "${name}" 5)" "$(col "${name}" 2)")" "$(col "${name}" 6)"
        done
        printf '  %-7s %-28s %8s %8s\n' "${pair}" "ratio ours/peer" "$(ratio "$(col "ours-${pair}" 2)" "$(col "peer-${pair}" 2)")" \
            "$(ratio "$(col "ours-${pair}" 5)" "$(col "peer-${pair}" 5)")"
    done
    printf '  every run: %s/results.txt (name first tasks changed re-run tasks)\n' "${out}"
} | tee "${out}/result.txt"
