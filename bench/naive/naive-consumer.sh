#!/usr/bin/env bash
# The naive consumer a user might write instead of the tasker: Debian's amqp-tools and the docker CLI.
# C × `amqp-consume -p 1` (each runs handle-one.sh per message, body on stdin, acks when it exits);
# handle-one.sh parses the start message with python3, checks the paths, runs `docker run --rm` with the
# tasker's mounts and limits, reads the three output files and publishes a done message with amqp-publish.
#
# Usage: bench/naive/naive-consumer.sh URL TODO_QUEUE DONE_QUEUE CODE_ROOT DATA_ROOT WORK_ROOT [CONCURRENCY]
#   URL without a trailing slash (amqp-tools would read the vhost as ""). Runs until SIGTERM.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -ge 6 ]] || { sed -n '2,9p' "$0" >&2; exit 64; }
export NAIVE_URL=$1 NAIVE_TODO=$2 NAIVE_DONE=$3 NAIVE_CODE_ROOT=$4 NAIVE_DATA_ROOT=$5 NAIVE_WORK_ROOT=$6
concurrency=${7:-1}
mkdir -p "$NAIVE_WORK_ROOT"
amqp-declare-queue -u "$NAIVE_URL" -d -q "$NAIVE_TODO" >/dev/null
amqp-declare-queue -u "$NAIVE_URL" -d -q "$NAIVE_DONE" >/dev/null
pids=()
stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait || true; exit 0; }
trap stop TERM INT
for _ in $(seq "$concurrency"); do
    amqp-consume -u "$NAIVE_URL" -q "$NAIVE_TODO" -p 1 "$here/handle-one.sh" &
    pids+=($!)
done
wait
