#!/usr/bin/env python3
"""build/soak/rss_curve.py WORKDIR [STEP] -- a soak's child RSS over time.

For a work dir kept by `SOAK_KEEP=1 make soak` (rss.log, events.log,
front/logs/access.log): every child's VmRSS (kB) every STEP seconds
(default 30) with the requests it had served by then and the fault events
of that interval, then each child's growth from its first sample after it
had met every fault kind once (kill, rot, exp, stall, slow: the end of the
first window of each after the child's first request) to its last sample. Used for the RSS
question in RELIABILITY.md (does a child level off once every path has run
once, or keep growing with requests?).
"""
import bisect
import collections
import os
import sys

W = sys.argv[1]
STEP = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0

events = []
for line in open(os.path.join(W, "events.log")):
    f = line.split()
    events.append((int(f[0]) / 1000.0, f[1]))
T0 = next(t for t, n in events if n == "start")
T_END = next((t for t, n in events if n == "end"), events[-1][0])
# the slow window has no end event: 70 s of 600, scaled with the run's length
slow_len = 70.0 * (T_END - T0) / 600.0
ends = []          # (time a fault kind's window ended, kind)
for t, n in events:
    if n.endswith("_end") and n != "end":
        ends.append((t, n[:-4]))
    elif n == "slow_start":
        ends.append((t + slow_len, "slow"))
KINDS = {"kill", "rot", "exp", "stall", "slow"}

rss = collections.defaultdict(list)
kind = {}
for line in open(os.path.join(W, "rss.log")):
    f = line.split()
    if len(f) == 4:
        rss[f[1]].append((int(f[0]) / 1000.0, int(f[3])))
        kind[f[1]] = f[2]
served = collections.defaultdict(list)
for line in open(os.path.join(W, "front", "logs", "access.log")):
    f = line.split()
    if len(f) >= 6 and f[5].startswith("/b/"):
        served[f[2]].append(int(f[1]) / 1000.0)
for v in served.values():
    v.sort()

print("run %s: %.0f s; events: %s" % (W, T_END - T0, ", ".join(
    "%s@%.0f" % (n, t - T0) for t, n in events if n not in ("start", "end"))))
for pid in sorted(rss, key=lambda p: rss[p][0][0]):
    ss = rss[pid]
    if kind[pid] != "child" or len(served.get(pid, [])) < 1000:
        continue
    print("\nchild %s (first sample %.0f s, %d requests):" % (pid, ss[0][0] - T0, len(served[pid])))
    print("  %6s %8s %9s  %s" % ("t s", "RSS kB", "requests", "events in the interval"))
    nxt, prev_t = ss[0][0], None
    for t, kb in ss:
        if t + 1e-6 < nxt and (t, kb) != ss[-1]:
            continue
        evs = [n for te, n in events if prev_t is not None and prev_t < te <= t and n not in ("start", "end")]
        print("  %6.0f %8d %9d  %s" % (t - T0, kb, bisect.bisect_right(served[pid], t), " ".join(evs)))
        prev_t, nxt = t, t + STEP
    seen, warm_t = set(), None
    born = served[pid][0]           # the child's first request: its life starts
    for te, k in sorted(ends):
        if te > born and k in KINDS:
            seen.add(k)
            if seen == KINDS:
                warm_t = te
                break
    if warm_t is None:
        print("  never met every fault kind: no growth after warm-up")
        continue
    warm = [s for s in ss if s[0] >= warm_t]
    if len(warm) < 2:
        print("  warm at %.0f s, no sample after" % (warm_t - T0))
        continue
    a, b = warm[0], warm[-1]
    n_a, n_b = bisect.bisect_right(served[pid], a[0]), bisect.bisect_right(served[pid], b[0])
    print("  after warm-up (every fault kind met once, %.0f s): %d -> %d kB, %+.1f %% over %.0f s and %d requests"
          % (warm_t - T0, a[1], b[1], 100.0 * (b[1] - a[1]) / a[1], b[0] - a[0], n_b - n_a))
    print("  from the first sample: %d -> %d kB, %+.1f %%" % (ss[0][1], b[1], 100.0 * (b[1] - ss[0][1]) / ss[0][1]))
