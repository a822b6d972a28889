#!/usr/bin/env bash
# Stop and remove a broker container started by scripts/start-broker.sh (its data goes with it).
# Usage: scripts/stop-broker.sh <BROKER_CONTAINER>
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="stop-broker"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=${1:-}
[[ -n "$name" ]] || die "usage: scripts/stop-broker.sh <BROKER_CONTAINER printed by start-broker.sh>"
label=$(docker_cli inspect -f '{{ index .Config.Labels "dataexchange.tasker.broker" }}' "$name" 2>/dev/null) ||
    { log "no such container: $name (already stopped?)"; exit 0; }
[[ "$label" == script ]] || die "$name was not started by start-broker.sh (no dataexchange.tasker.broker=script label); not touching it"

# A clean stop (SIGTERM, 30 s grace), then removal.
docker_cli stop -t 30 "$name" >/dev/null
docker_cli rm "$name" >/dev/null
log "stopped and removed $name"
