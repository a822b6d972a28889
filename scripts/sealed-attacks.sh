#!/bin/bash
# sealed-attacks.sh [image]: runs every attack of issue 10 against the sealed runner image with the docker CLI
# (scripts/sealed-run.sh) and prints one PASS/FAIL line per check. Needs root (another uid, unshare, overlay).
set -u
image=${1:-dataexchange-tasker-runner:sealed-dev}
here=$(cd "$(dirname "$0")" && pwd)
run="$here/sealed-run.sh -i $image"
w=$(mktemp -d /var/tmp/sealed-attacks.XXXXXX)
chmod 0755 "$w"
trap 'umount "$w/ovl/merged" 2>/dev/null; rm -rf "$w"' EXIT
fails=0
check() { if eval "$2"; then echo "PASS  $1"; else echo "FAIL  $1"; fails=$((fails + 1)); fi; }
mkdir -p "$w/data" && echo "private data" >"$w/data/d.txt" && chmod -R a+rX "$w/data"

# 1. Forge the trace: the trace is not in /tmp/out any more; try to rename/replace it anyway, then open data.
mkdir -p "$w/forge"
cat >"$w/forge/run.py" <<'EOF'
import os, sys
for p in ("/run/tasker/strace.txt", "/run/tasker"):
    try: os.rename(p, p + ".x"); print("renamed", p)
    except OSError as e: print("rename", p, e.errno)
try: open("/run/tasker/strace.txt", "w").write("FORGED\n"); print("wrote trace")
except OSError as e: print("write trace", e.errno)
open("/tmp/out/strace.txt", "w").write("FORGED\n")
print(open(sys.argv[1]).read().strip())
EOF
$run "$w/forge" "$w/data/d.txt" "$w/r-forge" >/dev/null
check "forge: trace has the real open of the data" "grep -q 'openat(AT_FDCWD, \"/tmp/data/d.txt\"' '$w/r-forge/strace.txt'"
check "forge: FORGED never in the trace" "! grep -q '^FORGED' '$w/r-forge/strace.txt'"
check "forge: rename/write of /run/tasker refused (EACCES, EROFS)" "! grep -q -e renamed -e 'wrote trace' '$w/r-forge/stdout.txt' && [ \$(grep -c -e ' 13\$' -e ' 30\$' '$w/r-forge/stdout.txt') -eq 3 ]"
check "forge: trace_complete=1" "grep -qx trace_complete=1 '$w/r-forge/manifest'"

# 2. SIGKILL the tracer (parent) and pid 1, then open data.
mkdir -p "$w/kill"
cat >"$w/kill/run.py" <<'EOF'
import os, signal, sys
for pid in (os.getppid(), 1):
    try: os.kill(pid, signal.SIGKILL); print("killed", pid)
    except OSError as e: print("kill", pid, e.errno)
print(open(sys.argv[1]).read().strip())
EOF
$run "$w/kill" "$w/data/d.txt" "$w/r-kill" >/dev/null
check "kill: kill(strace) and kill(1) fail with EPERM" "[ \$(grep -c ' 1\$' '$w/r-kill/stdout.txt') -eq 2 ]"
check "kill: the data open after it is traced" "grep -q 'openat(AT_FDCWD, \"/tmp/data/d.txt\"' '$w/r-kill/strace.txt'"
check "kill: trace_complete=1" "grep -qx trace_complete=1 '$w/r-kill/manifest'"

