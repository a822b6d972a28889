#!/bin/sh
# sealed-run.sh [options] <code folder or .py> <data file or folder> <result folder>
#
# Runs one task the way the sealed sandbox does (docs/sandbox-design.md), with the docker CLI only: the exact
# container spec, the supervisor protocol (wait for "results ready", SIGUSR1 at the timeout) and the collection
# through `docker exec` tar streams. Used to prototype the attacks and by `scripts/bench.sh --trace-overhead`;
# the tasker does the same through the Engine API.
#   -i IMAGE     runner image (default dataexchange-tasker-runner:sealed-dev)
#   -t SECONDS   timeout (default 60)
#   -f FILTER    strace filter (default %file,%network,%process); "untraced" runs python without strace
#   -k           keep the container (do not remove it)
#   -n NAME      container name (default sealed-<pid>)
#   -e K=V       extra env for the container (repeatable)
#   -r RUNTIME   OCI runtime (e.g. runsc; default: the engine's)
# Writes into <result folder>: manifest, stdout.txt, stderr.txt, strace.txt (from /run/tasker), out.tar (of /tmp/out),
# timing (seconds from start to "results ready").
set -eu

image=dataexchange-tasker-runner:sealed-dev
timeout=60
filter=%file,%network,%process
keep=0
name=sealed-$$
extra=
runtime=
while getopts i:t:f:kn:e:r: opt; do
    case $opt in
        i) image=$OPTARG ;;
        t) timeout=$OPTARG ;;
        f) filter=$OPTARG ;;
        k) keep=1 ;;
        n) name=$OPTARG ;;
        e) extra="$extra -e $OPTARG" ;;
        r) runtime="--runtime=$OPTARG" ;;
        *) exit 64 ;;
    esac
done
shift $((OPTIND - 1))
[ "$#" -eq 3 ] || { echo "usage: sealed-run.sh [-i image] [-t s] [-f filter] [-k] [-n name] [-e K=V] <code> <data> <results>" >&2; exit 64; }
code=$(realpath "$1")
data=$(realpath "$2")
results=$3
mkdir -p "$results"

if [ -d "$code" ]; then
    code_mount=/tmp/code/$(basename "$code")
    entry=$code_mount/run.py
else
    code_mount=/tmp/code/$(basename "$code")
    entry=$code_mount
fi
data_mount=/tmp/data/$(basename "$data")
dev_ino=$(stat -c '%d %i' "$data")
stamp=$(find "$data" -maxdepth 0 -printf '%y %s %T@ %C@' | sed -E 's/\.([0-9]{9})[0-9]*/.\1/g')
# The tasker's own seccomp profile (src/DataExchangeTasker.Worker/Sandbox/Spec/SeccompProfile.json), as it sends it.
profile=$(cd "$(dirname "$0")/.." && pwd)/src/DataExchangeTasker.Worker/Sandbox/Spec/SeccompProfile.json
# The tasker's process limit (GvisorLimits): under gVisor RLIMIT_NPROC for the code, and a pids cgroup with room for
# gVisor's own host tasks.
pids="--pids-limit 128"
case $runtime in --runtime=runsc*) pids="--pids-limit $((256 + 48 * 128)) --ulimit nproc=128:128" ;; esac

if [ "$filter" = untraced ]; then
    # Same container, same uid and limits, python run directly by the supervisor's own steps but without strace.
    entrypoint=/bin/sh
    set -- -c 'cd /tmp/out; setpriv --reuid=65534 --regid=65534 --clear-groups -- python "$0" "$1" </dev/null >/run/tasker/stdout.txt 2>/run/tasker/stderr.txt; s=$?; echo "version=1
status=$s" >/run/tasker/manifest; echo "tasker-supervisor: results ready"; exec sleep 600' "$entry" "$data_mount"
else
    entrypoint=/usr/local/bin/supervise.sh
    set -- "$entry" "$data_mount"
fi

# shellcheck disable=SC2086
docker create --name "$name" --label dataexchange-tasker.prototype=1 \
    --network none --read-only --user 0:0 \
    --cap-drop ALL --cap-add SYS_PTRACE --cap-add SETUID --cap-add SETGID --cap-add DAC_READ_SEARCH \
    --security-opt no-new-privileges --security-opt "seccomp=$profile" --ipc private $runtime \
    $pids --memory 512m --memory-swap 512m --cpus 1 \
    --ulimit fsize=268435456 --ulimit nofile=256:256 --ulimit core=0 \
    --tmpfs /tmp:rw,nosuid,nodev,noexec,size=64m,mode=1777 \
    --tmpfs /run/tasker:rw,nosuid,nodev,noexec,size=800m,mode=0700 \
    --tmpfs /tmp/out:rw,nosuid,nodev,noexec,size=512m,mode=0700,uid=65534,gid=65534 \
    --mount "type=bind,src=$code,dst=$code_mount,readonly,bind-propagation=rprivate" \
    --mount "type=bind,src=$data,dst=$data_mount,readonly,bind-propagation=rprivate" \
    --log-opt max-size=1m --log-opt max-file=1 \
    -e TASKER_CODE_USER=65534:65534 -e "STRACE_FILTER=$filter" -e HOME=/tmp \
    -e "TASKER_DATA_DEV=${dev_ino% *}" -e "TASKER_DATA_INO=${dev_ino#* }" -e "TASKER_DATA_STAMP=$stamp" \
    -e TASKER_COLLECT_SECONDS=600 $extra \
    --entrypoint "$entrypoint" "$image" "$@" >/dev/null

cleanup() { [ "$keep" -eq 1 ] || docker rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

start=$(date +%s.%N)
docker start "$name" >/dev/null
# The status line is the only thing on the container's stdout; `logs -f` replays it, so a tasker that restarted
# finds it too. The timeout is ours, whatever the code does.
ready=0
deadline=$(( $(date +%s) + timeout ))
while [ "$(date +%s)" -lt "$deadline" ]; do
    if docker logs "$name" 2>/dev/null | grep -q '^tasker-supervisor: results ready$'; then ready=1; break; fi
    sleep 0.05
done
end=$(date +%s.%N)
if [ "$ready" -eq 0 ]; then
    docker kill -s USR1 "$name" >/dev/null
    grace=$(( $(date +%s) + 30 ))
    while [ "$(date +%s)" -lt "$grace" ]; do
        docker logs "$name" 2>/dev/null | grep -q '^tasker-supervisor: results ready$' && { ready=1; break; }
        sleep 0.05
    done
fi
echo "$start $end" | awk '{ printf "%.3f\n", $2 - $1 }' >"$results/timing"
[ "$ready" -eq 1 ] || { echo "supervisor never reported results" >&2; exit 1; }

docker exec -u 0:0 "$name" tar -cf - -C /run/tasker manifest stdout.txt stderr.txt strace.txt 2>/dev/null | tar -xf - -C "$results" 2>/dev/null || true
docker exec -u 65534:65534 "$name" tar -cf - -C /tmp/out . >"$results/out.tar"
