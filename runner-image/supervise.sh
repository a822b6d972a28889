#!/bin/sh
# supervise.sh <entry.py> <data path>
#
# pid 1 of a task container. Runs as root with only CAP_SYS_PTRACE, CAP_SETUID, CAP_SETGID and CAP_DAC_READ_SEARCH
# (bounding set), no-new-privileges, no network, read-only root. It runs
#     strace -f --seccomp-bpf -y -o /run/tasker/strace.txt -e trace=<filter>,execve,clone3,<refused> \
#         -e inject=<refused>:error=EPERM -e inject=clone3:error=ENOSYS -- \
#         setpriv --reuid=<uid> --regid=<gid> --clear-groups -- \
#         tasker-code-filter --tracer=seccomp-bpf -- <interpreter path> <entry> <data>
# so the code runs as the unprivileged code uid with no capabilities and cannot signal, ptrace or read this
# script, strace, the trace or the results (all root-owned, in the root-only tmpfs /run/tasker, mode 0700).
# <refused> = io_uring_setup,io_uring_enter,io_uring_register,seccomp,ptrace: tasker-code-filter (a seccomp filter
# for the code only, loaded after the uid drop) hands them to strace (SECCOMP_RET_TRACE), which answers EPERM and
# prints "(INJECTED)"; clone(CLONE_UNTRACED) and prctl(PR_SET_SECCOMP) raise SIGSYS; clone3 (whose flags no filter
# can read) is handed to strace too, which fails it with ENOSYS (glibc then uses clone).
# -y prints the file behind every fd ("= 3</tmp/data/x>"); reading the code's /proc/<pid>/fd needs
# CAP_DAC_READ_SEARCH (strace is root, the folder belongs to the code's uid).
# Under gVisor (runsc) strace gets no seccomp stops: it stops at every syscall instead (no --seccomp-bpf) and answers
# the refused calls itself; tasker-code-filter --tracer=ptrace keeps only the SIGSYS refusals (see its source for
# why nothing else there).
#
# Protocol with the tasker, version 2 (docs/sandbox-design.md has the full contract; the image label
# dataexchange.tasker.supervisor=2 says an image speaks it):
#   env TASKER_CODE_USER     uid:gid the code runs as (default 65534:65534); must not be 0
#   env TASKER_INTERPRETER   program that runs the entry (default python); the tasker sets it from the image's
#                            label dataexchange.tasker.interpreter (e.g. Rscript); one word, found on PATH or absolute
#   env STRACE_FILTER        strace -e trace=... expression (default %file,%network,%process); "all": every syscall
#   env TASKER_DATA_DEV      st_dev (decimal) the tasker resolved for the data path; with TASKER_DATA_INO the
#   env TASKER_DATA_INO      object at <data path> must be exactly that one, or the code never runs (status 86)
#   env TASKER_DATA_STAMP    "<f|d> <size> <mtime> <ctime>" (times as seconds.nanoseconds) of that object: checked
#                            instead under gVisor, whose kernel numbers devices and inodes itself
#   env TASKER_COLLECT_SECONDS  how long to stay up after the results, waiting for the tasker's line (default 600)
#   env KEEP_ALIVE_SECONDS   debugging: stay up this long instead, when longer
#   SIGUSR1 to pid 1         the tasker's timeout: kill the code now, then report as usual (timed_out=1)
#   SIGTERM to pid 1         stop: kill the code and exit at once (no results)
#   stdout of pid 1          the results channel, read by the tasker through an attach opened before the start; only
#                            this script and the root processes it runs write it (the code's stdout/stderr go to
#                            files, every helper that runs as the code's uid gets /dev/null): "tasker-supervisor: ..."
#                            status lines, then once the results are final the line "tasker-supervisor: results ready"
#                            and the results block:
#                                part manifest <bytes> <sha256>\n   (one line per part, in this order)
#                                part stdout <bytes> <sha256>\n
#                                part stderr <bytes> <sha256>\n
#                                part strace <bytes> <sha256>\n
#                                part outputs <bytes> <sha256>\n     (tar of /tmp/out made as the code's uid; 0 bytes
#                                data\n                                when the code left /tmp/out empty)
#                                <the parts' bytes, back to back>end\n
#   stdin of pid 1           the tasker writes "tasker: collected" once its answer is out; the supervisor then exits.
#                            Without that line (the tasker died, or detached) it stays up for the collect window, so a
#                            restarted tasker can still collect with docker exec (below). The engine keeps no copy of
#                            stdout (log driver none).
#   /run/tasker/stdout.txt, stderr.txt, strace.txt   the code's streams and the trace (root only, mode 0700 folder)
#   /run/tasker/manifest     key=value lines: version, status, trace_complete, timed_out, path_changed, survivors,
#                            oom_killed (the memory cgroup's oom_kill count rose during the run), misreported
#                            (gVisor handed strace a stale result for a traced call, see below), outputs (0: /tmp/out
#                            is empty), outputs_status (tar's exit status), peak_memory (the memory cgroup's high-water
#                            mark in bytes; empty where the container sees no memory cgroup, e.g. gVisor), started_at
#                            (seconds since the epoch, with nanoseconds, when this script started);
#                            trace_complete=1 needs the interpreter's successful execve and the end of the top
#                            process in the trace, no code process left when strace ended, and nothing misreported.
#                            Written last: once it exists /run/tasker and /tmp/out are final (what a tasker adopting a
#                            running container after a restart checks before it collects with docker exec tar)
#   /tmp/out                 the code's output files (Docker tmpfs); frozen once the manifest exists: no process of the
#                            code uid is left
# Exit status: 64 usage, 70 internal error, 86 data path changed; otherwise the code's status (128+n: signal n).

