#!/usr/bin/env bash
# Build the Go-only tools (MinIO server, mc, Helm, the ACME test CA Pebble) at pinned versions into a cache outside the
# work tree, reusing what is already there. The results are laid out like an air-gapped site's
# artifact directory: ${ONPREM_WANDB_CACHE}/artifacts/<tool>-<version>/<tool> plus a sha256 file,
# and ${ONPREM_WANDB_CACHE}/bin/<tool> links to the pinned build.
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/lib.sh"

ARTIFACTS="${ONPREM_WANDB_CACHE}/artifacts"
BIN="${ONPREM_WANDB_CACHE}/bin"
mkdir -p "${ARTIFACTS}" "${BIN}"

command -v go >/dev/null || die "the Go toolchain is required to build MinIO, mc, Helm and Pebble"
# Module downloads and build cache live in the rig's cache too, so one directory holds it all.
export GOMODCACHE="${ONPREM_WANDB_CACHE}/go/mod" GOCACHE="${ONPREM_WANDB_CACHE}/go/build"

# build_tool NAME PACKAGE VERSION LDFLAGS
build_tool() {
    local name="$1" package="$2" version="$3" ldflags="$4"
    local dest="${ARTIFACTS}/${name}-${version}"
    local info="${package}@${version} ldflags=${ldflags}"
    if [ -x "${dest}/${name}" ] && [ -s "${dest}/${name}.sha256" ] && [ "$(cat "${dest}/${name}.buildinfo" 2>/dev/null)" = "${info}" ]; then
        log "tools: ${name} ${version} cached"
    else
        log "tools: building ${name} ${version} (go install ${package}@${version}; log in ${ARTIFACTS}/${name}-build.log)"
        local start tmp built
        start=$(date +%s)
        tmp=$(mktemp -d "${ARTIFACTS}/.build-${name}.XXXXXX")
        # Static, path-independent binaries; GOFLAGS from the caller's environment are ignored.
        if ! env -u GOFLAGS CGO_ENABLED=0 GOBIN="${tmp}" GOTOOLCHAIN=local \
            go install -trimpath -ldflags "${ldflags}" "${package}@${version}" > "${ARTIFACTS}/${name}-build.log" 2>&1; then
            tail -n 30 "${ARTIFACTS}/${name}-build.log" >&2
            rm -rf "${tmp}"
            die "go install ${package}@${version} failed"
        fi
        built="${tmp}/$(basename "${package}")"
        [ -x "${built}" ] || die "go install produced no ${name} binary"
        [ "${built}" = "${tmp}/${name}" ] || mv "${built}" "${tmp}/${name}"
        (cd "${tmp}" && sha256sum "${name}" > "${name}.sha256")
        printf '%s\n' "${info}" > "${tmp}/${name}.buildinfo"
        rm -rf "${dest}"
        mv "${tmp}" "${dest}"
        log "tools: ${name} built in $(( $(date +%s) - start ))s"
    fi
    ln -sfn "${dest}/${name}" "${BIN}/${name}"
}

# Pseudo-versions carry the commit time and hash; MinIO and mc print them via these ldflags.
pseudo_time() { printf '%s' "$1" | sed -E 's/^v0\.0\.0-([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})-.*/\1-\2-\3T\4:\5:\6Z/'; }
pseudo_commit() { printf '%s' "${1##*-}"; }

minio_time=$(pseudo_time "${MINIO_VERSION}")
build_tool minio "${MINIO_MODULE}" "${MINIO_VERSION}" \
    "-s -w -X ${MINIO_MODULE}/cmd.Version=${minio_time} -X ${MINIO_MODULE}/cmd.ReleaseTag=DEVELOPMENT.${minio_time//:/-} -X ${MINIO_MODULE}/cmd.CommitID=$(pseudo_commit "${MINIO_VERSION}") -X ${MINIO_MODULE}/cmd.ShortCommitID=$(pseudo_commit "${MINIO_VERSION}") -X ${MINIO_MODULE}/cmd.CopyrightYear=${minio_time:0:4}"

mc_time=$(pseudo_time "${MC_VERSION}")
build_tool mc "${MC_MODULE}" "${MC_VERSION}" \
    "-s -w -X ${MC_MODULE}/cmd.Version=${mc_time} -X ${MC_MODULE}/cmd.ReleaseTag=DEVELOPMENT.${mc_time//:/-} -X ${MC_MODULE}/cmd.CommitID=$(pseudo_commit "${MC_VERSION}") -X ${MC_MODULE}/cmd.ShortCommitID=$(pseudo_commit "${MC_VERSION}") -X ${MC_MODULE}/cmd.CopyrightYear=${mc_time:0:4}"

build_tool helm "${HELM_MODULE}/cmd/helm" "${HELM_VERSION}" \
    "-s -w -X ${HELM_MODULE}/internal/version.version=${HELM_VERSION} -X ${HELM_MODULE}/internal/version.gitTreeState=clean"

build_tool pebble "${PEBBLE_MODULE}/cmd/pebble" "${PEBBLE_VERSION}" "-s -w"

log "tools: ready in ${BIN}: $(cd "${BIN}" && printf "%s " *)"
