#!/usr/bin/env bash
# The project's one test command (`make test`): set up everything a fresh machine lacks, then run
# ansible-lint, ansible-test sanity, the unit tests, the collection build check and every Molecule
# scenario, in that order; the molecule stage also runs the ansible-core matrix legs (sanity, unit tests
# and the common scenario on each other declared core) in its lanes. Prints each stage as it starts and
# a timing table at the end.
# Usage: tests/run.sh [STAGE...]   stages: setup lint sanity unit build matrix molecule
#   (default: setup lint sanity unit build molecule; `matrix` runs the legs alone, one after the other;
#   ONPREM_WANDB_MATRIX=0 leaves them out of the molecule stage)
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/rig/lib.sh"

read -r -a stages <<< "${*:-setup lint sanity unit build molecule}"
timings=()
overall_start=$(date +%s)

stage() {
    local name="$1"
    shift
    local start rc=0
    # A stage run for a parent run.sh: the parent prints its start and end.
    [ -n "${ONPREM_WANDB_TIMINGS_FILE:-}" ] || log "==== stage ${name}: start"
    start=$(date +%s)
    "$@" || rc=$?
    timings+=("$(printf '%-10s %5ss  %s' "${name}" "$(( $(date +%s) - start ))" "$([ "${rc}" = 0 ] && echo ok || echo FAILED)")")
    if [ "${rc}" != 0 ]; then
        log "==== stage ${name}: FAILED (rc=${rc})"
        summary
        exit "${rc}"
    fi
    [ -n "${ONPREM_WANDB_TIMINGS_FILE:-}" ] || log "==== stage ${name}: ok"
}

summary() {
    if [ -n "${ONPREM_WANDB_TIMINGS_FILE:-}" ]; then
        # A stage run for a parent run.sh (the lanes beside the checks): the parent prints the table.
        printf '%s\n' "${timings[@]}" > "${ONPREM_WANDB_TIMINGS_FILE}"
        return 0
    fi
    log "==== timings (total $(( $(date +%s) - overall_start ))s)"
    printf '  %s\n' "${timings[@]}" >&2
}

VENV="${REPO_ROOT}/.venv"
# Plain logs when not on a terminal (CI).
if [ ! -t 1 ]; then
    export NO_COLOR=1 ANSIBLE_NOCOLOR=1 PY_COLORS=0 ANSIBLE_FORCE_COLOR=0
fi
do_setup() {
    # ansible-test sanity runs shellcheck only when the program is there; a skipped check is no check.
    command -v shellcheck >/dev/null || { log "setup: installing shellcheck"; apt_install shellcheck; }
    # The lab's browser test drives Debian's Chromium (headless, over chromedriver) with a CA in its own NSS db.
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v certutil >/dev/null; then
        log "setup: installing chromium, chromium-driver and certutil (libnss3-tools)"
        apt_install chromium chromium-driver libnss3-tools
    fi
    # Chained: errexit does not apply inside a function called as `stage ... || rc=$?`.
    bash "${RIG_DIR}/ensure-docker.sh" \
        && bash "${RIG_DIR}/setup-venv.sh" \
        && bash "${RIG_DIR}/build-images.sh" \
        && bash "${RIG_DIR}/build-tools.sh" \
        && bash "${RIG_DIR}/charts.sh"
}

do_lint() {
    # ansible-lint's syntax checks run without an inventory, which ansible.cfg's unparsed_is_failed
    # (for site runs) would make fatal.
    (cd "${REPO_ROOT}" && ANSIBLE_INVENTORY_UNPARSED_FAILED=false ansible-lint --profile production)
}

sanity_with() {
    # ansible-test sanity from VENV's ansible-core on PYTHON (X.Y) in a copy of the tracked and new
    # (not ignored) files at ansible_collections/<ns>/<name>, as a fresh clone would have them.
    local venv="$1" python="$2" root
    root="${ONPREM_WANDB_CACHE}/sanity/$(basename "$(readlink -f "${venv}")")/ansible_collections/onprem/wandb"
    rm -rf "${root}"
    mkdir -p "${root}"
    (cd "${REPO_ROOT}" && git ls-files -z --cached --others --exclude-standard \
        | tar --null --ignore-failed-read -T - -cf -) | tar -C "${root}" -xf -
    (cd "${root}" && git init -q && git add -A && "${venv}/bin/ansible-test" sanity --venv --python "${python}" --color no)
}