set -u

# When the container started, as near as this script can tell (its first command): the done message's startedAt.
started_at=$(date +%s.%N)
results=/run/tasker
code_user=${TASKER_CODE_USER:-65534:65534}
filter=${STRACE_FILTER:-%file,%network,%process}
interpreter=${TASKER_INTERPRETER:-python}
collect=${TASKER_COLLECT_SECONDS:-600}
keep=${KEEP_ALIVE_SECONDS:-0}
ready_line='tasker-supervisor: results ready'
ack_line='tasker: collected'
empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

say() { printf 'tasker-supervisor: %s\n' "$*"; }
fail() { say "error: $*"; exit 70; }
is_number() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

if [ "$#" -ne 2 ]; then
    say "usage: supervise.sh <entry> <data path>"
    exit 64
fi
entry=$1
data=$2
uid=${code_user%%:*}
gid=${code_user#*:}
is_number "$uid" && is_number "$gid" && [ "$uid" -ne 0 ] || fail "TASKER_CODE_USER \"$code_user\" is not a non-root uid:gid"
is_number "$collect" || collect=600
is_number "$keep" || keep=0
case $interpreter in
    '' | -* | *[!A-Za-z0-9._+/-]*) fail "TASKER_INTERPRETER \"$interpreter\" is not a program name or absolute path" ;;
