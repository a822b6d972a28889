#!/usr/bin/env bash
# Experiments with a locally patched tasker (bench/proposals/instrumentation.patch applied to src/, not committed):
# runs selected scenarios against an existing broker with extra env (BENCH_* switches), e.g.
#   BENCH_URL=amqp://guest:guest@127.0.0.1:PORT bench/experiment.sh NAME --only throughput --systems floor,tasker --concurrencies 4 --tasks-c4 60
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
scratch=$(mktemp -d /tmp/tasker-bench-exp.XXXXXX); chmod 0755 "$scratch"
mkdir -p bench/results/exp
dotnet bench/Load/bin/Release/net10.0/Load.dll --uri "$BENCH_URL" \
    --tasker "${BENCH_TASKER:-$PWD/src/DataExchangeTasker/bin/Release/net10.0/tasker}" \
    --floor bench/Floor/bin/Release/net10.0/Floor.dll --naive bench/naive/naive-consumer.sh --root "$scratch" \
    --json "bench/results/exp/$name.json" --md "bench/results/exp/$name.md" "$@" 2>&1 | grep -v '^$' | grep '^\[bench\]\|^|'
mkdir -p "bench/results/exp/$name-logs"; cp "$scratch"/logs/*.log "bench/results/exp/$name-logs/" 2>/dev/null || true
rm -rf "$scratch"
