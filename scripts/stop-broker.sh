#!/usr/bin/env bash
# Stop a node started by scripts/start-broker.sh and remove its temp dir.
# Usage: scripts/stop-broker.sh <BROKER_DIR>
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="stop-broker"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=${1:-}
[[ -n "$dir" ]] || die "usage: scripts/stop-broker.sh <BROKER_DIR printed by start-broker.sh>"
[[ -d "$dir" ]] || { log "no such dir: $dir (already stopped?)"; exit 0; }
[[ -f "$dir/broker.env" ]] || die "$dir was not made by start-broker.sh (no broker.env); not touching it"

BROKER_NODE='' BROKER_PID='' BROKER_WRAPPER_PID=''
# shellcheck disable=SC1091
. "$dir/broker.env"
[[ -n "$BROKER_PID" ]] || BROKER_PID=$(cat "$dir/rabbitmq.pid" 2>/dev/null || true)

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

if alive "$BROKER_PID" || alive "$BROKER_WRAPPER_PID"; then
    log "stopping $BROKER_NODE"
    env HOME="$dir" timeout 60 /usr/lib/rabbitmq/bin/rabbitmqctl -n "$BROKER_NODE" stop >/dev/null 2>&1 ||
        log "rabbitmqctl stop failed; killing"
    for pid in "$BROKER_PID" "$BROKER_WRAPPER_PID"; do
        alive "$pid" || continue
        wait_for 15 "pid $pid to exit" bash -c "! kill -0 $pid" || true
        if alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            wait_for 10 "pid $pid to exit after TERM" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
        fi
    done
else
    log "$BROKER_NODE is not running"
fi

rm -rf -- "$dir"
log "stopped; removed $dir"
