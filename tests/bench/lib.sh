#!/usr/bin/env bash
# Shared helpers of the benchmarks under tests/bench/. Source it after tests/rig/lib.sh.

# timed_playbook LOG ansible-playbook ARGS...: run a playbook with its output in LOG and print
# "seconds task_results changed" (task results = ok + skipped + failed over every host of the
# play recap). A failed run stops the bench with the log's path.
timed_playbook() {
    local logfile="$1" start end
    shift
    start=$(date +%s.%N)
    if ! "$@" > "${logfile}" 2>&1; then
        die "'$*' failed: see ${logfile}"
    fi
    end=$(date +%s.%N)
    awk -v s="${start}" -v e="${end}" '
        /^PLAY RECAP/ { recap = 1; next }
        recap && /ok=/ {
            for (i = 1; i <= NF; i++) {
                split($i, kv, "=")
                if (kv[1] == "ok" || kv[1] == "skipped" || kv[1] == "failed") tasks += kv[2]
                if (kv[1] == "changed") changed += kv[2]
            }
        }
        END { printf "%.1f %d %d\n", e - s, tasks, changed }' "${logfile}"
}

# ratio A B: A / B with two decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# median X...: the median of the numbers given.
median() {
    printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# machine_line: date, cores, memory and OS of this machine, for every printed result.
machine_line() {
    printf '%s, %s cores, %s GiB, %s' "$(date -u +%Y-%m-%d)" "$(nproc)" \
        "$(awk '/MemTotal/ { printf "%d", $2 / 1048576 }' /proc/meminfo)" "$(. /etc/os-release && echo "${PRETTY_NAME}")"
}

# random_secret: 32 random letters and digits (the benches' credentials; no default passwords).
random_secret() {
    head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32
}

# rig_containers ACTION PLATFORMS_JSON LOG: create or destroy the platforms PLATFORMS_JSON lists (Molecule's
# shape: molecule_scenario_name, molecule_yml.platforms) with the rig's shared playbooks; a failure stops
# the bench with LOG's path.
rig_containers() {
    ansible-playbook -i localhost, "${REPO_ROOT}/extensions/molecule/shared/$1.yml" -e "@$2" > "$3" 2>&1 \
        || die "extensions/molecule/shared/$1.yml failed: see $3"
}
