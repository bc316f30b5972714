#!/usr/bin/env bash
# Create (or reuse) the virtual environment with the pinned Python dependencies.
# The venv lives in the cache, keyed by the hash of requirements.txt, so a clean clone with the
# same pins reuses it; `.venv` in the work tree links to it.
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/lib.sh"

req="${REPO_ROOT}/requirements.txt"
key=$(sha256sum "${req}" | cut -c1-16)
venv="${ONPREM_WANDB_CACHE}/venv/${key}"

if [ -x "${venv}/bin/ansible-playbook" ] && [ -f "${venv}/.complete" ]; then
    log "venv: ${venv} present"
else
    log "venv: creating ${venv} from requirements.txt"
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
