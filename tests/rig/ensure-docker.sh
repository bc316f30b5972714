#!/usr/bin/env bash
# Make sure a Docker engine answers. If none does, install it from Debian's packages and start
# dockerd in the background, then wait (bounded) until `docker info` succeeds.
set -euo pipefail
# shellcheck source=tests/rig/lib.sh
. "$(dirname "$0")/lib.sh"

if docker info >/dev/null 2>&1; then
    log "docker: engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    exit 0
fi

if ! command -v dockerd >/dev/null; then
    log "docker: installing docker.io, containerd and runc from Debian's packages"
    apt_install docker.io containerd runc
fi

log "docker: starting dockerd"
mkdir -p /var/log
setsid dockerd >/var/log/onprem-wandb-dockerd.log 2>&1 < /dev/null &

for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        log "docker: engine ready ($(docker version --format '{{.Server.Version}}'))"
        exit 0
    fi
    sleep 1
done
tail -n 30 /var/log/onprem-wandb-dockerd.log >&2 || true
die "dockerd did not answer within 60s; see /var/log/onprem-wandb-dockerd.log"