# 2b. The tracer dies anyway (as if OOM-killed; simulated from outside): the task must say so.
mkdir -p "$w/slow"
cat >"$w/slow/run.py" <<'EOF'
import sys, time
time.sleep(3)
try: print(open(sys.argv[1]).read().strip())
except OSError as e: print("open after tracer death:", e.errno)
time.sleep(30)
EOF
( sleep 1.5; docker exec sealed-tracerdeath sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = strace ] && kill -9 ${p#/proc/}; done' ) &
$run -n sealed-tracerdeath -t 20 "$w/slow" "$w/data/d.txt" "$w/r-tracer" >/dev/null
wait
check "tracer death: trace_complete=0" "grep -qx trace_complete=0 '$w/r-tracer/manifest'"
check "tracer death: the code did not go on untraced (killed with its tracer, or ENOSYS)" "! grep -q 'private data' '$w/r-tracer/stdout.txt'"
echo "INFO  tracer death: manifest $(tr '\n' ' ' <"$w/r-tracer/manifest"), code stdout: $(tr '\n' ' ' <"$w/r-tracer/stdout.txt")"

# 3. Another local uid looks for the task's results while it runs.
mkdir -p "$w/long"
# The markers are built at run time, so only the task's results contain them (not its code).
printf 'import time\nopen("/tmp/out/result.txt","w").write("PRIVATE-" + "RESULT")\nprint("PRIVATE-" + "STDOUT", flush=True)\ntime.sleep(4)\n' >"$w/long/run.py"
$run -n sealed-otheruid "$w/long" "$w/data/d.txt" "$w/r-uid" >/dev/null &
sleep 2
leak=$(setpriv --reuid=12345 --regid=12345 --clear-groups sh -c 'grep -rls -e PRIVATE-RESULT -e PRIVATE-STDOUT /var/lib/docker /tmp /var/tmp /run /proc/[0-9]*/root/tmp/out /proc/[0-9]*/root/run/tasker 2>/dev/null' | head -3)
nobody_leak=$(setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'grep -rls -e PRIVATE-RESULT -e PRIVATE-STDOUT /proc/[0-9]*/root/tmp/out /proc/[0-9]*/root/run/tasker 2>/dev/null' | head -3)
wait
check "other uid 12345 reads nothing of a running task" "[ -z '$leak' ]"
echo "INFO  uid 12345 found: ${leak:-nothing}"
echo "INFO  a host process running as the code uid 65534 itself sees: ${nobody_leak:-nothing}"

# 4. helper.py swapped on the host 2 s after the start: a snapshot is mounted, not the live folder.
mkdir -p "$w/swap"
printf 'import time\ntime.sleep(4)\nimport helper\n' >"$w/swap/run.py"
printf 'print("ORIGINAL")\n' >"$w/swap/helper.py"
snap="$w/snapshot/swap"; mkdir -p "$w/snapshot"; cp -a "$w/swap" "$snap"; chmod -R a-w "$snap"
( sleep 2; printf 'print("SWAPPED")\n' >"$w/swap/helper.py" ) &
$run "$snap" "$w/data/d.txt" "$w/r-swap" >/dev/null
wait
check "swap: the snapshot runs ORIGINAL" "grep -qx ORIGINAL '$w/r-swap/stdout.txt'"
printf 'print("ORIGINAL")\n' >"$w/swap/helper.py"
( sleep 2; printf 'print("SWAPPED")\n' >"$w/swap/helper.py" ) &
$run "$w/swap" "$w/data/d.txt" "$w/r-live" >/dev/null
wait
echo "INFO  the live folder (today's design) runs: $(cat "$w/r-live/stdout.txt")"

# 5. The tasker in a private mount namespace (what PrivateTmp=/ProtectHome= give it): nothing is mounted by it.
unshare --mount --propagation slave sh -c "mount -t tmpfs tmpfs /mnt && $run '$w/forge' '$w/data/d.txt' '$w/r-ns'" >/dev/null
check "private mount namespace: task succeeds with output" "grep -qx status=0 '$w/r-ns/manifest' && grep -q 'private data' '$w/r-ns/stdout.txt'"

# 6. The data mounted is the data resolved: dev/ino seen inside equals the host's (ext4 and overlay); a swapped
#    component is detected before the code runs.
mkdir -p "$w/ovl/lower" "$w/ovl/upper" "$w/ovl/work" "$w/ovl/merged"
echo "overlay data" >"$w/ovl/lower/o.txt"
mount -t overlay overlay -o "lowerdir=$w/ovl/lower,upperdir=$w/ovl/upper,workdir=$w/ovl/work" "$w/ovl/merged"
chmod -R a+rX "$w/ovl/merged"
$run "$w/forge" "$w/ovl/merged/o.txt" "$w/r-ovl" >/dev/null
check "dev/ino match on overlay (code ran)" "grep -qx path_changed=0 '$w/r-ovl/manifest' && grep -q 'overlay data' '$w/r-ovl/stdout.txt'"
check "dev/ino match on ext4 (code ran)" "grep -qx path_changed=0 '$w/r-forge/manifest'"
mkdir -p "$w/d2/sub" "$w/evil" && echo "real" >"$w/d2/sub/x.txt" && echo "other" >"$w/evil/x.txt" && chmod -R a+rX "$w/d2" "$w/evil"
exp=$(stat -c '%d %i' "$w/d2/sub/x.txt")
mv "$w/d2/sub" "$w/d2/sub.orig" && ln -s "$w/evil" "$w/d2/sub"
$run -e "TASKER_DATA_DEV=${exp% *}" -e "TASKER_DATA_INO=${exp#* }" "$w/forge" "$w/d2/sub/x.txt" "$w/r-changed" >/dev/null
check "path changed: status 86, path_changed=1, code never ran" "grep -qx path_changed=1 '$w/r-changed/manifest' && [ ! -s '$w/r-changed/stdout.txt' ] && [ ! -s '$w/r-changed/strace.txt' ]"

# 7. Timeout: SIGUSR1 from the tasker kills the code; the trace stays complete and results come back.
mkdir -p "$w/spin"
printf 'import time\nopen("/tmp/out/partial.txt","w").write("p")\nprint("before", flush=True)\nwhile True: time.sleep(0.1)\n' >"$w/spin/run.py"
$run -t 2 "$w/spin" "$w/data/d.txt" "$w/r-timeout" >/dev/null
check "timeout: timed_out=1, trace_complete=1, partial output kept" "grep -qx timed_out=1 '$w/r-timeout/manifest' && grep -qx trace_complete=1 '$w/r-timeout/manifest' && grep -qx before '$w/r-timeout/stdout.txt' && tar -tf '$w/r-timeout/out.tar' | grep -qx ./partial.txt"

# 8. Detached children: a daemonised grandchild cannot outlive the collection.
mkdir -p "$w/daemon"
printf 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(2); open("/tmp/out/late.txt","w").write("late")\n    os._exit(0)\nprint("parent done")\n' >"$w/daemon/run.py"
$run -n sealed-daemon -k "$w/daemon" "$w/data/d.txt" "$w/r-daemon" >/dev/null
sleep 3
# /proc scan, not "kill -0 -1": from a docker exec process kill(-1) reports success even with no target.
left=$(docker exec sealed-daemon sh -c 'for s in /proc/[0-9]*/status; do grep -q "^Uid:[[:space:]]*65534" $s && [ "$s" != /proc/$$/status ] && echo $s; done')
docker rm -f sealed-daemon >/dev/null
check "daemonised grandchild: strace waited for it (trace_complete=1), no code process after results ready" "[ -z '$left' ] && grep -qx trace_complete=1 '$w/r-daemon/manifest'"

echo "$fails failed"
exit $((fails > 0))
