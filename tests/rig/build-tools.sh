#!/usr/bin/env bash
# Build the Go-only tools (MinIO server, mc, Helm, the ACME test CA Pebble, an OCI registry, kwok and
# the Kubernetes control plane) at pinned versions into a cache outside the
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

build_tool registry "${REGISTRY_MODULE}/cmd/registry" "${REGISTRY_VERSION}" "-s -w -X ${REGISTRY_MODULE}/version.version=${REGISTRY_VERSION}"

build_tool kwok "${KWOK_MODULE}/cmd/kwok" "${KWOK_VERSION}" "-s -w"
# kwok needs Stage definitions to move simulated nodes and pods along; take the upstream "fast"
# node and pod stages plus the node heartbeat from the same module version (kwokctl embeds these).
kwok_stages="${ARTIFACTS}/kwok-${KWOK_VERSION}/kwok-stages.yaml"
if [ ! -s "${kwok_stages}" ]; then
    kwok_src=$(env -u GOFLAGS GOTOOLCHAIN=local go mod download -json "${KWOK_MODULE}@${KWOK_VERSION}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
    for stage in node/fast/node-initialize node/heartbeat/node-heartbeat pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
        printf -- '---\n'
        cat "${kwok_src}/kustomize/stage/${stage}.yaml"
    done > "${kwok_stages}.tmp"
    mv "${kwok_stages}.tmp" "${kwok_stages}"
    log "tools: kwok stages from ${KWOK_MODULE}@${KWOK_VERSION} in ${kwok_stages}"
fi

# build_kubernetes: kube-apiserver, kube-controller-manager and kube-scheduler in one go build (they
# share most packages) inside a generated wrapper module that requires k8s.io/kubernetes and
# points each staging module it replaces at the published k8s.io/<name> v0.<minor>.<patch>.
build_kubernetes() {
    local version="${KUBERNETES_VERSION}" dest="${ARTIFACTS}/kubernetes-${KUBERNETES_VERSION}"
    local staging="v0.${version#v1.}" minor
    minor=$(printf '%s' "${version}" | cut -d. -f2)
    local cv=k8s.io/component-base/version
    local ldflags="-s -w -X ${cv}.gitVersion=${version} -X ${cv}.gitMajor=1 -X ${cv}.gitMinor=${minor} -X ${cv}.gitTreeState=clean -X ${cv}.buildDate=1970-01-01T00:00:00Z"
    local info="${KUBERNETES_MODULE}@${version} ldflags=${ldflags}" components="kube-apiserver kube-controller-manager kube-scheduler"
    if [ "$(cat "${dest}/buildinfo" 2>/dev/null)" = "${info}" ] && (cd "${dest}" 2>/dev/null && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
        log "tools: kubernetes ${version} cached"
    else
        log "tools: building kubernetes ${version} (${components}; log in ${ARTIFACTS}/kubernetes-build.log)"
        local start tmp
        start=$(date +%s)
        tmp=$(mktemp -d "${ARTIFACTS}/.build-kubernetes.XXXXXX")
        mkdir "${tmp}/src" "${tmp}/bin"
        (
            set -e
            # Static, path-independent binaries; GOFLAGS from the caller's environment are ignored.
            export CGO_ENABLED=0 GOTOOLCHAIN=local
            unset GOFLAGS
            cd "${tmp}/src"
            go mod download -json "${KUBERNETES_MODULE}@${version}" > module.json
            gomod=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])' < module.json)
            {
                printf 'module onprem-wandb.local/kubernetes-rig\n\ngo %s\n\nrequire %s %s\n\nreplace (\n' \
                    "$(awk '/^go /{print $2; exit}' "${gomod}")" "${KUBERNETES_MODULE}" "${version}"
                # Only modules the kubernetes module requires; a replace without a published module breaks nothing then.
                sed -n '/^replace (/,/^)/p' "${gomod}" | awk '/=> \.\/staging/{print $1}' | while read -r module; do
                    if grep -qE "^[[:space:]]+${module} v" "${gomod}"; then printf '\t%s => %s %s\n' "${module}" "${module}" "${staging}"; fi
                done
                printf ')\n'
            } > go.mod
            local -a packages=()
            for component in ${components}; do packages+=("${KUBERNETES_MODULE}/cmd/${component}"); done
            go get "${packages[@]/%/@${version}}"
            go build -trimpath -ldflags "${ldflags}" -o "${tmp}/bin/" "${packages[@]}"
        ) > "${ARTIFACTS}/kubernetes-build.log" 2>&1 || {
            tail -n 30 "${ARTIFACTS}/kubernetes-build.log" >&2
            rm -rf "${tmp}"
            die "building kubernetes ${version} failed"
        }
        # shellcheck disable=SC2086
        (cd "${tmp}/bin" && sha256sum ${components} > SHA256SUMS)
        printf '%s\n' "${info}" > "${tmp}/bin/buildinfo"
        rm -rf "${dest}"
        mv "${tmp}/bin" "${dest}"
        rm -rf "${tmp}"
        log "tools: kubernetes built in $(( $(date +%s) - start ))s"
    fi
    for component in ${components}; do ln -sfn "${dest}/${component}" "${BIN}/${component}"; done
}
build_kubernetes

log "tools: ready in ${BIN}: $(cd "${BIN}" && printf "%s " *)"