do_sanity() {
    sanity_with "${VENV}" "$(matrix_python "${REPO_ROOT}/tests/requirements.txt")"
}

do_unit() {
    (cd "${REPO_ROOT}" && python -m pytest -q)
}

# The ansible-core support matrix: the default pins (.venv, the newest core) run the whole suite; each
# other declared core (tests/matrix/core-X.Y.txt, its venv .venv-core-X.Y from setup) runs ansible-test
# sanity and the unit tests, and the oldest also the common scenario (its converge, idempotence, check
# mode, firewall and a check module run). meta/runtime.yml's requires_ansible names the oldest leg.
matrix_legs() {
    local leg
    for leg in "${REPO_ROOT}"/tests/matrix/core-*.txt; do basename "${leg}" .txt; done | sort -V
}

matrix_leg() {
    # One leg, e.g. core-2.19. Waits for the default pins' common scenario to finish first when it runs
    # in the other lane (same container names); LOGS is the molecule stage's log directory, if any.
    local leg="$1" logs="${2:-}" venv pyver oldest
    venv="${REPO_ROOT}/.venv-${leg}"
    [ -x "${venv}/bin/ansible-test" ] || { log "ERROR: ${leg}: no ${venv} (run: make setup)"; return 1; }
    pyver=$(matrix_python "${REPO_ROOT}/tests/matrix/${leg}.txt")
    oldest=$(matrix_legs | head -n 1)
    log "matrix ${leg}: $("${venv}/bin/ansible" --version | sed -n 1p) on Python ${pyver}: sanity"
    # Each step ends the leg when it fails: errexit does not apply in a function called as `... || rc=$?`.
    sanity_with "${venv}" "${pyver}" || return 1
    log "matrix ${leg}: unit tests"
    (cd "${REPO_ROOT}" && "${venv}/bin/python" -m pytest -q -p no:cacheprovider) || return 1
    [ "${leg}" = "${oldest}" ] || return 0
    if [ -n "${logs}" ] && [ -d "${logs}/claim.common" ]; then
        while [ ! -f "${logs}/common.time" ]; do sleep 5; done
    fi
    log "matrix ${leg}: the common scenario"
    (cd "${REPO_ROOT}" && PATH="${venv}/bin:${PATH}" VIRTUAL_ENV="${venv}" "${venv}/bin/molecule" test -s common)
}

do_matrix() {
    local leg
    for leg in $(matrix_legs); do matrix_leg "${leg}" || return 1; done
}

