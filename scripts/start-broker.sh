#!/usr/bin/env bash
# Start a RabbitMQ broker for the demo, the bench or manual runs: a container of the broker image
# (broker-image/, built by scripts/setup.sh), published on 127.0.0.1:PORT, unless something already answers there.
# The integration tests run the same image through Testcontainers.
#
# Usage: scripts/start-broker.sh [--port N] [--timeout SECONDS]
#   --port N        AMQP port on 127.0.0.1 (default: $BROKER_PORT or 5672)
#   --timeout S     how long to wait for the broker to boot (default 60)
#
# Progress goes to stderr. On stdout it prints shell-evaluable lines:
#   BROKER_PORT=5672
#   BROKER_URL=amqp://guest:guest@127.0.0.1:5672   (default vhost "/"; no trailing slash:
#                                                  amqp-tools would read it as vhost "")
#   BROKER_CONTAINER=tasker-broker-5672           (empty when an existing broker was found)
# so `eval "$(scripts/start-broker.sh)"` works. Stop it with: scripts/stop-broker.sh "$BROKER_CONTAINER"
# Logs: docker logs "$BROKER_CONTAINER"; rabbitmqctl: docker exec "$BROKER_CONTAINER" rabbitmqctl ...
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="start-broker"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }

BROKER_IMAGE=${BROKER_IMAGE:-dataexchange-tasker-rabbitmq:local}
port=${BROKER_PORT:-5672}
timeout=60
while (($#)); do
    case $1 in
        --port) port=${2:?--port needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done
[[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"

print_result() {
    printf 'BROKER_PORT=%s\nBROKER_URL=amqp://guest:guest@127.0.0.1:%s\nBROKER_CONTAINER=%s\n' "$port" "$port" "${1:-}"
}

if port_in_use "$port"; then
    log "something already answers on 127.0.0.1:$port; not starting a broker"
    print_result
    exit 0
fi

docker_cli image inspect "$BROKER_IMAGE" >/dev/null 2>&1 || die "broker image $BROKER_IMAGE missing: run scripts/setup.sh"

name="tasker-broker-$port"
# A stopped leftover of an earlier run on this port (its port is free, checked above).
docker_cli rm -f "$name" >/dev/null 2>&1 || true
log "starting $name ($BROKER_IMAGE) on 127.0.0.1:$port"
docker_cli run -d --name "$name" --label dataexchange.tasker.broker=script \
    -p "127.0.0.1:$port:5672" "$BROKER_IMAGE" >/dev/null

started() { docker_cli logs "$name" 2>&1 | grep -q "Server startup complete"; }
running() { [[ "$(docker_cli inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" == true ]]; }
deadline=$((SECONDS + timeout))
until started; do
    if ! running; then
        docker_cli logs --tail 30 "$name" >&2 || true
        die "the broker container exited during start-up (docker logs $name)"
    fi
    if ((SECONDS >= deadline)); then
        docker_cli logs --tail 30 "$name" >&2 || true
        die "$name did not finish booting within ${timeout}s (stop it with scripts/stop-broker.sh $name)"
    fi
    sleep 0.5
done
wait_for 10 "AMQP port $port" port_in_use "$port" || die "broker booted but port $port does not answer"

log "broker is up: amqp://guest:guest@127.0.0.1:$port (container $name)"
log "stop it with: scripts/stop-broker.sh $name"
print_result "$name"
