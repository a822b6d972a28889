#!/usr/bin/env bash
# Benchmark (issue 6): the tasker against its baselines on this machine, same image, command, limits and
# concurrency, in one run. Prints a markdown table and writes bench/results/latest.json (+ latest.md).
#   scripts/bench.sh            default run (≈ 10 min on 2 cores): 100 tasks at c=1, 200 at c=4 (the naive consumer,
#                               ~4× slower, 50 and 100: its rate is per task), 30 for overhead, 10,000 rejected
#                               messages, 5 start-ups
#   scripts/bench.sh --quick    smoke run (≈ 2 min): 20 tasks, 10 for overhead, 2,000 rejected, 2 start-ups
#   scripts/bench.sh --full     the issue's full counts: 200 tasks for every system at c=1 and c=4 (≈ 20 min)
#   scripts/bench.sh --trace-overhead   only the trace overhead of the sealed runner (scripts/bench-trace-overhead.sh,
#                               docker CLI, ≈ 2 min): write- and import-heavy scripts traced vs untraced
#   scripts/bench.sh --api      only tasker api (scripts/bench-api.sh, ≈ 1 min): submits/s at 32 in flight, p50/p95
#                               POST /v1/tasks latency at a steady 1,000/s, on SQLite with the worker idle, store growth
#   scripts/bench.sh --witness  only the witness's cost (≈ 3 min): 30 tasks each with TASKER_WITNESS=off and =fanotify,
#                               taking turns, each reading a folder of 1,000 files; p50 added overhead, container life and
#                               tasker CPU per task (also part of the default run; needs root for fanotify)
#   BENCH_ONLY=throughput,overhead,memory,rejected,ready,witness   run a subset
#   BENCH_BROKER_ROUTE=proxy   reach the bench broker through its published port (docker-proxy) instead of its
#                               container address (direct, the default)
#   BENCH_TASKER=PATH          the tasker binary to measure (default: the shipped one, published now by
#                               scripts/publish-tasker.sh into out/tasker: NativeAOT; give
#                               src/DataExchangeTasker/bin/Release/net10.0/tasker to measure the JIT build)
# Baselines: bench/Floor (Engine API create → start → wait → remove, the tasker's own client and spec
# factory) and bench/naive/naive-consumer.sh (amqp-tools + docker run --rm). See bench/README.md.
set -euo pipefail

LOG_TAG=bench
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

if [[ ${1:-} == --trace-overhead ]]; then
    exec "$(dirname "${BASH_SOURCE[0]}")/bench-trace-overhead.sh"
fi
if [[ ${1:-} == --api ]]; then
    exec "$(dirname "${BASH_SOURCE[0]}")/bench-api.sh"
fi

c1=100 c4=200 overhead=30 rejected=10000 ready=5 naive1=50 naive4=100 witness=30
only=${BENCH_ONLY:-throughput,overhead,memory,rejected,ready,witness}
case ${1:-} in
    --quick) c1=20 c4=20 overhead=10 rejected=2000 ready=2 naive1=10 naive4=20 witness=10 ;;
    --full) c1=200 naive1=200 naive4=200 ;;
    --witness) only=witness ;;
    '') ;;
    *) die "usage: scripts/bench.sh [--quick|--full|--trace-overhead|--api|--witness]" ;;
esac

# How the tasker and the naive consumer reach the bench broker (see below); checked before anything starts.
route=${BENCH_BROKER_ROUTE:-direct}
case $route in
    direct | proxy) ;;
    *) die "BENCH_BROKER_ROUTE=\"$route\" is invalid: expected direct (the broker container's address, the default) or proxy (the published port)" ;;
esac

scripts/setup.sh
# The tasker as it ships (NativeAOT), published from these sources unless BENCH_TASKER names another binary.
if [[ -n ${BENCH_TASKER:-} ]]; then
    tasker=$BENCH_TASKER
    [[ -x $tasker ]] || die "BENCH_TASKER=\"$tasker\" is not an executable file: expected a tasker binary (e.g. out/tasker/tasker)"
else
    scripts/publish-tasker.sh out/tasker
    tasker=$REPO_ROOT/out/tasker/tasker
fi
log "building bench/Floor and bench/Load (Release)"
for p in bench/Floor/Floor.csproj bench/Load/Load.csproj; do
    dotnet build "$p" -c Release --nologo -v quiet -tl:off -clp:NoSummary >/dev/null
done

scratch=$(mktemp -d /tmp/tasker-bench.XXXXXX)
chmod 0755 "$scratch"
broker_container=""
finish() {
    local status=$?
    [[ -n $broker_container ]] && scripts/stop-broker.sh "$broker_container" >/dev/null 2>&1 || true
    # Anything a killed run left behind, by label (only the bench's own tasker ids and names).
    ids=$(docker_cli ps -a --filter "label=dataexchange.tasker.owner" --format '{{.ID}} {{.Label "dataexchange.tasker.owner"}}' 2>/dev/null |
        awk '$2 ~ /^bench-/ {print $1}' || true)
    [[ -n $ids ]] && docker_cli rm -f $ids >/dev/null 2>&1 || true
    rm -rf "$scratch"
    exit "$status"
}
trap finish EXIT

port=$(free_port)
eval "$(scripts/start-broker.sh --port "$port")"
broker_container=$BROKER_CONTAINER
# The tasker and the naive consumer reach the broker at its container's bridge address, not through the published
# port: that port is served by docker-proxy, a userland copy of every byte that took 13 % of the 2 cores on the
# rejected path (1,561-1,671 messages/s through it, 1,991-2,172 direct, same build, 2026-12-03; bench/README.md). A
# deployed broker is on the network, not behind docker-proxy on the tasker's host. The floor uses no broker.
# BENCH_BROKER_ROUTE=proxy measures the old way (checked at the top).
broker_uri=$BROKER_URL
if [[ $route == direct && -n $broker_container ]]; then
    address=$(docker_cli inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$broker_container")
    [[ -n $address ]] || die "no bridge address for $broker_container (BENCH_BROKER_ROUTE=proxy uses the published port)"
    broker_uri="amqp://guest:guest@$address:5672"
else
    route="through docker-proxy (published port)"
fi
[[ $route == direct ]] && route="direct (container address)"
log "broker: $broker_uri, $route"

mkdir -p bench/results
dotnet bench/Load/bin/Release/net10.0/Load.dll \
    --uri "$broker_uri" --broker-route "$route" --tasker "$tasker" --floor bench/Floor/bin/Release/net10.0/Floor.dll \
    --naive bench/naive/naive-consumer.sh --root "$scratch" \
    --json bench/results/latest.json --md bench/results/latest.md \
    --tasks-c1 "$c1" --tasks-c4 "$c4" --overhead-tasks "$overhead" --rejected "$rejected" --ready-runs "$ready" --naive-c1 "$naive1" --naive-c4 "$naive4" \
    --witness-tasks "$witness" --only "$only"
cp "$scratch"/logs/*.log bench/results/ 2>/dev/null || true
log "results: bench/results/latest.json, bench/results/latest.md (tasker logs: bench/results/*.log)"
