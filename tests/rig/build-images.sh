#!/usr/bin/env bash
# Build the systemd base images the Molecule scenarios boot (Debian 12 for most roles, Debian sid
# for MySQL) with debootstrap from the host's own Debian mirror, and import them into Docker.
# An image that already exists at the pinned tag is reused. Usage: build-images.sh [SUITE...]
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/lib.sh"

command -v debootstrap >/dev/null || { log "images: installing debootstrap"; apt_install debootstrap; }

mirror=$(debian_mirror)
read -r -a suites <<< "${*:-${RIG_SUITES}}"

for suite in "${suites[@]}"; do
    image="${RIG_IMAGE_PREFIX}:${suite}-${RIG_IMAGE_REVISION}"
    if docker image inspect "${image}" >/dev/null 2>&1; then
        log "images: ${image} present"
        continue
    fi
    start=$(date +%s)
    rootfs=$(mktemp -d "${ONPREM_WANDB_CACHE:-/tmp}/rootfs-${suite}.XXXXXX" 2>/dev/null || mktemp -d)
    trap 'rm -rf "${rootfs}" "${rootfs}.log"' EXIT
    log "images: debootstrap ${suite} from ${mirror}"
    debootstrap --variant=minbase --include="${RIG_IMAGE_PACKAGES}" "${suite}" "${rootfs}" "${mirror}" \
        > "${rootfs}.log" 2>&1 || { tail -n 40 "${rootfs}.log" >&2; die "debootstrap ${suite} failed"; }

    printf 'deb %s %s main\n' "${mirror}" "${suite}" > "${rootfs}/etc/apt/sources.list"
    # The mirror serves a snapshot: sid's Release file is past its Valid-Until date.
    printf 'Acquire::Check-Valid-Until "false";\n' > "${rootfs}/etc/apt/apt.conf.d/99onprem-wandb-snapshot"
    # Keep images small and boots quiet: no docs, no consoles, no units that need real hardware.
    rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/archives/*.deb
    : > "${rootfs}/etc/machine-id"
    for unit in getty@tty1.service console-getty.service systemd-firstboot.service \
                systemd-udevd.service systemd-modules-load.service sys-kernel-config.mount; do
        ln -sf /dev/null "${rootfs}/etc/systemd/system/${unit}"
    done

    tar -C "${rootfs}" -c . | docker import \
        -c 'ENV container=docker' \
        -c 'CMD ["/lib/systemd/systemd"]' \
        - "${image}" >/dev/null
    rm -rf "${rootfs}" "${rootfs}.log"
    trap - EXIT
    log "images: ${image} built in $(( $(date +%s) - start ))s"
done
