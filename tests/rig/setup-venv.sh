#!/usr/bin/env bash
# Create (or reuse) the virtual environments with the pinned Python dependencies. Each lives in the
# cache, keyed by the hash of its requirements file, so a clean clone with the same pins reuses it.
#   .venv           the default pins (tests/requirements.txt) on the Python its "# python:" line names
#                   (on PATH, else pyenv's): the whole suite
#   .venv-sslyze    sslyze alone (tests/rig/sslyze-requirements.txt), Debian's python3
#   .venv-core-X.Y  one leg of the ansible-core support matrix (tests/matrix/core-X.Y.txt) on the
#                   Python its "# python:" line names (pyenv's when not on PATH)
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/lib.sh"

# pinned_python FILE: an interpreter for the Python X.Y a pins file names on its "# python:" line.
pinned_python() {
    local pyver
    pyver=$(matrix_python "$1")
    [ -n "${pyver}" ] || die "$1: no '# python: X.Y' line"
    python_for "${pyver}" \
        || die "${1#"${REPO_ROOT}"/}: needs Python ${pyver} (ansible-core 2.20+ refuse 3.11): install python${pyver} or pyenv's ${pyver}"
}

# venv_collections VENV: the directory of the collections VENV's `ansible` package installed.
venv_collections() {
    "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"] + "/ansible_collections")'
}

req="${REPO_ROOT}/tests/requirements.txt"
python=$(pinned_python "${req}")
venv="${ONPREM_WANDB_CACHE}/venv/$(sha256sum "${req}" | cut -c1-16)"
venv_from_requirements "${python}" "${req}" "${venv}"
ln -sfn "${venv}" "${REPO_ROOT}/.venv"
ansible_test_pip_offline "${venv}"

sreq="${RIG_DIR}/sslyze-requirements.txt"
svenv="${ONPREM_WANDB_CACHE}/venv-sslyze/$(sha256sum "${sreq}" | cut -c1-16)"
venv_from_requirements python3 "${sreq}" "${svenv}"
ln -sfn "${svenv}" "${REPO_ROOT}/.venv-sslyze"

for mreq in "${REPO_ROOT}"/tests/matrix/core-*.txt; do
    leg=$(basename "${mreq}" .txt)
    python=$(pinned_python "${mreq}")
    pyver=$(matrix_python "${mreq}")
    mvenv="${ONPREM_WANDB_CACHE}/venv-matrix/${leg}-py${pyver}-$(sha256sum "${mreq}" | cut -c1-16)"
    venv_from_requirements "${python}" "${mreq}" "${mvenv}"
    # The roles name ansible.mysql, which the `ansible` package of an older leg may lack (12.x): a site
    # on that core installs it beside (ansible-galaxy collection install ansible.mysql); the leg gets the
    # release the default pins' `ansible` package carries, the same offline.
    legcolls=$(venv_collections "${mvenv}")
    if [ ! -d "${legcolls}/ansible/mysql" ]; then
        log "venv: ${leg}: adding ansible.mysql from the default pins' ansible package"
        cp -a "$(venv_collections "${venv}")/ansible/mysql" "${legcolls}/ansible/mysql"
    fi
    ln -sfn "${mvenv}" "${REPO_ROOT}/.venv-${leg}"
    ansible_test_pip_offline "${mvenv}"
done