esac
interpreter_path=$(command -v -- "$interpreter" 2>/dev/null) || fail "TASKER_INTERPRETER \"$interpreter\" is not in this image"
case $interpreter_path in
    /*) ;;
    *) fail "TASKER_INTERPRETER \"$interpreter\" is not a program" ;;
esac
code_filter=/usr/local/bin/tasker-code-filter
[ -x "$code_filter" ] || fail "$code_filter is not in this image"
case $filter in
    '!'*) fail "STRACE_FILTER \"$filter\" excludes syscalls; name what to trace (execve and the refused syscalls are always added)" ;;
esac
[ -d "$results" ] && [ ! -L "$results" ] || fail "$results is missing (the container spec must mount a root-only tmpfs there)"
umask 077

# As the code uid, with no capabilities: kill(-1) reaches every process of that uid in this pid namespace and
# nothing else, so the supervisor needs no CAP_KILL. Its answer does not say whether such a process was left:
# kill(-1) returns 0 when any other process exists, even one it may not signal (a root `docker exec` in the container,
# this script's own helpers), and fails only when there is no other process at all. So "kill -0 -1" failing means
# nothing is left; whether code is left is read from /proc (live_code_processes). Before 2026-12-03 its success was
# taken for a code process: a root `docker exec` still exiting when the code ended made a run "trace incomplete"
# (seen in fresh-clone runs, with no process of the code's uid listed).
# setresuid to a non-zero uid clears the permitted and effective capabilities, so the helper runs with none.
# Such a helper is a process of the code's uid that the code (a survivor of its trace) could open /proc/<pid>/fd/N of:
# it never holds the results channel or the tasker's line (stdin, stdout) while any process of the code may be alive;
# callers give it its stdout.
as_code() { setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@" </dev/null 2>/dev/null; }
anything_left() { as_code sh -c 'kill -0 -1' >/dev/null; }
# The processes of the code's uid (real or saved uid; this script's helpers never run while one is listed) that are not
# zombies (a zombie runs nothing; a process whose first thread ended but others run still counts): "pid (comm,
# state, parent pid)" each, for the log line that says why a trace is incomplete.
live_code_processes() {
    for status in /proc/[0-9]*/status; do
        awk -v uid="$uid" '
            $1 == "Name:" { name = $2 } $1 == "State:" { state = $2 } $1 == "Pid:" { pid = $2 } $1 == "PPid:" { ppid = $2 }
            $1 == "Threads:" { threads = $2 } $1 == "Uid:" && ($2 == uid || $4 == uid) { hit = 1 }
            END { if (hit && ((state != "Z" && state != "X") || threads > 1)) printf "%s (%s, %s, parent %s) ", pid, name, state, ppid }' "$status" 2>/dev/null
    done
}
code_alive() { anything_left && [ -n "$(live_code_processes)" ]; }
kill_code() {
    i=0
    while [ "$i" -lt 50 ]; do
        as_code sh -c 'kill -9 -1' >/dev/null
        code_alive || return 0
        i=$((i + 1))
        sleep 0.1
    done
    return 1
}

# The kernel counts OOM kills per memory cgroup (v1: memory.oom_control, v2: memory.events); the engine only
# reports an OOM once the container exited, and this container outlives the code.
oom_kills() {
    for f in /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events; do
        if [ -r "$f" ]; then
            awk '$1 == "oom_kill" { print $2; found = 1 } END { if (!found) print 0 }' "$f"
            return
        fi
    done
    echo 0
}
oom_before=$(oom_kills)

# The memory cgroup's high-water mark (v1: memory.max_usage_in_bytes, v2: memory.peak), which the engine's stats report
# too; empty where the container sees no memory cgroup (gVisor's kernel has none).
peak_memory() {
    for f in /sys/fs/cgroup/memory/memory.max_usage_in_bytes /sys/fs/cgroup/memory.peak; do
        if [ -r "$f" ] && read -r peak <"$f" 2>/dev/null && is_number "$peak"; then
            echo "$peak"
            return
        fi
    done
}

write_manifest() { # status trace_complete timed_out path_changed survivors [oom_killed [outputs [misreported [peak [outputs_status]]]]]
    {
        echo "version=1"
        echo "status=$1"
        echo "trace_complete=$2"
        echo "timed_out=$3"
        echo "path_changed=$4"
        echo "survivors=$5"
        echo "oom_killed=${6:-0}"
        echo "outputs=${7:-1}"
        echo "misreported=${8:-0}"
        echo "peak_memory=${9:-}"
        echo "outputs_status=${10:-0}"
        echo "started_at=$started_at"
    } >"$results/manifest.tmp" && mv -f "$results/manifest.tmp" "$results/manifest"
}

