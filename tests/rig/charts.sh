#!/usr/bin/env bash
# Feed the rig's chart mirror: W&B's operator chart and platform chart (versions in versions.env),
# checked against their sha256, into ${ONPREM_WANDB_CACHE}/artifacts/charts (mounted read-only in
# the test cluster's container, which serves them as a Helm repository and an OCI registry).
# Sources, first that has them: ONPREM_WANDB_CHARTS_DIR (a mirror path the user gives), the
# charts folder beside the work tree (../shared/charts), the copy already in the cache, and last,
# where W&B's repository is reachable, `helm pull` once (its checksums recorded then).
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/lib.sh"

DEST="${ONPREM_WANDB_CACHE}/artifacts/charts"
CHARTS=("operator-${WANDB_OPERATOR_CHART_VERSION}.tgz" "operator-wandb-${WANDB_PLATFORM_CHART_VERSION}.tgz")
mkdir -p "${DEST}"

# has_charts DIR: the two archives are there and match the SHA256SUMS beside them.
has_charts() {
    local dir="$1" chart
    [ -s "${dir}/SHA256SUMS" ] || return 1
    for chart in "${CHARTS[@]}"; do
        [ -s "${dir}/${chart}" ] || return 1
        grep -qE "  ${chart}\$" "${dir}/SHA256SUMS" || return 1
    done
    for chart in "${CHARTS[@]}"; do
        (cd "${dir}" && grep -E "  ${chart//./\\.}\$" SHA256SUMS | sha256sum --quiet -c -) || return 1
    done
}

if [ -n "${ONPREM_WANDB_CHARTS_DIR:-}" ] && [ ! -d "${ONPREM_WANDB_CHARTS_DIR}" ]; then
    die "charts: ONPREM_WANDB_CHARTS_DIR is ${ONPREM_WANDB_CHARTS_DIR}, which is not a directory"
fi
for source in "${ONPREM_WANDB_CHARTS_DIR:-}" "${REPO_ROOT}/../shared/charts"; do
    if [ -z "${source}" ] || [ ! -d "${source}" ]; then continue; fi
    if ! has_charts "${source}"; then
        [ "${source}" = "${ONPREM_WANDB_CHARTS_DIR:-}" ] && die "charts: ${source} lacks ${CHARTS[*]} or their SHA256SUMS do not match"
        continue
    fi
    if has_charts "${DEST}" && cmp -s "${source}/SHA256SUMS" "${DEST}/SHA256SUMS"; then
        log "charts: ${CHARTS[*]} cached (same as ${source})"
    else
        cp "${source}/SHA256SUMS" "${DEST}/SHA256SUMS"
        for chart in "${CHARTS[@]}"; do cp "${source}/${chart}" "${DEST}/${chart}"; done
        chmod 0644 "${DEST}"/*
        has_charts "${DEST}" || die "charts: the copy in ${DEST} does not match SHA256SUMS"
        log "charts: ${CHARTS[*]} from ${source}"
    fi
    exit 0
done

if has_charts "${DEST}"; then
    log "charts: ${CHARTS[*]} cached in ${DEST}"
    exit 0
fi

log "charts: no local mirror (ONPREM_WANDB_CHARTS_DIR); pulling from ${WANDB_CHART_REPOSITORY}"
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT
if ! { "${ONPREM_WANDB_CACHE}/bin/helm" pull operator --repo "${WANDB_CHART_REPOSITORY}" --version "${WANDB_OPERATOR_CHART_VERSION}" -d "${tmp}" \
    && "${ONPREM_WANDB_CACHE}/bin/helm" pull operator-wandb --repo "${WANDB_CHART_REPOSITORY}" --version "${WANDB_PLATFORM_CHART_VERSION}" -d "${tmp}"; }; then
    die "charts: no local chart mirror and ${WANDB_CHART_REPOSITORY} is not reachable; set ONPREM_WANDB_CHARTS_DIR to a directory with ${CHARTS[*]} and SHA256SUMS"
fi
(cd "${tmp}" && sha256sum "${CHARTS[@]}" > SHA256SUMS)
cp "${tmp}"/* "${DEST}/"
log "charts: pulled ${CHARTS[*]}; their checksums are recorded in ${DEST}/SHA256SUMS"
