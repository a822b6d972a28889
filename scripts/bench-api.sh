#!/usr/bin/env bash
# Benchmark of tasker api (issues 14, 22), run by `scripts/bench.sh --api`, on SQLite with the worker idle (no worker
# consumes: start messages stay on the todo queue, so only the api's own work is measured: store writes + publisher
# confirms), in two runs on one api:
#   throughput: BENCH_API_TASKS submits with BENCH_API_CONCURRENCY in flight (closed loop): submits/s, p50/p95/p99;
#   latency:    BENCH_API_TASKS submits offered at a steady BENCH_API_RATE per second (open loop, latency counted
#               from each submit's scheduled time): p50/p95/p99 at that rate. Goal (issue 22): >= 1,000/s, p95 <= 20 ms.
# and the store's growth per 10,000 tasks.
#   TASKER_AMQP_URI: a broker to use (default: a fresh one from scripts/start-broker.sh)
#   BENCH_API_TASKS (default 10000)   BENCH_API_CONCURRENCY (default 32)   BENCH_API_RATE (default 1000)
#   BENCH_API_TASKER: another tasker binary to measure (e.g. one built from an older commit, for a before/after)
set -euo pipefail

LOG_TAG=bench-api
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

tasks=${BENCH_API_TASKS:-10000}
concurrency=${BENCH_API_CONCURRENCY:-32}
rate=${BENCH_API_RATE:-1000}
tasker=${BENCH_API_TASKER:-$REPO_ROOT/src/DataExchangeTasker/bin/Release/net10.0/tasker}
[[ -x $tasker ]] || die "$tasker missing: run scripts/setup.sh"
dotnet build bench/ApiLoad -c Release --nologo -v quiet -tl:off >/dev/null
load=$REPO_ROOT/bench/ApiLoad/bin/Release/net10.0/ApiLoad

dir=$(mktemp -d /tmp/tasker-bench-api.XXXXXX)
broker=""
api_pid=""
finish() {
    if [[ -n ${queues:-} ]]; then
        for q in "$queues.todo" "$queues.done" ${copy_queue:+"$copy_queue"} "$queues.todo.dead"; do
            amqp-delete-queue -u "${TASKER_AMQP_URI%/}" -q "$q" >/dev/null 2>&1 || true
        done
    fi
    [[ -n $api_pid ]] && kill -TERM "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
    [[ -n $broker ]] && scripts/stop-broker.sh "$broker" >/dev/null 2>&1
    rm -rf "$dir"
}
trap finish EXIT

if [[ -n ${TASKER_AMQP_URI:-} ]]; then
    log "broker: using TASKER_AMQP_URI"
else
    port=$(free_port)
    eval "$(scripts/start-broker.sh --port "$port")"
    broker=$BROKER_CONTAINER
    export TASKER_AMQP_URI=amqp://guest:guest@127.0.0.1:$port/
fi
# Queues of its own (start messages pile up there: no worker), deleted afterwards.
queues=bench-api-$$
export TASKER_TODO_QUEUE=$queues.todo TASKER_DONE_QUEUE=$queues.done
api_port=$(free_port)
export TASKER_DB=$dir/tasker.db TASKER_API_BIND=127.0.0.1:$api_port
export TASKER_ADMIN_KEY=bench-admin-key-0123456789 TASKER_LOG_LEVEL=warning
# A tier that does not limit the benchmark itself.
export TASKER_API_TIERS="free=10/1,basic=100/5,premium=1000/20,enterprise=5000/50,bench=100000000/100000000"
"$tasker" api >"$dir/api.log" 2>&1 &
api_pid=$!
wait_for 60 "tasker api to be ready" curl -sf "http://127.0.0.1:$api_port/health/ready" || { cat "$dir/api.log" >&2; die "api not ready"; }
key=$(curl -sf -X POST "http://127.0.0.1:$api_port/admin/clients" -H "X-Admin-Key: $TASKER_ADMIN_KEY" \
    -d '{"clientId":"bench","tier":"bench"}' | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')

# The store's own copy queue of done messages (named from the store's id), deleted afterwards with the others.
copy_queue=$(curl -sf "http://127.0.0.1:$api_port/version" | sed -nE 's/.*"doneCopyQueue":"([^"]+)".*/\1/p')
[[ -n $copy_queue ]] || copy_queue=$queues.done.api   # a tasker from before issue 22: one fixed copy queue

size() { du -cb "$dir"/tasker.db* | tail -1 | cut -f1; }
before=$(size)
log "throughput: $tasks submits, $concurrency in flight (+ warm-up), SQLite, worker idle"
result=$("$load" "http://127.0.0.1:$api_port/" "$key" "$tasks" "$concurrency")
log "result: $result"
log "latency: $tasks submits offered at $rate/s (open loop, at most 256 in flight)"
steady=$("$load" "http://127.0.0.1:$api_port/" "$key" "$tasks" 256 "$rate")
log "result: $steady"
# A checkpoint folds the WAL into the database file, so the size is the store's, not the log's.
sqlite_size_after=$(size)
kill -TERM "$api_pid" && wait "$api_pid" || true
api_pid=""
after=$(size)
growth=$(( (after - before) * 10000 / (2 * (tasks + (tasks / 10 < 200 ? tasks / 10 : 200))) ))
log "store: $before bytes before, $sqlite_size_after after (with WAL), $after after shutdown; growth per 10,000 tasks ≈ $growth bytes (without done messages)"
printf '{"api":%s,"apiAtRate":%s,"storeBytesBefore":%s,"storeBytesAfter":%s,"storeGrowthPer10000Tasks":%s}\n' "$result" "$steady" "$before" "$after" "$growth" | tee "$dir/../tasker-bench-api.json"
