#!/usr/bin/env bash
# Prepare this machine for DataExchange Tasker: packages, dockerd, base + runner + broker images, build.
# Idempotent and fast when everything is already in place. Must run as root (Debian 12).
#
# Env:
#   SKIP_DOTNET_BUILD=1   skip `dotnet build` (same as --no-build)
#   DEBIAN_MIRROR         mirror for debootstrap (default: this machine's apt sources, else http://deb.debian.org/debian)
#   RUNNER_IMAGE          runner image tag (default dataexchange-tasker-runner:latest; the scientific variant)
#   RUNNER_R_IMAGE        R runner image tag (default dataexchange-tasker-runner-r:latest; runner-image/r/)
#   BROKER_IMAGE          broker image tag (default dataexchange-tasker-rabbitmq:local; tests and start-broker.sh use it)
#   BASE_IMAGE            base image tag   (default debian:bookworm-slim; must match the Dockerfile)
#   DOCKER_BUILD_NETWORK  network for `docker build` (default: bridge; "host" if the bridge has no egress)
#   DOCKERD_CONFIG        dockerd's config file, where runsc is registered (default /etc/docker/daemon.json)
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="setup"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

skip_dotnet=${SKIP_DOTNET_BUILD:-0}
for arg in "$@"; do
    case $arg in
        --no-build) skip_dotnet=1 ;;
        -h | --help)
            sed -n '2,13p' "$0"
            exit 0
            ;;
        *) die "unknown argument: $arg" ;;
    esac
done