# The code's files as one tar made as the code's uid (it owns /tmp/out and may have made parts of it unreadable to
# others; the supervisor reads nothing there itself). Made twice: first for its length, digest and tar's status, then
# onto the results channel. Nothing changes /tmp/out in between (no process of the code is left, the supervisor
# never writes there), and tar writes the same bytes for the same tree; the tasker checks both against the digest.
outputs_len=0
outputs_sha256=$empty_sha256
outputs_status=0
measure_outputs() {
    [ "$outputs" -eq 1 ] || return 0
    rm -f "$results/.outputs-bytes"
    mkfifo -m 0600 "$results/.outputs-bytes" || fail "cannot make a fifo in $results"
    wc -c <"$results/.outputs-bytes" >"$results/.outputs-len" &
    counter=$!
    { as_code tar -cf - -C /tmp/out .; echo "$?" >"$results/.outputs-status"; } |
        tee "$results/.outputs-bytes" | sha256sum >"$results/.outputs-sha256"
    wait "$counter"
    read -r outputs_len <"$results/.outputs-len"
    read -r outputs_status <"$results/.outputs-status"
    read -r outputs_sha256 _ <"$results/.outputs-sha256"
    rm -f "$results/.outputs-bytes" "$results/.outputs-len" "$results/.outputs-status" "$results/.outputs-sha256"
    is_number "$outputs_len" && is_number "$outputs_status" || fail "could not measure the archive of /tmp/out"
}

# The results block on stdout (the protocol above): lengths and digests first, so a cut or garbled channel shows.
emit_results() {
    cd "$results" || fail "cannot enter $results"
    set -- $(find manifest stdout.txt stderr.txt strace.txt -maxdepth 0 -printf '%s ')
    [ "$#" -eq 4 ] || fail "a result file is missing from $results"
    manifest_len=$1 stdout_len=$2 stderr_len=$3 strace_len=$4
    set -- $(sha256sum manifest stdout.txt stderr.txt strace.txt | cut -d ' ' -f 1)
    [ "$#" -eq 4 ] || fail "could not hash the result files"
    printf '%s\npart manifest %s %s\npart stdout %s %s\npart stderr %s %s\npart strace %s %s\npart outputs %s %s\ndata\n' \
        "$ready_line" "$manifest_len" "$1" "$stdout_len" "$2" "$stderr_len" "$3" "$strace_len" "$4" "$outputs_len" "$outputs_sha256"
    cat manifest stdout.txt stderr.txt strace.txt
    [ "$outputs_len" -gt 0 ] && as_code tar -cf - -C /tmp/out .
    printf 'end\n'
    cd /
}

# Waits for the tasker's line on stdin (it has published its answer: the container may go), for at most the collect
# window (or the keep-alive time). The end of stdin is not that line: a tasker that died, or a client that detached,
# leaves the results here for the next tasker to collect.
stay_up() {
    seconds=$collect
    [ "$keep" -gt "$seconds" ] && seconds=$keep
    trap 'exit "$final"' TERM USR1
    # A background job's stdin would be /dev/null: hand it the real one explicitly.
    exec 3<&0
    timeout "$seconds" sh -c 'while IFS= read -r line; do [ "$line" = "$0" ] && exit 0; done; exec sleep infinity' "$ack_line" <&3 3<&- &
    exec 3<&-
    wait $!
    exit "$final"
}

: >"$results/stdout.txt"
: >"$results/stderr.txt"
: >"$results/strace.txt"

# gVisor runs the container on a kernel of its own, which numbers devices and inodes itself and gives strace no
# seccomp stops. Its kernel log starts with this line; a Linux kernel's log is either closed to this container
# (no CAP_SYSLOG) or starts otherwise.
gvisor=0
case $(dmesg 2>/dev/null | head -n 1) in
    *'Starting gVisor...'*) gvisor=1 ;;
