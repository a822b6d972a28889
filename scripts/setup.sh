#!/usr/bin/env bash
# Prepare this machine for DataExchange Tasker: packages, dockerd, base + runner + broker images, build.
# Idempotent and fast when everything is already in place. Must run as root (Debian 12).
# The .NET build runs in the background from the start and the images build side by side; a failed step stops the
# script with a message naming it (non-zero exit).
#
# Usage: scripts/setup.sh [--demo] [--no-build]
#   --demo      only what scripts/demo.sh needs: docker.io, curl and debootstrap (for the base image when it is missing),
#               dockerd, the base image, the minimal runner image (RUNNER_VARIANT=minimal, tagged DEMO_RUNNER_IMAGE,
#               default dataexchange-tasker-runner:minimal), the broker image and the tasker project (no tests). Without it:
#               everything scripts/test.sh needs (also amqp-tools, postgresql, chromium, python3-pika, runsc, the
#               scientific runner image, the R image and the whole solution).
#   --no-build  skip the .NET build (same as SKIP_DOTNET_BUILD=1)
#
# Env:
#   SKIP_DOTNET_BUILD=1   skip `dotnet build` (same as --no-build)
#   DEBIAN_MIRROR         mirror for debootstrap (default: this machine's apt sources, else http://deb.debian.org/debian)
#   RUNNER_IMAGE          runner image tag (default dataexchange-tasker-runner:latest; not read with --demo)
#   RUNNER_VARIANT        scientific (default) or minimal: runner-image/Dockerfile's build arg (not read with --demo)
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
demo=0
for arg in "$@"; do
    case $arg in
        --no-build) skip_dotnet=1 ;;
        --demo) demo=1 ;;
        -h | --help)
            sed -n '2,24p' "$0"
            exit 0
            ;;
        *) die "unknown argument: $arg" ;;
    esac
done

if ((demo)); then
    # The image demo.sh runs on (lib.sh), whatever RUNNER_IMAGE/RUNNER_VARIANT say for the full setup.
    RUNNER_IMAGE=$DEMO_RUNNER_IMAGE
    RUNNER_VARIANT=minimal
