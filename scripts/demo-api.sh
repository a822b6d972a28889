#!/usr/bin/env bash
# The HTTP front end to end: a broker (scripts/start-broker.sh, unless one answers on TASKER_AMQP_URI), a worker
# (`tasker run`, examples/ as code and data root), `tasker api` on a SQLite store; creates a client through the admin
# endpoint, submits examples/demo1_code on demo1_data with curl, polls the status and prints the result.
# Stops what it started. Exit code 0 when the task ends success.
set -euo pipefail

LOG_TAG=demo-api
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

scripts/setup.sh

tasker=$(demo_tasker_binary)

demo_dir=$(mktemp -d /tmp/tasker-demo-api.XXXXXX)
pids=()
finish() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
    demo_broker_down
    rm -rf "$demo_dir"
    exit "$status"
}
trap finish EXIT

demo_broker_up

log "starting the worker (log: $demo_dir/worker.log)"
TASKER_CODE_ROOT=$REPO_ROOT/examples TASKER_DATA_ROOT=$REPO_ROOT/examples TASKER_WORK_ROOT=$demo_dir/work \
    TASKER_HTTP_BIND=off "$tasker" run >"$demo_dir/worker.log" 2>&1 &
pids+=($!)

api_port=$(free_port)
api=http://127.0.0.1:$api_port
admin_key=demo-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
log "starting tasker api on $api, store $demo_dir/tasker.db (log: $demo_dir/api.log)"
TASKER_API_BIND=127.0.0.1:$api_port TASKER_DB=$demo_dir/tasker.db TASKER_ADMIN_KEY=$admin_key "$tasker" api >"$demo_dir/api.log" 2>&1 &
pids+=($!)
if ! wait_for 60 "tasker api to be ready" curl -sf "$api/health/ready"; then
    cat "$demo_dir/api.log" >&2
    die "tasker api did not become ready within 60 s"
fi

log "POST /admin/clients {clientId: demo, tier: basic}"
client=$(curl -sf -X POST "$api/admin/clients" -H "X-Admin-Key: $admin_key" -d '{"clientId":"demo","tier":"basic"}')
echo "    $client"
key=$(sed -E 's/.*"apiKey":"([^"]+)".*/\1/' <<<"$client")

log "POST /v1/tasks {codePath: demo1_code, dataPath: demo1_data}"
submitted=$(curl -sf -X POST "$api/v1/tasks" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"codePath":"demo1_code","dataPath":"demo1_data"}')
echo "    $submitted"
task_id=$(sed -E 's/.*"taskId":"([^"]+)".*/\1/' <<<"$submitted")

state=""
deadline=$((SECONDS + 120))
while ((SECONDS < deadline)); do
    # Polling asks for the state only: the done message (with its strace) is fetched once, below.
    task=$(curl -sf "$api/v1/tasks/$task_id?fields=state" -H "Authorization: Bearer $key")
    new_state=$(sed -E 's/^\{"taskId":"[^"]*","state":"([^"]+)".*/\1/' <<<"$task")
    [[ $new_state != "$state" ]] && log "GET /v1/tasks/$task_id: state $new_state"
    state=$new_state
    [[ $state =~ ^(success|error|rejected)$ ]] && break
    sleep 0.5
done
task=$(curl -sf "$api/v1/tasks/$task_id" -H "Authorization: Bearer $key")
log "result:"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; t=json.load(sys.stdin); d=t.get("done") or {}; print(json.dumps({k: t[k] for k in ("taskId","state","reason","durationMs")} | {"stdout": (d.get("containerOutput") or {}).get("stdout")}, indent=2))' <<<"$task"
else
    echo "$task"
fi
log "status page: $api$(curl -sf "$api/v1/view-url" -H "Authorization: Bearer $key" | sed -E 's/.*"url":"([^"]+)".*/\1/') (while this script runs)"
[[ $state == success ]]