esac

# The data mounted is the data resolved: the engine resolved the bind source again when it created the
# container, so a path component swapped for a symlink since the tasker resolved it shows up as another object.
# On Linux that is device and inode. Under gVisor it is type, size and both times to the nanosecond: a change time
# cannot be set from user space, so another object matches only if it was last changed in the same clock tick and
# also has the same size and modification time. (find, not stat: gVisor refuses coreutils' statx flags.)
if [ -n "${TASKER_DATA_DEV:-}" ] || [ -n "${TASKER_DATA_INO:-}" ] || [ -n "${TASKER_DATA_STAMP:-}" ]; then
    if [ "$gvisor" -eq 1 ]; then
        expected=${TASKER_DATA_STAMP:-}
        # GNU find prints ten fraction digits, the last always 0: keep nine (nanoseconds).
        seen=$(find "$data" -maxdepth 0 -printf '%y %s %T@ %C@\n' 2>/dev/null | sed -E 's/\.([0-9]{9})[0-9]*/.\1/g')
    else
        expected="${TASKER_DATA_DEV:-} ${TASKER_DATA_INO:-}"
        seen=$(find "$data" -maxdepth 0 -printf '%D %i\n' 2>/dev/null)
    fi
    [ -n "$seen" ] || seen=missing
    if [ "$seen" != "$expected" ]; then
        say "data path changed: expected ${expected:-nothing (no TASKER_DATA_STAMP)}, found $seen"
        final=86
        write_manifest "" 1 0 1 0 0 0 0 "$(peak_memory)"
        outputs=0
        emit_results
        stay_up
    fi
fi

timed_out=0
trapped=0
strace_pid=
on_timeout() {
    timed_out=1
    trapped=1
    kill_code
}
on_term() {
    kill_code
    [ -n "$strace_pid" ] && kill -9 "$strace_pid" 2>/dev/null
    exit 143
}
trap on_timeout USR1
trap on_term TERM INT

# strace 6.1's -u wants a user name from /etc/passwd; setpriv takes any uid:gid. The traced command starts as
# root, drops to the code uid (setresuid to non-zero clears every capability), loads the code's own filter and only
# then execs the interpreter, so the trace shows the drop and the code never holds a capability or runs unfiltered.
# execve is always traced (trace_complete looks for the interpreter's), and so are the refused syscalls, so that
# each refusal is in the trace.
refused=io_uring_setup,io_uring_enter,io_uring_register,seccomp,ptrace
set -- strace -f
if [ "$gvisor" -eq 0 ]; then
    set -- "$@" --seccomp-bpf
    tracer=seccomp-bpf
else
    tracer=ptrace
fi
set -- "$@" -y -o "$results/strace.txt"
[ "$filter" = "all" ] || set -- "$@" -e "trace=$filter,execve,clone3,$refused"
set -- "$@" -e "inject=$refused:error=EPERM" -e "inject=clone3:error=ENOSYS"
set -- "$@" -- setpriv --reuid="$uid" --regid="$gid" --clear-groups -- \
    "$code_filter" --tracer="$tracer" -- "$interpreter_path" "$entry" "$data"
# The code's working folder is its own output folder; stdin is empty; stdout/stderr are root-owned files it
# holds open but cannot reopen, rename or read back through /run/tasker.
(cd /tmp/out 2>/dev/null || cd /tmp; exec "$@" </dev/null >"$results/stdout.txt" 2>"$results/stderr.txt") &
strace_pid=$!
# A trapped signal interrupts wait; strace is still running then, so wait again until it really ended.
# (A timeout signal that came before strace was started is acted on here; the tasker's SIGKILL after its grace
# period covers the remaining window in which the code has not yet dropped to its uid.)
# A wait cut short by a trap returns 128+signal, not strace's status (even when strace ended meanwhile): wait again.
while :; do
    [ "$timed_out" -eq 1 ] && kill_code
    trapped=0
    wait "$strace_pid"
    status=$?
    [ "$trapped" -eq 1 ] && continue
    kill -0 "$strace_pid" 2>/dev/null || break
