#!/usr/bin/env bash
# Start a private RabbitMQ node (for the demo / manual tests) in a temp dir, unless something
# already answers on the AMQP port.
#
# Usage: scripts/start-broker.sh [--port N] [--timeout SECONDS]
#   --port N        AMQP port on 127.0.0.1 (default: $BROKER_PORT or 5672)
#   --timeout S     how long to wait for the node to boot (default 60)
#
# Progress goes to stderr. On stdout it prints shell-evaluable lines:
#   BROKER_PORT=5672
#   BROKER_URL=amqp://guest:guest@127.0.0.1:5672   (default vhost "/"; no trailing slash:
#                                                  amqp-tools would read it as vhost "")
#   BROKER_DIR=/tmp/tasker-broker.XXXXXX      (empty when an existing broker was found)
#   BROKER_NODE=tasker-demo-5672@localhost    (empty when an existing broker was found)
#   BROKER_PID=12345                          (the Erlang VM; empty when an existing broker was found)
# so `eval "$(scripts/start-broker.sh)"` works. Stop it with: scripts/stop-broker.sh "$BROKER_DIR"
# The node's logs are in $BROKER_DIR/log, its settings in $BROKER_DIR/rabbitmq.conf.
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="start-broker"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }

port=${BROKER_PORT:-5672}
timeout=60
while (($#)); do
    case $1 in
        --port) port=${2:?--port needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done
[[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"

RMQ_BIN=/usr/lib/rabbitmq/bin
[[ -x $RMQ_BIN/rabbitmq-server ]] || die "RabbitMQ not installed ($RMQ_BIN/rabbitmq-server missing): run scripts/setup.sh"

print_result() {
    printf 'BROKER_PORT=%s\nBROKER_URL=amqp://guest:guest@127.0.0.1:%s\nBROKER_DIR=%s\nBROKER_NODE=%s\nBROKER_PID=%s\n' \
        "$port" "$port" "${1:-}" "${2:-}" "${3:-}"
}

if port_in_use "$port"; then
    log "something already answers on 127.0.0.1:$port; not starting a node"
    print_result
    exit 0
fi

node="tasker-demo-$port@localhost"
dist_port=$(free_port) || die "no free port for Erlang distribution"
dir=$(mktemp -d /tmp/tasker-broker.XXXXXX)
chmod 0700 "$dir"
mkdir -p "$dir/mnesia" "$dir/log"

# Private Erlang cookie: rabbitmqctl must run with the same HOME to talk to the node.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' >"$dir/.erlang.cookie"
chmod 0400 "$dir/.erlang.cookie"

{
    echo "listeners.tcp.1 = 127.0.0.1:$port"
    # Also listen on ::1 when the loopback has IPv6 (clients resolving "localhost" may try it first).
    if grep -qE '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
        echo "listeners.tcp.2 = ::1:$port"
    fi
    echo "consumer_timeout = 7200000"
    echo "log.console = false"
    echo "log.file.level = info"
} >"$dir/rabbitmq.conf"
echo '[].' >"$dir/enabled_plugins"
: >"$dir/rabbitmq-env.conf"

cat >"$dir/broker.env" <<EOF
BROKER_NODE='$node'
BROKER_PORT='$port'
BROKER_DIST_PORT='$dist_port'
EOF

rmq_env=(
    HOME="$dir"
    RABBITMQ_NODENAME="$node"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$port"
    RABBITMQ_DIST_PORT="$dist_port"
    RABBITMQ_MNESIA_BASE="$dir/mnesia"
    RABBITMQ_LOG_BASE="$dir/log"
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
    # Erlang distribution (used by rabbitmqctl) on loopback only.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
)

# epmd (Erlang port mapper) must run for the node to register and for rabbitmqctl to find it.
epmd -names >/dev/null 2>&1 || epmd -daemon

log "starting $node on 127.0.0.1:$port (dir $dir)"
setsid env "${rmq_env[@]}" "$RMQ_BIN/rabbitmq-server" >"$dir/log/startup.log" 2>&1 </dev/null &
wrapper_pid=$!
echo "BROKER_WRAPPER_PID='$wrapper_pid'" >>"$dir/broker.env"

rmqctl() { env HOME="$dir" "$RMQ_BIN/rabbitmqctl" -n "$node" "$@"; }

deadline=$((SECONDS + timeout))
until rmqctl await_startup --timeout 10 >/dev/null 2>&1; do
    if ! kill -0 "$wrapper_pid" 2>/dev/null; then
        tail -n 30 "$dir/log/startup.log" >&2 || true
        die "rabbitmq-server exited during startup (logs in $dir/log)"
    fi
    if ((SECONDS >= deadline)); then
        tail -n 30 "$dir/log/startup.log" >&2 || true
        die "node $node did not finish booting within ${timeout}s (logs in $dir/log; stop with scripts/stop-broker.sh $dir)"
    fi
    sleep 0.5
done
wait_for 10 "AMQP port $port" port_in_use "$port" || die "node booted but port $port does not answer"

beam_pid=$(cat "$dir/rabbitmq.pid" 2>/dev/null || true)
echo "BROKER_PID='$beam_pid'" >>"$dir/broker.env"
log "node $node is up: amqp://guest:guest@127.0.0.1:$port (pid $beam_pid, dir $dir)"
log "stop it with: scripts/stop-broker.sh $dir"
print_result "$dir" "$node" "$beam_pid"
