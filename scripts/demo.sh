#!/usr/bin/env bash
# Set up what the demo needs (`scripts/setup.sh --demo`: packages, dockerd, the base, minimal runner and broker images;
# the tasker builds meanwhile, and the broker boots before the build is waited for), then run one real task end to
# end: a broker container (scripts/start-broker.sh, unless one already answers on TASKER_AMQP_URI), the tasker on the
# runner image $DEMO_RUNNER_IMAGE (dataexchange-tasker-runner:minimal),
# and `tasker submit --wait` for examples/demo1_code on examples/demo1_data. Prints the done message and stops what it
# started.
# Exit code: 1 with a message naming the step when setup, the broker or the tasker's start fails; otherwise that of
# `tasker submit --wait` (0 success, 1 error, 2 rejected, 4 timeout).
set -euo pipefail

LOG_TAG=demo
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

demo_dir=$(mktemp -d /tmp/tasker-demo.XXXXXX)
tasker_pid=""
finish() {
    local status=$?
    dotnet_build_stop
    if [[ -n $tasker_pid ]] && kill -0 "$tasker_pid" 2>/dev/null; then
        log "stopping the tasker (SIGTERM)"
        kill -TERM "$tasker_pid" && wait "$tasker_pid" || true
    fi
    demo_broker_down
    rm -rf "$demo_dir"
    exit "$status"
}
trap finish EXIT

# The tasker builds while setup makes the images and the broker boots (from nothing the build is the longest step).
dotnet_build_start src/DataExchangeTasker
scripts/setup.sh --demo --no-build || die "setup failed (scripts/setup.sh --demo, see its error above)"
demo_broker_up
dotnet_build_wait
tasker=$(demo_tasker_binary)

http_port=$(free_port)
export TASKER_CODE_ROOT=$REPO_ROOT/examples
export TASKER_DATA_ROOT=$REPO_ROOT/examples
export TASKER_WORK_ROOT=$demo_dir/work
export TASKER_HTTP_BIND=127.0.0.1:$http_port
export TASKER_IMAGE=$DEMO_RUNNER_IMAGE

log "starting the tasker on $TASKER_IMAGE (log: $demo_dir/tasker.log)"
"$tasker" run >"$demo_dir/tasker.log" 2>&1 &
tasker_pid=$!
# Ready, or exited (then waiting on is pointless).
ready_or_exited() { ! kill -0 "$tasker_pid" 2>/dev/null || curl -sf "http://127.0.0.1:$http_port/health/ready" >/dev/null; }
if ! wait_for 60 "the tasker to be ready" ready_or_exited || ! kill -0 "$tasker_pid" 2>/dev/null; then
    cat "$demo_dir/tasker.log" >&2
    die "the tasker did not become ready within 60 s (or exited; its log is above)"
fi
log "tasker ready (http://127.0.0.1:$http_port/health/ready)"

log "submitting examples/start-demo1.json: codePath demo1_code, dataPath demo1_data"
status=0
"$tasker" submit --code demo1_code --data demo1_data --task-id "demo-$(date +%s)" --wait --timeout 120 || status=$?

log "tasker log:"
sed 's/^/    /' "$demo_dir/tasker.log"
((status == 0)) || warn "the demo task did not succeed: tasker submit --wait exited $status (see the done message and log above)"
log "demo finished with exit code $status"
exit "$status"