done

# strace exits once every tracee has; a code process still alive now escaped the trace. Three looks at /proc (a
# process that hops from pid to pid could slip past one scan), none when kill(-1) finds no other process at all.
survivors=0
looks=0
while [ "$looks" -lt 3 ] && anything_left; do
    left=$(live_code_processes)
    if [ -n "$left" ]; then
        survivors=1
        say "code processes left when strace ended: $left"
        break
    fi
    looks=$((looks + 1))
done
kill_code || fail "processes of uid $uid survive SIGKILL"

# Complete means: the tracee strace started (first line's pid) exec'd the interpreter and has its end line, and
# nothing outlived strace. A tracer that records nothing (e.g. --seccomp-bpf on a kernel that gives no seccomp
# stops) leaves at most an end line, so it is never complete. The code cannot write this file, and strace prefixes
# every line with a pid and escapes every string it prints, so neither line can be forged through a traced
# syscall's arguments.
trace_complete=0
top=$(head -c 65536 "$results/strace.txt" | head -n 1 | awk '{ print $1 }')
if is_number "$top" && [ "$survivors" -eq 0 ] &&
    awk -v top="$top" -v call="execve(\"$interpreter_path\", " '
        $1 == top { rest = $0; sub(/^[0-9]+ +/, "", rest); if (index(rest, call) == 1 && rest ~ / = 0$/) { found = 1; exit } }
        END { exit !found }' "$results/strace.txt" &&
    grep -Eq "^$top +\+\+\+ (exited with [0-9]+|killed by SIG[A-Z0-9]+( \(core dumped\))?) \+\+\+\$" "$results/strace.txt"; then
    trace_complete=1
fi

# gVisor (runsc 20221219) hands strace a stale result for every call of a task after a seccomp filter refused one of
# its calls (ERRNO, or a SIGSYS the code caught): a call that succeeded (an open of the data, say) is printed
# "= -1 ENOSYS", so it looks like it never happened. None of these calls is ever ENOSYS otherwise, so such a line means
# the trace misstates what the code did: it is not complete. (On Linux strace reads the real result.)
misreported=0
if [ "$gvisor" -eq 1 ] && awk '
    {
        rest = $0; sub(/^[0-9]+ +/, "", rest)
        name = rest
        if (sub(/^<\.\.\. /, "", name)) sub(/ resumed>.*$/, "", name); else sub(/\(.*$/, "", name)
        if (name ~ /^(open|openat|creat|execve|execveat|clone|fork|vfork|chdir|fchdir|connect|bind|accept|accept4|sendto|sendmsg)$/ && rest ~ / = -1 ENOSYS \(/) { found = 1; exit }
    }
    END { exit !found }' "$results/strace.txt"; then
    misreported=1
    trace_complete=0
    say "trace unreliable: gVisor handed strace ENOSYS as the result of calls that succeeded"
fi

final=$status
oom_killed=0
[ "$(oom_kills)" != "$oom_before" ] && oom_killed=1
peak=$(peak_memory)
# The code is gone: a late timeout signal has nothing left to stop (and must not cut the results block short).
trap '' USR1
# Whether /tmp/out holds anything (looked at as the code's uid, which owns it): when it is empty no tar is made.
outputs=1
[ -z "$(as_code find /tmp/out -mindepth 1 -maxdepth 1 | head -n 1)" ] && outputs=0
measure_outputs
write_manifest "$status" "$trace_complete" "$timed_out" 0 "$survivors" "$oom_killed" "$outputs" "$misreported" "$peak" "$outputs_status"
emit_results
stay_up
