#!/usr/bin/env python3
"""Phase breakdown of an instrumented tasker log (BENCH_T=1 lines: 'BENCHT <taskId|containerId> <phase> <ISO time>')
joined with the driver's timeline (published / engine startedAt / finishedAt / received) from a Load JSON.
Usage: bench/breakdown.py LOAD.json TASKER.log"""
import json, sys, statistics
from datetime import datetime

def t(s):
    s = s.replace("Z", "+00:00")
    if "." in s:  # trim to microseconds for fromisoformat
        head, rest = s.split(".", 1)
        frac = "".join(c for c in rest if c.isdigit())
        tz = rest[len(frac):]
        s = f"{head}.{frac[:6].ljust(6, '0')}{tz}"
    return datetime.fromisoformat(s)

res = json.load(open(sys.argv[1]))
marks, cid = {}, {}
for line in open(sys.argv[2]):
    if not line.startswith("BENCHT "):
        continue
    _, key, phase, ts = line.split()
    if phase.startswith("created:"):
        cid[phase.split(":", 1)[1]] = key
        phase = "created"
    marks.setdefault(key, {})[phase] = t(ts)
for c, task in cid.items():
    marks.setdefault(task, {}).update(marks.get(c, {}))
rows = {}
for e in res["scenarios"]["overhead"]["timeline"]:
    m = dict(marks.get(e["taskId"], {}))
    m.update(published=t(e["published"]), startedAt=t(e["startedAt"]), finishedAt=t(e["finishedAt"]), received=t(e["received"]))
    order = ["published", "run", "created", "startedAt", "startReturned", "finishedAt", "exitSeen", "inspected", "publishBegin", "confirmed", "received"]
    seq = [p for p in order if p in m]
    for a, b in zip(seq, seq[1:]):
        rows.setdefault(f"{a} → {b}", []).append((m[b] - m[a]).total_seconds() * 1000)
    if "acked" in m and "removed" in m:
        rows.setdefault("acked → removed (after the answer)", []).append((m["removed"] - m["acked"]).total_seconds() * 1000)
print("| segment | mean ms | p50 ms | p95 ms |\n|---|---|---|---|")
for k, v in rows.items():
    v.sort()
    print(f"| {k} | {statistics.mean(v):.1f} | {v[len(v)//2]:.1f} | {v[min(len(v)-1, int(0.95*len(v)))]:.1f} |")
