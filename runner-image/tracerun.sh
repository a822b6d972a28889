#!/bin/sh
# tracerun.sh <entry.py> <data path>
#
# Runs `python <entry> <data>` under strace inside the runner container.
#   /tmp/out/strace.txt  strace output (-f, all children)
#   /tmp/out/stdout.txt  the code's stdout
#   /tmp/out/stderr.txt  the code's stderr (and strace's own error messages, if any)
#   /tmp/out/exit_code   exit status in decimal (no newline), written atomically (tmp + mv) once the code ended
# Env:
#   STRACE_FILTER        strace -e trace=... expression (default %file,%network,%process);
#                        "all" traces every syscall (no -e option)
#   KEEP_ALIVE_SECONDS   if > 0: after the run, `exec sleep` that long (debug: docker exec into it)
# Exit status: the code's exit status; if the code died by signal n, strace re-raises it,
# so the status is 128+n.

if [ "$#" -ne 2 ]; then
    echo "usage: tracerun.sh <entry.py> <data path>" >&2
    exit 64
fi

entry=$1
data=$2
out=/tmp/out
filter=${STRACE_FILTER:-%file,%network,%process}

mkdir -p "$out" || exit 70

if [ "$filter" = "all" ]; then
    strace -f -o "$out/strace.txt" -- python "$entry" "$data" \
        </dev/null >"$out/stdout.txt" 2>"$out/stderr.txt"
else
    strace -f -o "$out/strace.txt" -e trace="$filter" -- python "$entry" "$data" \
        </dev/null >"$out/stdout.txt" 2>"$out/stderr.txt"
fi
status=$?

# The code runs as our uid, so it can kill strace and carry on detached and untraced (for the whole
# keep-alive time, below). Nothing of the task may outlive its trace: kill every process but us (pid 1).
kill -s KILL -- -1 2>/dev/null

tmp="$out/.exit_code.$$"
printf '%s' "$status" >"$tmp" && mv -f "$tmp" "$out/exit_code"

case ${KEEP_ALIVE_SECONDS:-} in
    '' | *[!0-9]*) ;;
    *)
        if [ "$KEEP_ALIVE_SECONDS" -gt 0 ]; then
            exec sleep "$KEEP_ALIVE_SECONDS"
        fi
        ;;
esac

exit "$status"