fi
RUNNER_IMAGE=${RUNNER_IMAGE:-dataexchange-tasker-runner:latest}
RUNNER_VARIANT=${RUNNER_VARIANT:-scientific}
RUNNER_R_IMAGE=${RUNNER_R_IMAGE:-dataexchange-tasker-runner-r:latest}
BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
BROKER_IMAGE=${BROKER_IMAGE:-dataexchange-tasker-rabbitmq:local}
[[ $RUNNER_VARIANT == scientific || $RUNNER_VARIANT == minimal ]] || die "RUNNER_VARIANT must be scientific or minimal, not '$RUNNER_VARIANT'"
start=$SECONDS
cleanup_dirs=()
background=()
# waited PID: PID has been waited for; it is no longer ours to stop.
waited() {
    local p keep=()
    for p in "${background[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    background=("${keep[@]}")
}
cleanup() {
    local pid children
    # A step that failed leaves the jobs not yet waited for running: stop them, then their children (docker build), so
    # a job does not report its build as failed after the fact.
    for pid in "${background[@]}"; do
        children=$(pgrep -P "$pid" || true)
        kill -TERM "$pid" 2>/dev/null || true
        # shellcheck disable=SC2086 # a list of pids
        [[ -z $children ]] || kill -TERM $children 2>/dev/null || true
    done
    dotnet_build_stop
    ((${#cleanup_dirs[@]})) && rm -rf "${cleanup_dirs[@]}"
    return 0
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || die "run as root"

# --- (e) .NET build: started first, in the background; waited for at the end ---------------
# It needs neither packages nor Docker, so it overlaps everything below. The demo needs the tasker only, the tests the
# whole solution (both put the binary at src/DataExchangeTasker/bin/Release/net10.0/tasker). demo.sh runs the build
# itself (--no-build here) so that its broker boots before the build is waited for.
if [[ "$skip_dotnet" == 1 ]]; then
    log "dotnet build: skipped"
elif ((demo)); then
    dotnet_build_start src/DataExchangeTasker
else
    dotnet_build_start DataExchangeTasker.sln
fi

# --- (a) Debian packages ---------------------------------------------------------------------
# One apt-get update and one install for everything missing. No rabbitmq-server: every broker (tests, demo, bench)
# runs from the broker image.
packages=()
need() { packages+=("$@"); }
has() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]]; }
# Recommends are skipped; the two that matter are named: debian-archive-keyring (debootstrap checks the Release
# signature with it) and cgroupfs-mount (in case no cgroups are mounted). docker.io pulls in containerd/runc/iptables;
# its CLI is /usr/bin/docker.
{ has dockerd && { [[ -x /usr/bin/docker ]] || has docker; }; } || need docker.io cgroupfs-mount
has curl || need curl
has debootstrap || need debootstrap debian-archive-keyring
if ((!demo)); then
    # amqp-tools: the bench's naive consumer.
    has amqp-publish || need amqp-tools
    # tasker api: its integration tests start a private PostgreSQL cluster (initdb/pg_ctl of Debian's postgresql) and
    # check the status page in headless chromium.
    [[ -x /usr/lib/postgresql/15/bin/initdb ]] || need postgresql
    has chromium || need chromium
    # The integration tests reproduce the Scala tasker's Django publisher and listener with Debian's pika, run by
    # /usr/bin/python3 (not a python3 that happens to come first on PATH).
    /usr/bin/python3 -c 'import pika' >/dev/null 2>&1 || need python3-pika
    # gVisor, registered with dockerd in (b2).
    has runsc || need runsc
    # The shipped tasker is compiled ahead of time (scripts/publish-tasker.sh, run by the test command and the bench):
    # the native compiler links with clang (binutils' ld comes with it).
    has clang || need clang
fi
if ((${#packages[@]})); then
    log "packages: installing ${packages[*]}"
    t0=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || warn "apt-get update reported errors; trying the install anyway"
    apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${packages[@]}" >/dev/null \
        || die "apt-get install ${packages[*]} failed"
    [[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
    for cmd in dockerd curl debootstrap; do
        has "$cmd" || die "still missing after install: $cmd"
    done
    if ((!demo)); then
        for cmd in amqp-publish chromium runsc; do
            has "$cmd" || die "still missing after install: $cmd"
        done
        # The Debian package starts a system cluster; the tests use their own and need nothing running.
        [[ -x /usr/lib/postgresql/15/bin/initdb ]] || die "still missing after install: postgresql 15"
        /usr/bin/python3 -c 'import pika' >/dev/null 2>&1 || die "still missing after install: python3-pika"
    fi
    log "packages: installed ($((SECONDS - t0))s)"
else
    log "packages: ok"
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
# Not for the demo (it runs under the engine's default runtime).
DOCKERD_CONFIG=${DOCKERD_CONFIG:-/etc/docker/daemon.json}
runtime_listed() { docker_cli info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null | grep -qw runsc; }
if ((demo)); then
    :
elif runtime_listed; then
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

# --- (d) runner and broker images, side by side -----------------------------------------------
# build_image_if_changed WHAT TAG DIR DOCKERFILE BUILD_ARG FIND_ARGS...: build DIR (the context) with DOCKERFILE as TAG
# (with --build-arg BUILD_ARG unless it is empty) unless TAG already carries, as a label, the content hash of the files
# `find FIND_ARGS` lists inside DIR (the inputs), and of BUILD_ARG when there is one.
build_image_if_changed() {
    local what=$1 tag=$2 dir=$3 dockerfile=$4 build_arg=$5 label="dataexchange.tasker.$1-hash" hash current t0 build_log args=()
    shift 5
    hash=$(cd "$dir" && { find "$@" -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; [[ -z $build_arg ]] || printf 'build-arg %s\n' "$build_arg"; } | sha256sum | cut -d' ' -f1)
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
    [[ -n "${DOCKER_BUILD_NETWORK:-}" ]] && args+=(--network "$DOCKER_BUILD_NETWORK")
    [[ -n $build_arg ]] && args+=(--build-arg "$build_arg")
    if ! docker_cli build "${args[@]}" --label "$label=$hash" -f "$dockerfile" -t "$tag" "$dir" >"$build_log" 2>&1; then
        tail -n 40 "$build_log" >&2
        die "docker build of $tag failed (full log: $build_log)"
    fi
    rm -f "$build_log"
    # Drop the dangling previous build, if any (ignore failures: it may still be in use).
    docker_cli image prune -f --filter "label=$label" >/dev/null 2>&1 || true
    log "$what image: built ($tag, ${hash:0:12}, $((SECONDS - t0))s)"
}

# Each build is a background job (the engine runs them side by side; most of their time is apt downloading and
# unpacking in the build containers). The first one to fail stops the script, naming it; the trap stops the others.
declare -A image_job=()
build_in_background() {
    build_image_if_changed "$@" &
    background+=("$!")
    image_job[$!]=$1
}
# The scientific variant is the Dockerfile's default, built without a build arg (so its hash is that of its files).
runner_arg=""
[[ $RUNNER_VARIANT == scientific ]] || runner_arg="RUNNER_VARIANT=$RUNNER_VARIANT"
# The R image is built from runner-image/ too, so both copy the one supervise.sh and build the one code-filter/;
# each image's hash covers only its own inputs (runner-image/r/ changes rebuild only the R image, supervise.sh and
# code-filter/ changes rebuild both).
build_in_background runner "$RUNNER_IMAGE" runner-image runner-image/Dockerfile "$runner_arg" . -type f ! -path './r/*'
if ((!demo)); then
    build_in_background runner-r "$RUNNER_R_IMAGE" runner-image runner-image/r/Dockerfile "" r code-filter supervise.sh -type f
fi
build_in_background broker "$BROKER_IMAGE" broker-image broker-image/Dockerfile "" . -type f
while ((${#image_job[@]})); do
    job_status=0
    wait -n -p job "${!image_job[@]}" || job_status=$?
    waited "$job"
    ((job_status == 0)) || die "${image_job[$job]} image: build failed (its log is above)"
    unset "image_job[$job]"
done

# --- (e) .NET build: wait for it ------------------------------------------------------------
dotnet_build_wait

log "done in $((SECONDS - start))s"
