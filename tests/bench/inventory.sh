#!/usr/bin/env bash
# Scale benchmark of the site inventory plugin (make bench-inventory): time `ansible-inventory --list`
# on the example site file grown to N MinIO nodes (two drives each; the other components as in
# sites/example.yml), for several N up to a 500-host site. Prints seconds (median of RUNS), hosts and
# the cost per host. A benchmark: it fails only when the plugin refuses a site file, never on a number.
# Usage: tests/bench/inventory.sh [RUNS] [NODES...]     (default: 3 runs; 4, 28, 124 and 495 MinIO nodes (500 hosts))
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/../rig/lib.sh"
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

runs="${1:-3}"
shift || true
read -r -a sizes <<< "${*:-4 28 124 495}"
rig_activate
cd "${REPO_ROOT}"
out="${ONPREM_WANDB_CACHE}/bench-inventory"
mkdir -p "${out}"

# timed_list SITE_FILE: one ansible-inventory --list of the site file; prints its seconds and host count.
timed_list() {
    local start end
    start=$(date +%s.%N)
    ansible-inventory -i "$1" --list > "${out}/list.json" 2> "${out}/list.err" \
        || die "ansible-inventory refused $1: see ${out}/list.err"
    end=$(date +%s.%N)
    printf '%s %s\n' "$(awk -v s="${start}" -v e="${end}" 'BEGIN { printf "%.2f", e - s }')" \
        "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["_meta"]["hostvars"]))' "${out}/list.json")"
}

{
    printf 'inventory bench (onprem.wandb.site), %s, %s runs (median)\n' "$(machine_line)" "${runs}"
    printf '  %-12s %7s %9s %12s\n' "MinIO nodes" "hosts" "seconds" "ms per host"
    for nodes in "${sizes[@]}"; do
        site="${out}/site-${nodes}.yml"
        sed "s/\"minio\[1:4\]\.example\.internal\"/\"minio[1:${nodes}].example.internal\"/" sites/example.yml > "${site}"
        grep -q "minio\[1:${nodes}\]" "${site}" || die "sites/example.yml no longer declares minio[1:4]: update this bench"
        times=()
        for _ in $(seq 1 "${runs}"); do
            read -r seconds hosts < <(timed_list "${site}")
            times+=("${seconds}")
        done
        m=$(median "${times[@]}")
        printf '  %-12s %7s %9s %12s\n' "${nodes}" "${hosts}" "${m}" "$(awk -v t="${m}" -v h="${hosts}" 'BEGIN { printf "%.1f", 1000 * t / h }')"
    done
} | tee "${out}/result.txt"
