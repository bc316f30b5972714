#!/usr/bin/env bash
# Create (or reuse) the virtual environment with the pinned Python dependencies.
# The venv lives in the cache, keyed by the hash of tests/requirements.txt, so a clean clone with the
# same pins reuses it; `.venv` in the work tree links to it.
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/lib.sh"

req="${REPO_ROOT}/tests/requirements.txt"
key=$(sha256sum "${req}" | cut -c1-16)
venv="${ONPREM_WANDB_CACHE}/venv/${key}"

if [ -x "${venv}/bin/ansible-playbook" ] && [ -f "${venv}/.complete" ]; then
    log "venv: ${venv} present"
else
    log "venv: creating ${venv} from tests/requirements.txt"
    start=$(date +%s)
    rm -rf "${venv}"
    mkdir -p "$(dirname "${venv}")"
    python3 -m venv "${venv}"
    "${venv}/bin/pip" install -q --upgrade pip wheel
    "${venv}/bin/pip" install -q -r "${req}"
    touch "${venv}/.complete"
    log "venv: installed in $(( $(date +%s) - start ))s"
fi
ln -sfn "${venv}" "${REPO_ROOT}/.venv"

# sslyze in its own venv (tests/rig/sslyze-requirements.txt), linked as .venv-sslyze.
sreq="${RIG_DIR}/sslyze-requirements.txt"
svenv="${ONPREM_WANDB_CACHE}/venv-sslyze/$(sha256sum "${sreq}" | cut -c1-16)"
if [ -x "${svenv}/bin/python" ] && [ -f "${svenv}/.complete" ]; then
    log "venv: ${svenv} present"
else
    rm -rf "${svenv}"
    mkdir -p "$(dirname "${svenv}")"
    python3 -m venv "${svenv}"
    "${svenv}/bin/pip" install -q -r "${sreq}"
    touch "${svenv}/.complete"
    log "venv: sslyze installed in ${svenv}"
fi
ln -sfn "${svenv}" "${REPO_ROOT}/.venv-sslyze"

# ansible-test --venv bootstraps pip with a script from a host this machine cannot reach: give it
# the offline stand-in and the pip wheel (from PyPI) of the version it pins.
pip_version=$("${venv}/bin/python" -c 'import re, ansible_test, pathlib; p = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"; print(re.search(r"pip=.([0-9.]+).", p.read_text()).group(1))')
cache="${HOME}/.ansible/test/cache"
if ! ls "${cache}/pip-${pip_version}-"*.whl >/dev/null 2>&1; then
    mkdir -p "${cache}"
    "${venv}/bin/pip" download -q --no-deps --only-binary=:all: -d "${cache}" "pip==${pip_version}"
fi
install -m 0644 "${RIG_DIR}/get_pip_offline.py" "${cache}/get_pip_${pip_version//./_}.py"
log "venv: ansible-test pip ${pip_version} bootstrap ready in ${cache}"
