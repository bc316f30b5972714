#!/usr/bin/env bash
# Shared helpers for the test-rig scripts. Source it; do not run it.

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${RIG_DIR}/../.." && pwd)"
# Caches live outside the work tree so a clean clone reuses them.
ONPREM_WANDB_CACHE="${ONPREM_WANDB_CACHE:-/var/cache/onprem-wandb}"
export ONPREM_WANDB_CACHE REPO_ROOT RIG_DIR

# shellcheck source=tests/rig/versions.env
. "${RIG_DIR}/versions.env"

log() {
    printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

die() {
    log "ERROR: $*"
    exit 1
}

# Run apt-get with retries; the package mirror is the only network this machine has.
apt_install() {
    local attempt
    export DEBIAN_FRONTEND=noninteractive
    for attempt in 1 2 3; do
        if apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
            return 0
        fi
        log "apt-get install $* failed (attempt ${attempt}); retrying"
        sleep 5
    done
    die "could not install $* from the Debian mirror"
}

# Read the host's Debian mirror from its apt sources (deb822 or one-line form).
debian_mirror() {
    local mirror
    mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
    if [ -z "${mirror}" ]; then
        mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
    fi
    printf '%s\n' "${mirror:-http://deb.debian.org/debian}"
}

# Enter the project's venv and make the work tree's collection, the Go-built tools and the
# local artifacts visible, the way every test stage and benchmark needs them.
rig_activate() {
    local tree
    # shellcheck disable=SC1091
    . "${REPO_ROOT}/.venv/bin/activate"
    # The collection under test, seen through a collections tree that points at this work tree.
    tree="${ONPREM_WANDB_CACHE}/collections/$(printf '%s' "${REPO_ROOT}" | sha256sum | cut -c1-12)"
    mkdir -p "${tree}/ansible_collections/onprem"
    ln -sfn "${REPO_ROOT}" "${tree}/ansible_collections/onprem/wandb"
    export ANSIBLE_COLLECTIONS_PATH="${tree}"
    export ONPREM_WANDB_ARTIFACTS="${ONPREM_WANDB_CACHE}/artifacts"
    export PATH="${ONPREM_WANDB_CACHE}/bin:${PATH}"
}