do_build() {
    local out="${ONPREM_WANDB_CACHE}/build"
    rm -rf "${out}"
    mkdir -p "${out}/collections"
    (cd "${REPO_ROOT}" && ansible-galaxy collection build --force --output-path "${out}")
    # Install the tarball alone (the dependencies come from the `ansible` package), then prove that
    # every playbook is callable by FQCN from the installed copy, not from the work tree.
    (
        export ANSIBLE_COLLECTIONS_PATH="${out}/collections"
        ansible-galaxy collection install --offline --no-deps --force -p "${out}/collections" "${out}"/onprem-wandb-*.tar.gz
        local playbook
        for playbook in "${REPO_ROOT}"/playbooks/*.yml; do
            playbook="$(basename "${playbook}" .yml)"
            ansible-playbook -i "${out}/collections/ansible_collections/onprem/wandb/inventories/example/hosts.yml" \
                --syntax-check "onprem.wandb.${playbook}"
        done
    )
    # Galaxy's own import checks on the tarball (galaxy-importer, offline): structure, metadata, every
    # plugin's documentation through ansible-doc, role READMEs. Its ansible-lint and ansible-test runs
    # are off: the lint and sanity stages run them (the latter on every file, not in a container).
    # (From the build directory: it writes importer_result.json where it runs.)
    (cd "${out}" && GALAXY_IMPORTER_CONFIG="${REPO_ROOT}/tests/galaxy-importer.cfg" python -m galaxy_importer.main \
        "${out}"/onprem-wandb-*.tar.gz > "${out}/galaxy-importer.log" 2>&1) \
        || { cat "${out}/galaxy-importer.log"; die "galaxy-importer refused the collection"; }
    if grep -E '^(WARNING|ERROR)' "${out}/galaxy-importer.log"; then die "galaxy-importer warned (above)"; fi
    # The execution environment: what ansible-builder finds in the installed collection
    # (meta/execution-environment.yml -> requirements.txt, bindep.txt), and the EE definition in
    # docs/ee rendered into a build context (no image registry is reachable here: not built).
    ansible-builder introspect --sanitize "${out}/collections" > "${out}/ee-introspect.yml" 2>/dev/null
    local need
    for need in "PyMySQL>=1.1  # from collection onprem.wandb" "kubernetes>=30.0  # from collection onprem.wandb" \
                "openssh-client [platform:dpkg]  # from collection onprem.wandb"; do
        grep -qF -- "${need}" "${out}/ee-introspect.yml" || { cat "${out}/ee-introspect.yml"; die "ansible-builder did not find '${need}'"; }
    done
    mkdir -p "${out}/ee"
    cp "${REPO_ROOT}/docs/ee/execution-environment.yml" "${out}/ee/"
    cp "${out}"/onprem-wandb-*.tar.gz "${out}/ee/onprem-wandb.tar.gz"
    cp "$(command -v helm)" "${out}/ee/helm"
    (cd "${out}/ee" && ansible-builder create -f execution-environment.yml --context context --output-filename Containerfile > /dev/null)
    local line
    for line in 'collection install .*-r requirements.yml' '^COPY _build/bin/helm /usr/local/bin/helm'; do
        grep -q -- "${line}" "${out}/ee/context/Containerfile" \
            || die "ansible-builder create rendered no '${line}' (${out}/ee/context/Containerfile)"
    done
    log "build: galaxy-importer passed; execution environment context in ${out}/ee/context"
}

# The scenarios, longest first (as measured in docs/benchmarks.md): the lanes below take them in this
# order, so the longest start first and the short ones fill the gaps. A scenario not listed runs last.
MOLECULE_ORDER=(lab mysql wandb_operator minio nginx_proxy redis nginx_proxy_acme common default)

run_scenario() {
    # One scenario, its whole output in its own log; the timing line in its own file.
    local scenario="$1" logs="$2" start rc=0
    start=$(date +%s)
    if [[ "${scenario}" == core-* ]]; then
        (matrix_leg "${scenario}" "${logs}") > "${logs}/${scenario}.log" 2>&1 || rc=$?
    else
        (cd "${REPO_ROOT}" && molecule test -s "${scenario}") > "${logs}/${scenario}.log" 2>&1 || rc=$?
    fi
    printf '  %-18s %5ss  %s\n' "${scenario}" "$(( $(date +%s) - start ))" "$([ "${rc}" = 0 ] && echo ok || echo FAILED)" \
        > "${logs}/${scenario}.time"
    return "${rc}"
}

molecule_lane() {
    # Take the next unclaimed scenario (mkdir is atomic: one lane gets each), run it, print its log
    # whole when it ends (the lanes' outputs are never interleaved), and go on until none is left.
    local lane="$1" logs="$2" scenario
    shift 2
    for scenario in "$@"; do
        mkdir "${logs}/claim.${scenario}" 2>/dev/null || continue
        log "molecule: lane ${lane}: scenario ${scenario}"
        run_scenario "${scenario}" "${logs}" || true  # its .time file says whether it failed
        {
            printf '==== molecule scenario %s (lane %s): output\n' "${scenario}" "${lane}"
            cat "${logs}/${scenario}.log"
            printf '==== molecule scenario %s:%s\n' "${scenario}" "$(cat "${logs}/${scenario}.time")"
        } | flock "${logs}/print.lock" cat
    done
}

do_molecule() {
    local scenario logs lane lanes=() order=() failed=() legs=()
    # The full-stack scenario (extensions/molecule/lab) reads the lab directory: its vaulted secrets and inventory.
    bash "${REPO_ROOT}/tests/lab/lab.sh" init
    export ONPREM_WANDB_LAB_DIR="${ONPREM_WANDB_LAB_DIR:-${ONPREM_WANDB_CACHE}/lab}"
    for scenario in "${MOLECULE_ORDER[@]}"; do
        [ -f "${REPO_ROOT}/extensions/molecule/${scenario}/molecule.yml" ] && order+=("${scenario}")
    done
    for scenario in "${REPO_ROOT}"/extensions/molecule/*/molecule.yml; do
        scenario="$(basename "$(dirname "${scenario}")")"
        [[ " ${order[*]} " == *" ${scenario} "* ]] || order+=("${scenario}")
    done
    # ONPREM_WANDB_SCENARIOS="a b": only these scenarios (in the order above).
    if [ -n "${ONPREM_WANDB_SCENARIOS:-}" ]; then
        local wanted=() known
        for known in "${order[@]}"; do
            [[ " ${ONPREM_WANDB_SCENARIOS} " == *" ${known} "* ]] && wanted+=("${known}")
        done
        for scenario in ${ONPREM_WANDB_SCENARIOS}; do
            [[ " ${order[*]} " == *" ${scenario} "* ]] || die "ONPREM_WANDB_SCENARIOS: no scenario '${scenario}' (extensions/molecule/*)"
        done
        order=("${wanted[@]}")
    fi
    # The ansible-core matrix legs fill the lanes' ends (ONPREM_WANDB_MATRIX=0: scenarios only).
    if [ "${ONPREM_WANDB_MATRIX:-1}" != 0 ]; then
        read -r -a legs <<< "$(matrix_legs | tr '\n' ' ')"
        order+=("${legs[@]}")
    fi
    # Scenarios are independent (their own containers, network, Molecule state and secrets), and one
    # alone leaves about a third of two cores idle while services start and playbooks wait on hosts:
    # ONPREM_WANDB_MOLECULE_JOBS lanes (default 2) run them side by side. 1 runs them one by one.
    local jobs="${ONPREM_WANDB_MOLECULE_JOBS:-2}"
    [[ "${jobs}" =~ ^[1-9][0-9]*$ ]] || die "ONPREM_WANDB_MOLECULE_JOBS must be a positive integer, found '${jobs}'"
    logs="$(mktemp -d "${TMPDIR:-/tmp}/onprem-wandb-molecule.XXXXXX")"
    log "molecule: ${#order[@]} scenarios in ${jobs} lane(s): ${order[*]} (logs in ${logs})"
    for (( lane = 1; lane <= jobs; lane++ )); do
        molecule_lane "${lane}" "${logs}" "${order[@]}" &
        lanes+=("$!")
        # Staggered: two scenarios creating containers and installing packages in the same second
        # compete for the same disk and CPU at the worst moment.
        sleep 5
    done
    wait "${lanes[@]}" || true
    for scenario in "${order[@]}"; do
        if [ -f "${logs}/${scenario}.time" ]; then
            timings+=("$(cat "${logs}/${scenario}.time")")
            grep -q ' ok$' "${logs}/${scenario}.time" || failed+=("${scenario}")
        else
            timings+=("$(printf '  %-18s %5s   %s' "${scenario}" "-" "NOT RUN")")
            failed+=("${scenario}")
        fi
    done
    if [ "${#failed[@]}" != 0 ]; then
        log "molecule: failed scenarios: ${failed[*]}"
        # CI keeps the start and the end of a long log: what failed is repeated here, at the end.
        for scenario in "${failed[@]}"; do
            [ -f "${logs}/${scenario}.log" ] || continue
            log "molecule: ${scenario}: what failed (its whole output is above, and in ${logs}/${scenario}.log)"
            failure_digest "${logs}/${scenario}.log" >&2
        done
        return 1
    fi
    rm -rf "${logs}"
}

# failure_digest LOG: the lines of a scenario's log that say what failed: pytest's short summary and
# assertion lines, Ansible's failed tasks and Molecule's errors (each kind capped, each line cut).
failure_digest() {
    {
        grep -E '^(FAILED|ERROR) [^ ]*::' "$1" | head -n 10  # pytest's summary (not Ansible's "FAILED - RETRYING")
        grep -E '^E   ' "$1" | head -n 15
        grep -E '^(fatal|failed): |CRITICAL ' "$1" | head -n 10
    } | cut -c1-400 | sed 's/^/    /' || true
}

# When a run has the molecule stage and stages before it (make test), the Molecule lanes start right
# after setup, in their own process group, and the checks before them run beside them at a lower CPU
# priority: they fill the cycles the lanes leave idle while services start and playbooks wait, and a
# failing check still stops the run within minutes (the lanes are killed). ONPREM_WANDB_OVERLAP=0 runs
# the stages one after the other.
molecule_pid=""
molecule_timings=""
trap '[ -z "${molecule_pid}" ] || kill -- "-${molecule_pid}" 2>/dev/null || true' EXIT

start_molecule_beside() {
    molecule_timings="$(mktemp)"
    molecule_start=$(date +%s)
    log "==== stage molecule: start (its lanes run beside the stages before it; their output comes as each ends)"
    ONPREM_WANDB_READY=1 ONPREM_WANDB_TIMINGS_FILE="${molecule_timings}" setsid bash "${BASH_SOURCE[0]}" molecule &
    molecule_pid=$!
}

finish_molecule_beside() {
    local rc=0 line
    wait "${molecule_pid}" || rc=$?
    molecule_pid=""
    while IFS= read -r line; do
        # The child's own table: its molecule stage line and one per scenario and leg.
        timings+=("${line}")
    done < "${molecule_timings}"
    rm -f "${molecule_timings}"
    log "==== stage molecule: $([ "${rc}" = 0 ] && echo ok || echo "FAILED (rc=${rc})") ($(( $(date +%s) - molecule_start ))s since it started)"
    if [ "${rc}" != 0 ]; then
        summary
        exit "${rc}"
    fi
}

# With the matrix stage in the same run, the molecule stage leaves its legs out (they run once).
[[ " ${stages[*]} " == *" matrix "* ]] && export ONPREM_WANDB_MATRIX=0
overlap=""
if [ "${ONPREM_WANDB_OVERLAP:-1}" != 0 ] && [[ " ${stages[*]} " == *" molecule "* ]]; then
    for name in lint sanity unit build matrix; do
        [[ " ${stages[*]} " == *" ${name} "* ]] && overlap=1
    done
fi

# Set by a parent run.sh that did the setup already.
ready="${ONPREM_WANDB_READY:-}"
for name in "${stages[@]}"; do
    case "${name}" in
        setup) stage setup do_setup; ready=1 ;;
        lint | sanity | unit | build | matrix | molecule)
            # A stage run alone still needs the venv (cheap when present) and, on a new machine, the rest.
            if [ -z "${ready}" ]; then
                if [ -x "${VENV}/bin/ansible" ]; then bash "${RIG_DIR}/setup-venv.sh"; else stage setup do_setup; fi
                ready=1
            fi
            rig_activate
            if [ -n "${overlap}" ]; then
                if [ "${name}" = molecule ]; then
                    [ -n "${molecule_pid}" ] || start_molecule_beside
                    finish_molecule_beside
                    continue
                fi
                [ -n "${molecule_pid}" ] || start_molecule_beside
                stage "${name}" env ONPREM_WANDB_READY=1 ONPREM_WANDB_TIMINGS_FILE=/dev/null nice -n 10 bash "${BASH_SOURCE[0]}" "${name}"
                continue
            fi
            stage "${name}" "do_${name}" ;;
        *) die "unknown stage ${name} (stages: setup lint sanity unit build matrix molecule)" ;;
    esac
done
summary
