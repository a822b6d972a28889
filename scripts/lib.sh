# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it: . "$(dirname "$0")/lib.sh"

# Repo root (absolute), whatever the caller's cwd.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REPO_ROOT

: "${LOG_TAG:=$(basename "$0" .sh)}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$LOG_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

# wait_for SECONDS DESCRIPTION CMD... : retry CMD every 0.5 s until it succeeds or the deadline passes.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    while ! "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            warn "timed out after ${seconds}s waiting for $what"
            return 1
        fi
        sleep 0.5
    done
}

# Docker: the socket the tasker and these scripts talk to. DOCKER_HOST=unix://... or DOCKER_SOCK
# selects another daemon (e.g. a throwaway one started with DOCKERD_FLAGS, see ensure_dockerd).
if [[ -z "${DOCKER_SOCK:-}" && "${DOCKER_HOST:-}" == unix://* ]]; then
    DOCKER_SOCK=${DOCKER_HOST#unix://}
fi
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
export DOCKER_SOCK
[[ -n "${DOCKER_HOST:-}" ]] || [[ "$DOCKER_SOCK" == /var/run/docker.sock ]] || export DOCKER_HOST="unix://$DOCKER_SOCK"

# Prefer Debian's docker.io CLI (20.10, matches the daemon); a newer CLI elsewhere on PATH
# works too as long as it is pinned to the daemon's API version.
if [[ -z "${DOCKER:-}" ]]; then
    if [[ -x /usr/bin/docker ]]; then
        DOCKER=/usr/bin/docker
    else
        DOCKER=docker
        export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
    fi
fi
export DOCKER
docker_cli() { "$DOCKER" "$@"; }

# True when dockerd answers GET /_ping with OK on $DOCKER_SOCK.
docker_ping() {
    [[ -S "$DOCKER_SOCK" ]] || return 1
    [[ "$(curl -sf --max-time 3 --unix-socket "$DOCKER_SOCK" http://localhost/_ping 2>/dev/null)" == "OK" ]]
}

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_PIDFILE=${DOCKERD_PIDFILE:-/var/run/docker.pid}
# Extra dockerd flags (word-split). None are needed on this VM (overlay2, iptables and the
# default bridge all work). For a second, throwaway daemon (own DOCKER_SOCK, --data-root,
# --exec-root, DOCKERD_PIDFILE) do NOT pass --bridge=none: dockerd then deletes the host's
# docker0 link, breaking the main daemon's bridge network (repair: restart the main dockerd).
DOCKERD_FLAGS=${DOCKERD_FLAGS:-}

# Start dockerd in the background (no systemd here) unless it already answers; wait up to $1 s.
ensure_dockerd() {
    local timeout=${1:-60}
    if docker_ping; then
        return 0
    fi
    command -v dockerd >/dev/null || die "dockerd not installed (apt-get install docker.io)"
    if [[ -f "$DOCKERD_PIDFILE" ]] && kill -0 "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null; then
        log "dockerd (pid $(cat "$DOCKERD_PIDFILE")) is running but not answering yet; waiting"
    else
        log "starting dockerd (log: $DOCKERD_LOG)"
        local flags=()
        read -r -a flags <<<"$DOCKERD_FLAGS"
        [[ "$DOCKER_SOCK" == /var/run/docker.sock ]] || flags+=(-H "unix://$DOCKER_SOCK")
        # setsid: own session, so it outlives the calling job and its process group.
        setsid nohup dockerd --pidfile "$DOCKERD_PIDFILE" "${flags[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null &
    fi
    if ! wait_for "$timeout" "dockerd to answer on $DOCKER_SOCK" docker_ping; then
        tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
        die "dockerd did not answer /_ping on $DOCKER_SOCK within ${timeout}s (see $DOCKERD_LOG)"
    fi
}

# A free TCP port on 127.0.0.1 (asks the kernel via bash's /dev/tcp on candidates).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 30000))
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# The main Debian archive this machine's apt uses: the URI of the first enabled `deb` entry (one-line *.list or
# deb822 *.sources, sources.list first, then sources.list.d in name order) with a Debian release as its suite
# (bookworm, stable, ... not bookworm-security/-updates, not a third-party suite). Empty output when none is found.
# $1: a root to read etc/apt under instead of / (for tests).
apt_debian_mirror() {
    local root=${1:-} files=() f
    [[ -f $root/etc/apt/sources.list ]] && files+=("$root/etc/apt/sources.list")
    # Both kinds of sources.list.d file in one name order, as apt reads them.
    while IFS= read -r f; do
        [[ -f $f ]] && files+=("$f")
    done < <(printf '%s\n' "$root"/etc/apt/sources.list.d/*.list "$root"/etc/apt/sources.list.d/*.sources | LC_ALL=C sort)
    ((${#files[@]})) || return 0
    awk '
        function release(s) { return s ~ /^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing|unstable)$/ }
        function emit(uri) { sub(/\/+$/, "", uri); print uri; found = 1; exit }
        function stanza_end() {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^(no|false)$/ && uris != "") {
                n = split(suites, s, /[ \t]+/); m = split(uris, u, /[ \t]+/)
                for (i = 1; i <= n; i++) if (release(s[i])) for (j = 1; j <= m; j++) if (u[j] ~ /^https?:\/\//) emit(u[j])
            }
            types = uris = suites = enabled = ""
        }
        FNR == 1 { if (deb822) stanza_end(); deb822 = FILENAME ~ /\.sources$/ }
        deb822 {
            if ($0 ~ /^[ \t]*$/) { stanza_end(); next }
            if ($0 ~ /^#/) next
            key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
            if (key == "types") types = val; else if (key == "uris") uris = val
            else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
            next
        }
        {
            sub(/#.*/, "")
            if ($1 != "deb") next
            i = 2
            if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if ($i ~ /^https?:\/\// && release($(i + 1))) emit($i)
        }
        END { if (!found && deb822) stanza_end() }
    ' "${files[@]}"
}

# dotnet_build_start TARGET: `dotnet build TARGET -c Release` as a background job (output in a temp log), so it overlaps
# the caller's other steps; dotnet_build_wait waits for it and dies with its log when it failed; dotnet_build_stop ends
# one not waited for (from a trap after a failed step). DOTNET_BUILD_PID: the job, empty when none runs.
DOTNET_BUILD_PID=""
# Properties every build and publish of these scripts passes. AOT_ANALYZERS_IN_BUILD=false (scripts/test.sh) turns the
# trim and AOT analyzers off in the build (src/Directory.Build.props, AotAnalyzersInBuild); the build and the publish
# must agree, or the publish compiles the three libraries again.
DOTNET_PROPERTIES=()
[[ ${AOT_ANALYZERS_IN_BUILD:-true} != false ]] || DOTNET_PROPERTIES+=(-p:AotAnalyzersInBuild=false)
dotnet_build_start() {
    command -v dotnet >/dev/null || die "dotnet SDK not found on PATH"
    DOTNET_BUILD_TARGET=$1
    DOTNET_BUILD_LOG=$(mktemp /tmp/tasker-dotnet-build.XXXXXX.log)
    DOTNET_BUILD_T0=$SECONDS
    log "dotnet build: $1 -c Release (in the background, log: $DOTNET_BUILD_LOG)"
    dotnet build "$1" -c Release "${DOTNET_PROPERTIES[@]}" --nologo -v quiet -tl:off -clp:NoSummary >"$DOTNET_BUILD_LOG" 2>&1 &
    DOTNET_BUILD_PID=$!
}
dotnet_build_wait() {
    [[ -n $DOTNET_BUILD_PID ]] || return 0
    local status=0
    wait "$DOTNET_BUILD_PID" || status=$?
    DOTNET_BUILD_PID=""
    if ((status != 0)); then
        cat "$DOTNET_BUILD_LOG" >&2
        die "dotnet build of $DOTNET_BUILD_TARGET failed (log above, also in $DOTNET_BUILD_LOG)"
    fi
    rm -f "$DOTNET_BUILD_LOG"
    log "dotnet build: ok ($DOTNET_BUILD_TARGET, $((SECONDS - DOTNET_BUILD_T0))s)"
}
dotnet_build_stop() {
    [[ -z $DOTNET_BUILD_PID ]] || kill -TERM "$DOTNET_BUILD_PID" 2>/dev/null || true
    DOTNET_BUILD_PID=""
}

# The runner image scripts/demo.sh runs its task on: the minimal variant (Python's standard library, all the demo's
# code needs), which `scripts/setup.sh --demo` builds in about half the time of the scientific one.
DEMO_RUNNER_IMAGE=${DEMO_RUNNER_IMAGE:-dataexchange-tasker-runner:minimal}

# For the demos: the tasker binary setup.sh built.
demo_tasker_binary() {
    local binary=$REPO_ROOT/src/DataExchangeTasker/bin/Release/net10.0/tasker
    [[ -x $binary ]] || die "$binary missing: scripts/setup.sh should have built it"
    printf '%s\n' "$binary"
}

# For the demos: a broker on TASKER_AMQP_URI's port (default 5672), started as a container when nothing answers
# there (demo_broker_down stops only that one). Exports TASKER_AMQP_URI.
demo_broker_container=""
demo_broker_up() {
    local uri=${TASKER_AMQP_URI:-amqp://guest:guest@localhost:5672/} port
    port=$(sed -E 's#^amqps?://([^@]*@)?[^:/]+:?([0-9]*).*#\2#' <<<"$uri")
    port=${port:-5672}
    if port_in_use "$port"; then
        log "broker: using the one answering on port $port"
    else
        log "broker: none on port $port, starting a broker container"
        local started
        started=$(scripts/start-broker.sh --port "$port") || die "the broker did not start (scripts/start-broker.sh, see its error above)"
        eval "$started"
        demo_broker_container=$BROKER_CONTAINER
        uri="amqp://guest:guest@127.0.0.1:$port/"
    fi
    export TASKER_AMQP_URI=$uri
}
demo_broker_down() {
    if [[ -n $demo_broker_container ]]; then
        log "stopping the demo broker"
        scripts/stop-broker.sh "$demo_broker_container" >/dev/null 2>&1 || true
    fi
}

# --- the shipped tasker's publish: its inputs' hash (scripts/publish-tasker.sh, scripts/build-tasker-image.sh) ---
# The image label naming the inputs its binary was compiled from, and the file beside a publish's output naming them.
PUBLISH_HASH_LABEL=dataexchange.tasker.publish-hash
PUBLISH_HASH_FILE=publish-hash
# The image label naming that hash together with the Dockerfile's (scripts/build-tasker-image.sh: nothing to rebuild).
IMAGE_HASH_LABEL=dataexchange.tasker.image-hash
# tasker_publish_hash: the content hash of what the NativeAOT publish reads: every file of src/ but build outputs, the
# repository's build files, the api's embedded OpenAPI document, the publish script, and the SDK and native linker.
# A file left out here would let a changed binary be taken for the old one, so the list errs on the wide side (a
# stray editor file under src/ only costs a compile).
tasker_publish_hash() {
    (
        cd "$REPO_ROOT"
        {
            find src -type f ! -path '*/bin/*' ! -path '*/obj/*' -print0 |
                LC_ALL=C sort -z | xargs -0 sha256sum
            for f in Directory.Build.props Directory.Packages.props global.json NuGet.Config nuget.config .editorconfig \
                protocol/openapi.json scripts/publish-tasker.sh; do
                [[ ! -e $f ]] || sha256sum "$f"
            done
            printf 'dotnet %s\n' "$(dotnet --version)"
            printf 'linker %s\n' "$({ clang --version 2>/dev/null || gcc --version 2>/dev/null; } | head -n 1)"
        } | sha256sum | cut -d' ' -f1
    )
}

# image_label IMAGE LABEL: the label's value on IMAGE, or nothing when the image or the label is missing (or no engine).
image_label() {
    docker_cli image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}
