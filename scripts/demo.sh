#!/usr/bin/env bash
# Set everything up, then run one real task end to end: a broker container (scripts/start-broker.sh, unless one already
# answers on TASKER_AMQP_URI), the tasker, and `tasker submit --wait` for examples/demo1_code on
# examples/demo1_data. Prints the done message and stops what it started.
# Exit code: that of `tasker submit --wait` (0 success, 1 error, 2 rejected, 4 timeout).
set -euo pipefail

LOG_TAG=demo
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

scripts/setup.sh

tasker=$REPO_ROOT/src/DataExchangeTasker/bin/Release/net10.0/tasker
[[ -x $tasker ]] || die "$tasker missing: scripts/setup.sh should have built it"

uri=${TASKER_AMQP_URI:-amqp://guest:guest@localhost:5672/}
port=$(sed -E 's#^amqps?://([^@]*@)?[^:/]+:?([0-9]*).*#\2#' <<<"$uri")
port=${port:-5672}

demo_dir=$(mktemp -d /tmp/tasker-demo.XXXXXX)
broker_container=""
tasker_pid=""
finish() {
    local status=$?
    if [[ -n $tasker_pid ]] && kill -0 "$tasker_pid" 2>/dev/null; then
        log "stopping the tasker (SIGTERM)"
        kill -TERM "$tasker_pid" && wait "$tasker_pid" || true
    fi
    if [[ -n $broker_container ]]; then
        log "stopping the demo broker"
        scripts/stop-broker.sh "$broker_container" >/dev/null 2>&1 || true
    fi
    rm -rf "$demo_dir"
    exit "$status"
}
trap finish EXIT

if port_in_use "$port"; then
    log "broker: using the one answering on port $port"
else
    log "broker: none on port $port, starting a broker container"
    eval "$(scripts/start-broker.sh --port "$port")"
    broker_container=$BROKER_CONTAINER
    uri="amqp://guest:guest@127.0.0.1:$port/"
fi

http_port=$(free_port)
export TASKER_AMQP_URI=$uri
export TASKER_CODE_ROOT=$REPO_ROOT/examples
export TASKER_DATA_ROOT=$REPO_ROOT/examples
export TASKER_WORK_ROOT=$demo_dir/work
export TASKER_HTTP_BIND=127.0.0.1:$http_port

log "starting the tasker (log: $demo_dir/tasker.log)"
"$tasker" run >"$demo_dir/tasker.log" 2>&1 &
tasker_pid=$!
ready() { curl -sf "http://127.0.0.1:$http_port/health/ready" >/dev/null; }
if ! wait_for 60 "the tasker to be ready" ready; then
    cat "$demo_dir/tasker.log" >&2
    die "the tasker did not become ready within 60 s"
fi
log "tasker ready (http://127.0.0.1:$http_port/health/ready)"

log "submitting examples/start-demo1.json: codePath demo1_code, dataPath demo1_data"
status=0
"$tasker" submit --code demo1_code --data demo1_data --task-id "demo-$(date +%s)" --wait --timeout 120 || status=$?

log "tasker log:"
sed 's/^/    /' "$demo_dir/tasker.log"
log "demo finished with exit code $status"
exit "$status"
