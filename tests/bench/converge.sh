#!/usr/bin/env bash
# Measure a Molecule scenario: first converge, idempotent re-run and check mode, on fresh
# containers, repeated N times. Reports times and ratios; asserts nothing about speed.
# Usage: tests/bench/converge.sh SCENARIO [RUNS]     (make bench SCENARIO=common RUNS=3)
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/../rig/lib.sh"

scenario="${1:?usage: converge.sh SCENARIO [RUNS]}"
runs="${2:-3}"
rig_activate
cd "${REPO_ROOT}"

timed() {
    local start
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || die "'$*' failed; rerun it by hand to see why"
    awk -v s="${start}" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'
}

first=() rerun=() check=()
for i in $(seq 1 "${runs}"); do
    log "bench ${scenario}: run ${i}/${runs}"
    molecule destroy -s "${scenario}" >/dev/null 2>&1
    molecule create -s "${scenario}" >/dev/null 2>&1 || die "molecule create -s ${scenario} failed"
    first+=("$(timed molecule converge -s "${scenario}")")
    rerun+=("$(timed molecule converge -s "${scenario}")")
    # `molecule check` would recreate the containers; this is converge.yml in check mode on the converged host.
    check+=("$(timed molecule converge -s "${scenario}" -- --check --diff)")
done
molecule destroy -s "${scenario}" >/dev/null 2>&1

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m_first=$(median "${first[@]}") m_rerun=$(median "${rerun[@]}") m_check=$(median "${check[@]}")
printf '\nscenario %s, %s runs, %s cores, seconds (median; all runs)\n' "${scenario}" "${runs}" "$(nproc)"
printf '  %-18s %7.1f   %s\n' "first converge" "${m_first}" "${first[*]}"
printf '  %-18s %7.1f   %s\n' "idempotent re-run" "${m_rerun}" "${rerun[*]}"
printf '  %-18s %7.1f   %s\n' "check mode" "${m_check}" "${check[*]}"
printf '  ratios: re-run/first %.2f, check/first %.2f\n' \
    "$(awk -v a="${m_rerun}" -v b="${m_first}" 'BEGIN { print a / b }')" \
    "$(awk -v a="${m_check}" -v b="${m_first}" 'BEGIN { print a / b }')"
