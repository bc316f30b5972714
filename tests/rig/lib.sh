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

# venv_from_requirements PYTHON REQUIREMENTS DIR: create (or reuse) DIR, a venv on PYTHON with the
# pinned REQUIREMENTS; a venv is complete only once every pin installed (.complete).
venv_from_requirements() {
    local python="$1" req="$2" venv="$3" start
    if [ -x "${venv}/bin/python" ] && [ -f "${venv}/.complete" ]; then
        log "venv: ${venv} present"
        return 0
    fi
    log "venv: creating ${venv} from ${req#"${REPO_ROOT}"/} on $("${python}" --version 2>&1)"
    start=$(date +%s)
    rm -rf "${venv}"
    mkdir -p "$(dirname "${venv}")"
    "${python}" -m venv "${venv}"
    "${venv}/bin/pip" install -q --upgrade pip wheel
    "${venv}/bin/pip" install -q -r "${req}"
    touch "${venv}/.complete"
    log "venv: installed in $(( $(date +%s) - start ))s"
}

# ansible_test_pip_offline VENV: ansible-test --venv bootstraps pip with a script from a host this
# machine cannot reach; give it the offline stand-in and the pip wheel (from PyPI) of the version
# the ansible-test in VENV pins.
ansible_test_pip_offline() {
    local venv="$1" pip_version cache="${HOME}/.ansible/test/cache"
    pip_version=$("${venv}/bin/python" -c 'import re, ansible_test, pathlib; p = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"; print(re.search(r"pip=.([0-9.]+).", p.read_text()).group(1))')
    if ! ls "${cache}/pip-${pip_version}-"*.whl >/dev/null 2>&1; then
        mkdir -p "${cache}"
        "${venv}/bin/pip" download -q --no-deps --only-binary=:all: -d "${cache}" "pip==${pip_version}"
    fi
    install -m 0644 "${RIG_DIR}/get_pip_offline.py" "${cache}/get_pip_${pip_version//./_}.py"
    log "venv: ansible-test pip ${pip_version} bootstrap ready in ${cache}"
}

# matrix_python FILE: the Python X.Y a matrix leg's pins (tests/matrix/core-X.Y.txt) name on their
# "# python:" line.
matrix_python() {
    sed -n 's/^# python: *\([0-9.]*\).*/\1/p' "$1"
}

# python_for VERSION: an interpreter for Python X.Y that runs: on PATH (a pyenv shim for a version
# pyenv has not selected does not), else one of pyenv's X.Y trees.
python_for() {
    local version="$1" candidate dir candidates=()
    candidates+=("$(command -v "python${version}" 2>/dev/null || true)")
    # pyenv's X.Y.Z trees after the one on PATH, in reverse name order (3.12.9 before 3.12.1).
    for dir in "${PYENV_ROOT:-${HOME}/.pyenv}/versions/${version}".*; do
        [ -d "${dir}" ] && candidates=("${candidates[0]}" "${dir}/bin/python${version}" "${candidates[@]:1}")
    done
    for candidate in "${candidates[@]}"; do
        if [ -n "${candidate}" ] && [ -x "${candidate}" ] && "${candidate}" -c 'import venv' >/dev/null 2>&1; then
            printf '%s\n' "${candidate}"
            return 0
        fi
    done
    return 1
}
