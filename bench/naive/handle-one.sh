#!/usr/bin/env bash
# One start message on stdin → one done message (see naive-consumer.sh). Environment from naive-consumer.sh.
set -uo pipefail
body=$(cat)
eval "$(python3 -c '
import json, shlex, sys
m = json.loads(sys.argv[1])
for k in ("taskId", "codePath", "dataPath"):
    print(k + "=" + shlex.quote(str(m.get(k, ""))))
' "$body")"

publish() { amqp-publish -u "$NAIVE_URL" -r "$NAIVE_DONE" -p -C application/json; }

code=$NAIVE_CODE_ROOT/$codePath
data=$NAIVE_DATA_ROOT/$dataPath
if [[ ! -e $code || ! -e $data ]]; then
    python3 -c 'import json, sys; print(json.dumps({"taskId": sys.argv[1], "state": "rejected", "reason": "path_not_found",
        "output": "path not found", "containerOutput": None, "exitCode": None, "durationMs": 0, "signal": None,
        "startedAt": None, "finishedAt": None, "peakMemoryBytes": None, "truncated": None}))' "$taskId" | publish
    exit 0
fi
entry=/tmp/code/$codePath
[[ -d $code ]] && entry=$entry/run.py

work=$(mktemp -d "$NAIVE_WORK_ROOT/task.XXXXXX")
chmod 0777 "$work"
started=$(date -Ins)
# The sealed spec (as the tasker's ContainerSpecFactory): the supervisor stays up after the code until the
# results are collected, so a naive client polls the log for its line, copies /run/tasker out with docker exec,
# then removes the container.
cid=$(docker run -d --network none --read-only \
    --tmpfs /tmp:rw,nosuid,nodev,noexec,size=67108864,mode=1777 \
    --tmpfs /tmp/out:rw,nosuid,nodev,noexec,size=536870912,mode=0700,uid=64000,gid=64000 \
    --tmpfs /run/tasker:rw,nosuid,nodev,noexec,size=806354944,mode=0700 \
    --cap-drop ALL --cap-add SYS_PTRACE --cap-add SETUID --cap-add SETGID \
    --security-opt no-new-privileges --ipc private \
    --memory 536870912 --memory-swap 536870912 --cpus 1 --pids-limit 128 \
    --ulimit fsize=268435456:268435456 --ulimit nofile=256:256 --ulimit core=0:0 \
    --user 0:0 -w /tmp --stop-timeout 1 \
    -e TASKER_CODE_USER=64000:64000 -e TASKER_COLLECT_SECONDS=600 \
    -e STRACE_FILTER=%file,%network,%process -e HOME=/tmp -e PYTHONDONTWRITEBYTECODE=1 -e PYTHONUNBUFFERED=1 \
    --log-opt max-size=1m --log-opt max-file=1 \
    --mount "type=bind,src=$code,dst=/tmp/code/$codePath,readonly,bind-propagation=rprivate" \
    --mount "type=bind,src=$data,dst=/tmp/data/$dataPath,readonly,bind-propagation=rprivate" \
    --entrypoint /usr/local/bin/supervise.sh dataexchange-tasker-runner:latest "$entry" "/tmp/data/$dataPath")
until docker logs "$cid" 2>/dev/null | grep -q '^tasker-supervisor: results ready$'; do
    docker inspect -f '{{.State.Running}}' "$cid" 2>/dev/null | grep -q true || break
    sleep 0.05
done
docker exec "$cid" tar -cf - -C /run/tasker stdout.txt stderr.txt strace.txt manifest 2>/dev/null | tar -xf - -C "$work" 2>/dev/null
status=$(sed -n 's/^status=//p' "$work/manifest" 2>/dev/null)
status=${status:-70}
docker rm -f "$cid" >/dev/null 2>&1
finished=$(date -Ins)
python3 - "$taskId" "$status" "$started" "$finished" "$work" <<'PY' | publish
import json, sys
from datetime import datetime
task_id, status, started, finished, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
cap = 1 << 20
out, trunc = {}, {}
for name in ("stdout", "stderr", "strace"):
    try:
        with open(f"{work}/{name}.txt", "rb") as f:
            data = f.read(cap + 1)
    except OSError:
        data = b""
    out[name], trunc[name] = data[:cap].decode("utf-8", "replace"), len(data) > cap
ms = int((datetime.fromisoformat(finished.replace(",", ".")) - datetime.fromisoformat(started.replace(",", "."))).total_seconds() * 1000)
print(json.dumps({"taskId": task_id, "state": "success" if status == 0 else "error", "output": "" if status == 0 else
    f"Container exited with an error. Status code: {status}", "containerOutput": out, "exitCode": status,
    "reason": None if status == 0 else "exit_code", "durationMs": ms, "signal": None, "startedAt": started,
    "finishedAt": finished, "peakMemoryBytes": None, "truncated": trunc}))
PY
rm -rf "$work"
