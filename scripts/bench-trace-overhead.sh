#!/usr/bin/env bash
# Trace overhead (issue 10): a write-heavy script (200,000 print-sized writes) and an import-heavy one (≈ 60 stdlib
# packages), each run traced exactly as the sealed supervisor runs it (strace -f --seccomp-bpf -y behind the code's
# own seccomp filter, default filter; under gVisor strace without --seccomp-bpf) and untraced (same image, container
# spec, uid and limits; python started by the same setpriv line), in the same run, RUNS times each (median). Two
# figures per case: the code's own wall time (measured by the script, from its first line to its last) and the
# task's (container start → "results ready", polled every 50 ms).
# Run: scripts/bench.sh --trace-overhead  (or this script directly). Env: IMAGE, RUNS (default 5), RUNTIME (e.g.
# runsc; default the engine's).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=${IMAGE:-dataexchange-tasker-runner:sealed-dev}
runs=${RUNS:-5}
runtime_args=()
[[ -n "${RUNTIME:-}" ]] && runtime_args=(-r "$RUNTIME")
w=$(mktemp -d /var/tmp/trace-overhead.XXXXXX)
chmod 0755 "$w"
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/write" "$w/import" "$w/data"
echo x >"$w/data/d.txt"
cat >"$w/write/run.py" <<'PY'
import sys, time
t = time.perf_counter()
out = sys.stdout  # unbuffered (PYTHONUNBUFFERED=1 in the image): one write(2) per line
for i in range(200000):
    out.write(f"line {i} of the write-heavy benchmark\n")
sys.stderr.write("code_seconds=%.3f\n" % (time.perf_counter() - t))
PY
cat >"$w/import/run.py" <<'PY'
import importlib, sys, time
t = time.perf_counter()
for m in """asyncio email.mime.multipart email.parser http.client http.server urllib.request xml.dom.minidom
xml.etree.ElementTree json decimal fractions statistics unittest unittest.mock logging.handlers argparse csv
sqlite3 zipfile tarfile gzip bz2 lzma shutil tempfile pathlib glob fnmatch difflib textwrap string re
datetime calendar zoneinfo uuid hashlib hmac secrets random bisect heapq collections dataclasses enum typing
inspect ast dis tokenize pickle copy pprint concurrent.futures multiprocessing subprocess socket ssl selectors
ipaddress base64 binascii struct codecs locale gettext configparser tomllib""".split():
    importlib.import_module(m)
sys.stderr.write("code_seconds=%.3f\n" % (time.perf_counter() - t))
PY
chmod -R a+rX "$w"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
run_once() { # case mode index -> "code task"
    local case=$1 mode=$2 r="$w/r-$1-$2-$3"
    if [[ $mode == traced ]]; then "$here/sealed-run.sh" -i "$image" "${runtime_args[@]}" "$w/$case" "$w/data/d.txt" "$r" >/dev/null
    else "$here/sealed-run.sh" -i "$image" "${runtime_args[@]}" -f untraced "$w/$case" "$w/data/d.txt" "$r" >/dev/null; fi
    grep -q '^status=0$' "$r/manifest" || { echo "run $case/$mode failed" >&2; cat "$r/stderr.txt" >&2; exit 1; }
    echo "$(sed -n 's/^code_seconds=//p' "$r/stderr.txt") $(cat "$r/timing")"
}
measure() { # case -> "code_untraced task_untraced code_traced task_traced" (medians)
    # Interleaved, so that a change in the machine's load during the run weighs on both modes alike.
    local case=$1 i cu=() tu=() ct=() tt=() a b
    for ((i = 0; i < runs; i++)); do
        read -r a b < <(run_once "$case" untraced "$i"); cu+=("$a"); tu+=("$b")
        read -r a b < <(run_once "$case" traced "$i"); ct+=("$a"); tt+=("$b")
    done
    echo "$(printf '%s\n' "${cu[@]}" | median) $(printf '%s\n' "${tu[@]}" | median) $(printf '%s\n' "${ct[@]}" | median) $(printf '%s\n' "${tt[@]}" | median)"
}

echo "## Trace overhead ($image, runtime ${RUNTIME:-default}, $runs runs each, interleaved, medians; load average at start: $(cut -d ' ' -f 1 /proc/loadavg) on $(nproc) CPUs; traced = the supervisor's strace, default filter)"
echo
echo "| script | code untraced | code traced | ratio | task untraced | task traced | ratio |"
echo "|---|---|---|---|---|---|---|"
for case in write import; do
    read -r cu tu ct tt < <(measure "$case")
    label=$([[ $case == write ]] && echo "write-heavy (200,000 prints)" || echo "import-heavy (≈ 70 stdlib modules)")
    awk -v l="$label" -v cu="$cu" -v ct="$ct" -v tu="$tu" -v tt="$tt" \
        'BEGIN { printf "| %s | %.2f s | %.2f s | %.2f× | %.2f s | %.2f s | %.2f× |\n", l, cu, ct, ct / cu, tu, tt, tt / tu }'
done