RUNNER_IMAGE=${RUNNER_IMAGE:-dataexchange-tasker-runner:latest}
RUNNER_R_IMAGE=${RUNNER_R_IMAGE:-dataexchange-tasker-runner-r:latest}
BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
BROKER_IMAGE=${BROKER_IMAGE:-dataexchange-tasker-rabbitmq:local}
start=$SECONDS
cleanup_dirs=()
cleanup() { ((${#cleanup_dirs[@]})) && rm -rf "${cleanup_dirs[@]}"; return 0; }
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || die "run as root"

# --- (a) Debian packages ---------------------------------------------------------------------
missing=()
# No rabbitmq-server: every broker (tests, demo, bench) runs from the broker image. amqp-tools stays for the
# bench's naive consumer.
for cmd in dockerd debootstrap amqp-publish curl; do
    command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd ]] || missing+=("$cmd")
done
[[ -x /usr/bin/docker ]] || command -v docker >/dev/null 2>&1 || missing+=(docker)
if ((${#missing[@]})); then
    log "packages: missing ${missing[*]}; installing docker.io debootstrap amqp-tools curl"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || warn "apt-get update reported errors; trying the install anyway"
    # Recommends are skipped; the two that matter are named: debian-archive-keyring (debootstrap
    # checks the Release signature with it) and cgroupfs-mount (in case no cgroups are mounted).
    apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        docker.io debootstrap debian-archive-keyring amqp-tools curl cgroupfs-mount >/dev/null
    # docker.io pulls in containerd/runc/iptables; the CLI is /usr/bin/docker.
    [[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
    for cmd in dockerd debootstrap amqp-publish curl; do
        command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd ]] || die "still missing after install: $cmd"
    done
    log "packages: installed"
else
    log "packages: ok"
fi

# tasker api: its integration tests start a private PostgreSQL cluster (initdb/pg_ctl of Debian's postgresql) and
# check the status page in headless chromium.
if [[ ! -x /usr/lib/postgresql/15/bin/initdb ]] || ! command -v chromium >/dev/null 2>&1; then
    log "packages: installing postgresql chromium (tasker api tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || warn "apt-get update reported errors; trying the install anyway"
    apt-get install -y -qq --no-install-recommends postgresql chromium >/dev/null
    # The Debian package starts a system cluster; the tests use their own and need nothing running.
    [[ -x /usr/lib/postgresql/15/bin/initdb ]] || die "still missing after install: postgresql 15"
    command -v chromium >/dev/null 2>&1 || die "still missing after install: chromium"
fi

# The integration tests reproduce the Scala tasker's Django publisher and listener with Debian's pika, run by
# /usr/bin/python3 (not a python3 that happens to come first on PATH).
if /usr/bin/python3 -c 'import pika' >/dev/null 2>&1; then
    log "python3-pika: ok"
else
    log "python3-pika: missing; installing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends python3-pika >/dev/null \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pika >/dev/null; } \
        || die "could not install python3-pika"
    log "python3-pika: installed"
fi

# --- (b) dockerd -----------------------------------------------------------------------------
if docker_ping; then
    log "dockerd: ok"
else
    # dockerd needs cgroups; this VM mounts cgroup v1 at boot, run cgroupfs-mount if nothing is.
    if ! grep -qE '^\S+ /sys/fs/cgroup(/\S+)? (cgroup|cgroup2) ' /proc/mounts && command -v cgroupfs-mount >/dev/null; then
        log "dockerd: no cgroups mounted; running cgroupfs-mount"
        cgroupfs-mount || warn "cgroupfs-mount failed"
    fi
    ensure_dockerd 60
    log "dockerd: started"
fi

# --- (b2) gVisor ------------------------------------------------------------------------------
# Debian's runsc, registered with dockerd as the runtime "runsc" (TASKER_RUNTIME=runsc; scripts/test.sh runs the
# sandbox tests under it too). dockerd re-reads its config's "runtimes" on SIGHUP: no restart, running containers
# are untouched. --network=none: this runsc cannot set up its own network stack on this kernel ("cannot run with
# network enabled in root network namespace"), and task containers have no network anyway.
DOCKERD_CONFIG=${DOCKERD_CONFIG:-/etc/docker/daemon.json}
if ! command -v runsc >/dev/null 2>&1; then
    log "runsc: missing; installing Debian's runsc"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends runsc >/dev/null \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends runsc >/dev/null; } \
        || die "could not install runsc"
fi
runtime_listed() { docker_cli info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null | grep -qw runsc; }
if runtime_listed; then
    log "runsc: ok (registered with dockerd)"
else
    mkdir -p "$(dirname "$DOCKERD_CONFIG")"
    # Merge, keeping whatever else the config holds.
    /usr/bin/python3 - "$DOCKERD_CONFIG" "$(command -v runsc)" <<'PY' || die "could not add runsc to $DOCKERD_CONFIG"
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
config = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) > 0 else {}
config.setdefault("runtimes", {})["runsc"] = {"path": runsc, "runtimeArgs": ["--network=none"]}
with open(path + ".tmp", "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
PY
    [[ -f "$DOCKERD_PIDFILE" ]] && kill -HUP "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null \
        || die "runsc: cannot signal dockerd (no pid in $DOCKERD_PIDFILE); restart it to load $DOCKERD_CONFIG"
    wait_for 30 "dockerd to list the runsc runtime" runtime_listed || die "dockerd did not pick up runsc from $DOCKERD_CONFIG"
    log "runsc: registered with dockerd ($DOCKERD_CONFIG)"
fi

# --- (c) base image --------------------------------------------------------------------------
make_base_image() {
    # The mirror this machine's apt already uses (it is known to answer here), unless DEBIAN_MIRROR says otherwise.
    if [[ -z "${DEBIAN_MIRROR:-}" ]]; then
        DEBIAN_MIRROR=$(apt_debian_mirror)
        [[ -n "$DEBIAN_MIRROR" ]] || { DEBIAN_MIRROR=http://deb.debian.org/debian; warn "no Debian archive in the apt sources; using $DEBIAN_MIRROR"; }
    fi
    local tmp
    tmp=$(mktemp -d /tmp/tasker-debootstrap.XXXXXX)
    cleanup_dirs+=("$tmp")
    local root=$tmp/rootfs t0=$SECONDS
    log "base image: debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR (about 1-2 min)"
    if ! debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$tmp/debootstrap.log" 2>&1; then
        tail -n 30 "$tmp/debootstrap.log" >&2
        die "debootstrap failed"
    fi
    # Make it look like the official slim image: full bookworm sources, no docs/man/locales.
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${DEBIAN_MIRROR}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_MIRROR%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
    printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
    find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
    rm -rf "$root"/usr/share/{man,info,groff,linda,lintian,locale}/* \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/* "${root:?}"/dev/*
    tar -C "$root" --numeric-owner -c . |
        docker_cli import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' \
            - "$BASE_IMAGE" >/dev/null
    rm -rf "$tmp"
    log "base image: imported $BASE_IMAGE ($((SECONDS - t0))s)"
}

if docker_cli image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image: ok ($BASE_IMAGE)"
elif timeout 30 "$DOCKER" pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image: pulled $BASE_IMAGE"
else
    make_base_image
fi

# --- (d) runner and broker images -----------------------------------------------------------
# build_image_if_changed WHAT TAG DIR DOCKERFILE FIND_ARGS...: build DIR (the context) with DOCKERFILE as TAG unless
# TAG already carries, as a label, the content hash of the files `find FIND_ARGS` lists inside DIR (the inputs).
build_image_if_changed() {
    local what=$1 tag=$2 dir=$3 dockerfile=$4 label="dataexchange.tasker.$1-hash" hash current t0 build_log net_args=()
    shift 4
    hash=$(cd "$dir" && find "$@" -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
    current=$(docker_cli image inspect -f "{{ index .Config.Labels \"$label\" }}" "$tag" 2>/dev/null || true)
    if [[ "$current" == "$hash" ]]; then
        log "$what image: ok ($tag, ${hash:0:12})"
        return 0
    fi
    if [[ -z "$current" ]]; then
        log "$what image: building $tag"
    else
        log "$what image: $dir/ changed; rebuilding $tag"
    fi
    t0=$SECONDS
    build_log=$(mktemp "/tmp/tasker-$what-build.XXXXXX.log")
    [[ -n "${DOCKER_BUILD_NETWORK:-}" ]] && net_args=(--network "$DOCKER_BUILD_NETWORK")
    if ! docker_cli build "${net_args[@]}" --label "$label=$hash" -f "$dockerfile" -t "$tag" "$dir" >"$build_log" 2>&1; then
        tail -n 40 "$build_log" >&2
        die "docker build of $tag failed (full log: $build_log)"
    fi
    rm -f "$build_log"
    # Drop the dangling previous build, if any (ignore failures: it may still be in use).
    docker_cli image prune -f --filter "label=$label" >/dev/null 2>&1 || true
    log "$what image: built ($tag, ${hash:0:12}, $((SECONDS - t0))s)"
}

# The R image is built from runner-image/ too, so both copy the one supervise.sh and build the one code-filter/;
# each image's hash covers only its own inputs (runner-image/r/ changes rebuild only the R image, supervise.sh and
# code-filter/ changes rebuild both).
build_image_if_changed runner "$RUNNER_IMAGE" runner-image runner-image/Dockerfile . -type f ! -path './r/*'
build_image_if_changed runner-r "$RUNNER_R_IMAGE" runner-image runner-image/r/Dockerfile r code-filter supervise.sh -type f
build_image_if_changed broker "$BROKER_IMAGE" broker-image broker-image/Dockerfile . -type f

# --- (e) .NET build --------------------------------------------------------------------------
if [[ "$skip_dotnet" == 1 ]]; then
    log "dotnet build: skipped"
else
    command -v dotnet >/dev/null || die "dotnet SDK not found on PATH"
    log "dotnet build: DataExchangeTasker.sln -c Release"
    t0=$SECONDS
    dotnet build DataExchangeTasker.sln -c Release --nologo -v quiet -tl:off -clp:NoSummary
    log "dotnet build: ok ($((SECONDS - t0))s)"
fi

log "done in $((SECONDS - start))s"
