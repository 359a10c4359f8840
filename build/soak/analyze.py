#!/usr/bin/env python3
"""build/soak/analyze.py WORKDIR [options] -- figures of a build/soak.sh run.

Reads the work dir of build/soak.sh (events.log, front/logs/access.log and
error.log, client*.log, backends.log, rss.log, prom-*.txt), prints the
figures and the targets, exits 1 when a target is missed.

Definitions (RELIABILITY.md repeats them):
- An *error* is a request of the load that did not end in a 2xx: a non-2xx
  status in the front's access log, or, on the client side, no complete
  answer (connection closed or reset, timeout, short body).
- *In flight at a fault*: for a fault on a balancer member, the requests
  that child had already sent to the member when it met the fault (the
  first failing request to that member in that child and every request to
  it that began before that one ended), once per child per `retry`
  interval: the member is then in error, and after `retry` mod_proxy
  sends one request to probe it again (SPEC: "the request that met the
  refusal gets 502, since mod_proxy cannot retry it"). For a graceful
  restart: the requests whose [begin, end] holds the restart, and on the
  client side a keep-alive connection closed by the restart while idle
  (within 5 s after it: the client sent the next request as the old child
  closed the connection; shown apart as "idle-closed"). On the client's
  side, a request cut without an answer at a member fault: its [begin, end]
  holds the fault, or an AH01102 line for that member (a pooled backend
  connection broke under the request; httpd then closes the client's
  connection without an answer so that the client retries).
- *Beyond in-flight*: every other error. The stall's in-flight errors must
  also end within the handshake bound (+1.5 s).
- *Violation*: a request logged by a backend while its configuration
  served a certificate the policy refuses (unpinned good2, expired).
- *RSS growth per child*: per generation of children (a graceful restart
  starts a new one), VmRSS after warm-up (the first sample once the child
  has served 1,000 requests and at least 25 % of the generation's length
  after it appeared) against its last sample in that generation (shown).
  A child that served fewer than 1,000 requests is listed as idle.
- *RSS growth after warm-up* (the target): from a child's first sample once
  it has met every fault kind and served 1,000 requests to its last one;
  not judged when no child got there (graceful restarts every 120 s).
"""
import argparse, collections, datetime, glob, json, os, re, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("work")
ap.add_argument("--seconds", type=float, required=True)
ap.add_argument("--retry", type=float, required=True)
ap.add_argument("--stall-bound", type=float, required=True)
ap.add_argument("--stall-kind", default="")
ap.add_argument("--rev", default="")
ap.add_argument("--ports", required=True)
a = ap.parse_args()
W = a.work
ports = dict(kv.split("=") for kv in a.ports.split(","))
member_of_worker = {"https://127.0.0.1:%s" % p: n for n, p in ports.items()}
SLACK = 0.05

# ---------------------------------------------------------------- events
events = []
for line in open(os.path.join(W, "events.log")):
    f = line.split()
    events.append((int(f[0]) / 1000.0, f[1], f[2] if len(f) > 2 else "-"))
T0 = next(t for t, n, _ in events if n == "start")
T_END = next(t for t, n, _ in events if n == "end")
gracefuls = [t for t, n, _ in events if n == "graceful"]
faults = []        # dict(kind, member, start, end)
open_ = {}
for t, n, m in events:
    if n.endswith("_start"):
        k = n[:-6]
        open_[k] = dict(kind=k, member=m, start=t, end=None)
        faults.append(open_[k])
    elif n.endswith("_end"):
        open_.pop(n[:-4])["end"] = t
for f in faults:
    if f["end"] is None:
        f["end"] = T_END
    f["name"] = "%s@%ds" % (f["kind"], round(f["start"] - T0))
    f["errors_inflight"] = 0
    f["errors_beyond"] = 0
    f["bursts"] = 0
    f["max_err_s"] = 0.0
    f["idle_closed"] = 0
for g in gracefuls:
    faults.append(dict(kind="graceful", member=None, start=g, end=g, name="graceful@%ds" % round(g - T0),
                       errors_inflight=0, errors_beyond=0, bursts=0, max_err_s=0.0, idle_closed=0))
faults.sort(key=lambda f: f["start"])
unattributed = collections.Counter()
beyond_list = []


def logtime(s):
    """an error-log time stamp ("Tue Dec 01 21:34:11.586735 2026", local time) as Unix time"""
    return time.mktime(datetime.datetime.strptime(s.split(".")[0] + s[-5:], "%a %b %d %H:%M:%S %Y").timetuple()) \
        + int(s.split(".")[1][:6]) / 1e6


def rel(t):
    return "%.1fs" % (t - T0)

# ---------------------------------------------------------------- front log
front = []
for line in open(os.path.join(W, "front/logs/access.log")):
    f = line.split()
    if len(f) < 7:
        continue
    b, e = int(f[0]) / 1000.0, int(f[1]) / 1000.0
    front.append(dict(b=b, e=e, pid=f[2], st=int(f[3]), worker=f[4], uri=f[5]))
load_req = [r for r in front if r["uri"].startswith("/b/") or r["uri"].startswith("/slow/")]
errs = sorted([r for r in load_req if not 200 <= r["st"] < 300], key=lambda r: r["b"])
by_status = collections.Counter(r["st"] for r in load_req)


def member_fault(member, t):
    """the fault of this member whose window (start .. end + retry) holds t"""
    for f in faults:
        if f["member"] == member and f["start"] - 1 <= t <= f["end"] + a.retry + 2:
            return f
    return None


def graceful_at(b, e):
    for f in faults:
        if f["kind"] == "graceful" and b - SLACK <= f["start"] <= e + 1.0:
            return f
    return None


# PRE1010: the moment a child refused a member, and so put it in error
refused_at = collections.defaultdict(list)      # (pid, member) -> [time]
for line in open(os.path.join(W, "front/logs/error.log"), errors="replace"):
    m = re.match(r"\[(\w+ \w+ \d+ [\d:.]+ \d+)\] \[proxy_reencrypt:error\] \[pid (\d+).*PRE1010: refused backend "
                 r"https://127\.0\.0\.1:(\d+)", line)
    if m:
        refused_at[(m.group(2), member_of_worker.get("https://127.0.0.1:" + m.group(3), m.group(3)))].append(logtime(m.group(1)))
for v in refused_at.values():
    v.sort()

detect = {}        # (pid, member) -> when this child put the member in error (current burst)
for r in errs:
    member = member_of_worker.get(r["worker"], r["worker"])
    if r["uri"].startswith("/slow/"):
        member = "slow"
    f = member_fault(member, r["b"])
    dur = r["e"] - r["b"]
    if f is not None:
        key = (r["pid"], member)
        d = detect.get(key)
        if r["b"] - SLACK <= f["start"] <= r["e"] + SLACK:
            ok = True                          # in flight at the fault's instant
        elif d is not None and r["b"] <= d + SLACK:
            ok = True                          # sent before the child put the member in error
        elif d is None or r["b"] >= d + a.retry - 1:
            # first contact, or the probe after retry: the member is in error
            # from this child's first refusal of it on
            later = [t for t in refused_at.get(key, ()) if t >= r["b"] - SLACK]
            detect[key] = later[0] if later else r["e"]
            f["bursts"] += 1
            ok = True
        else:
            ok = False                         # the member was not put in error
        if f["kind"] == "stall":
            f["max_err_s"] = max(f["max_err_s"], dur)
            if dur > a.stall_bound + 1.5:
                ok = False
        if ok:
            f["errors_inflight"] += 1
        else:
            f["errors_beyond"] += 1
            beyond_list.append("%s %s status %d member %s child %s %.2fs" % (f["name"], rel(r["b"]), r["st"], member, r["pid"], dur))
        continue
    g = graceful_at(r["b"], r["e"])
    if g is not None:
        g["errors_inflight"] += 1
        continue
    unattributed["status %d" % r["st"]] += 1
    beyond_list.append("none %s status %d member %s child %s %.2fs" % (rel(r["b"]), r["st"], member, r["pid"], dur))

# ---------------------------------------------------------------- client logs
client = {}
for name in ("client", "client-slow"):
    p = os.path.join(W, name + ".log")
    rows = []
    if os.path.exists(p):
        for line in open(p):
            f = line.split()
            rows.append(dict(b=float(f[0]), e=float(f[1]), w=f[2], n=int(f[3]), reused=f[4] == "1"))
    client[name] = rows
# AH01102: a reused backend connection broke while the request was on it;
# httpd then closes the client's connection without an answer, so that the
# client retries (what it does with a keep-alive connection closed while idle)
broke = []         # (time, member)
for line in open(os.path.join(W, "front/logs/error.log"), errors="replace"):
    m = re.match(r"\[(\w+ \w+ \d+ [\d:.]+ \d+)\].*AH01102: .* remote server 127\.0\.0\.1:(\d+)", line)
    if m:
        t = logtime(m.group(1))
        broke.append((t, member_of_worker.get("https://127.0.0.1:" + m.group(2), m.group(2))))
cl_err = collections.Counter()
for name, rows in client.items():
    for r in rows:
        if r["w"].isdigit():
            continue
        cl_err[r["w"]] += 1
        g = None
        for f in faults:
            if f["kind"] != "graceful":
                continue
            if r["b"] - SLACK <= f["start"] <= r["e"] + 1.0 or \
               (r["w"] in ("eof-idle", "eof", "reset") and f["start"] - 0.5 <= r["e"] <= f["start"] + 5):
                g = f
                break
        if g is None:
            # cut by a fault on a member: in flight at that fault (a reused
            # backend connection that breaks makes httpd close the client's
            # connection without an answer, AH01102, so the client retries)
            for f in faults:
                if f["kind"] != "graceful" and r["b"] - SLACK <= f["start"] <= r["e"] + 0.5:
                    f["errors_inflight"] += 1
                    g = f
                    break
            for t, member in broke if g is None else ():
                f = member_fault(member, t)
                if f is not None and r["b"] - SLACK <= t <= r["e"] + SLACK:
                    f["errors_inflight"] += 1
                    g = f
                    break
            if g is not None and g["kind"] != "graceful":
                continue
        if g is not None and r["w"] == "eof-idle":
            g["idle_closed"] += 1
        elif g is not None:
            g["errors_inflight"] += 1
        else:
            unattributed["client " + r["w"]] += 1
            beyond_list.append("none %s client %s (%s) %.2fs" % (rel(r["b"]), r["w"], name, r["e"] - r["b"]))

n_client = sum(len(v) for v in client.values())
n_client_2xx = sum(1 for v in client.values() for r in v if r["w"].isdigit() and 200 <= int(r["w"]) < 300)
n_client_http_err = sum(1 for v in client.values() for r in v if r["w"].isdigit() and not 200 <= int(r["w"]) < 300)
n_slow = len(client["client-slow"])
n_slow_ok = sum(1 for r in client["client-slow"] if r["w"] == "200")

# ---------------------------------------------------------------- violations
viol = collections.Counter()
backend_lines = collections.Counter()
p = os.path.join(W, "backends.log")
if os.path.exists(p):
    for line in open(p):
        m = re.search(r"member=(\S+) cert=(\S+)", line)
        if not m:
            continue
        backend_lines["%s/%s" % m.groups()] += 1
        if m.group(2) in ("good2", "expired"):
            viol["%s/%s" % m.groups()] += 1

# ---------------------------------------------------------------- RSS
samples = collections.defaultdict(list)   # pid -> [(t, kB)]
kind = {}
for line in open(os.path.join(W, "rss.log")):
    f = line.split()
    if len(f) != 4:
        continue
    t = int(f[0]) / 1000.0
    if t > T_END:
        continue
    samples[f[1]].append((t, int(f[3])))
    kind[f[1]] = f[2]
bounds = [T0] + gracefuls + [T_END]
gens = []
# warm-up: a child is judged from its first sample after it served WARM_REQ
# requests (and 25 % of the generation); one that never did is listed idle
WARM_REQ = 1000
served_by = collections.defaultdict(list)
for r in front:
    served_by[r["pid"]].append(r["e"])
for v in served_by.values():
    v.sort()
idle = []
event_times = [t for t, n, _ in events if n not in ("start", "end")]
for i in range(len(bounds) - 1):
    g0, g1 = bounds[i], bounds[i + 1]
    length = g1 - g0
    rows = []
    for pid, ss in samples.items():
        if kind[pid] != "child":
            continue
        first = ss[0][0]
        if not (g0 - 1 <= first < g1 - 1) or (i > 0 and first < g0):
            continue                          # a child of another generation
        served = served_by.get(pid, [])
        warm_t = first + max(5.0, 0.25 * length)
        if len(served) < WARM_REQ:
            idle.append((i, pid, len(served), ss[-1][1]))
            continue                          # (almost) no traffic: not judged
        warm_t = max(warm_t, served[WARM_REQ - 1])
        life = [s for s in ss if s[0] <= g1]
        warm = [s for s in life if s[0] >= warm_t]
        if len(warm) < 2:
            continue
        start, end = warm[0], warm[-1]
        mid = min(warm, key=lambda s: abs(s[0] - (start[0] + end[0]) / 2))
        # growth between samples with no fault event, graceful restart or
        # slow-window start near them: a per-request leak shows there too,
        # a high-water mark reached at a fault (more threads busy at once) does not
        steady = sum(max(0, y[1] - x[1]) for x, y in zip(warm, warm[1:])
                     if not any(x[0] - 5 <= t <= y[0] + 1 for t in event_times))
        rows.append(dict(pid=pid, start=start[1], mid=mid[1], end=end[1], served=len(served), steady=steady,
                         growth=100.0 * (end[1] - start[1]) / start[1],
                         span=end[0] - start[0]))
    gens.append(dict(i=i, t0=g0 - T0, t1=g1 - T0, children=rows))
# After warm-up: the RSS target. Growth in a new child comes in steps at
# the first fault of each kind it meets (RELIABILITY.md, "The RSS
# question"), so a child is judged from its first sample once it has met
# every fault kind (the end of the first window of each after its first
# request; the slow window counts 70 s of 600) and served WARM_REQ requests,
# to its last sample. With graceful restarts every 120 s no child gets
# there: the target is then not judged (SOAK_GRACEFUL=0 judges it).
slow_len = 70.0 * (T_END - T0) / 600.0
kind_ends = sorted([(t, n[:-4]) for t, n, _ in events if n.endswith("_end") and n != "end"]
                   + [(t + slow_len, "slow") for t, n, _ in events if n == "slow_start"])
KINDS = {"kill", "rot", "exp", "stall", "slow"}
warmed = []
for pid, ss in samples.items():
    served = served_by.get(pid, [])
    if kind[pid] != "child" or len(served) < WARM_REQ:
        continue
    seen, warm_t = set(), None
    for te, k in kind_ends:
        if te > served[0] and k in KINDS:
            seen.add(k)
            if seen == KINDS:
                warm_t = max(te, served[WARM_REQ - 1])
                break
    warm = [s for s in ss if warm_t is not None and s[0] >= warm_t]
    if len(warm) >= 2:
        warmed.append(dict(pid=pid, t=warm[0][0] - T0, start=warm[0][1], end=warm[-1][1],
                           span=warm[-1][0] - warm[0][0], growth=100.0 * (warm[-1][1] - warm[0][1]) / warm[0][1],
                           served=sum(1 for x in served if warm[0][0] <= x <= warm[-1][0])))
warm_growth = max([c["growth"] for c in warmed]) if warmed else None
all_growth = [c["growth"] for g in gens for c in g["children"]]
max_growth = max(all_growth) if all_growth else None
par = [ss for pid, ss in samples.items() if kind[pid] == "parent"]
parent = None
if par:
    ss = [s for s in par[0] if s[0] >= T0 + 10] or par[0]
    mid = min(ss, key=lambda s: abs(s[0] - (ss[0][0] + ss[-1][0]) / 2))
    parent = dict(start=ss[0][1], mid=mid[1], end=ss[-1][1])

# ---------------------------------------------------------------- refusals, log lines
def prom_refused(path):
    out = collections.Counter()
    tot = 0
    if not os.path.exists(path):
        return out, None
    for line in open(path):
        if line.startswith("proxy_reencrypt_handshakes_total{"):
            v = float(line.rsplit(" ", 1)[1])
            tot += v
            if 'result="refused"' in line:
                r = re.search(r'reason="([^"]*)"', line).group(1)
                out[r] += v
    return out, tot
ref_start, _ = prom_refused(os.path.join(W, "prom-start.txt"))
ref_end, hs_end = prom_refused(os.path.join(W, "prom-end.txt"))
refusals = {k: ref_end[k] - ref_start.get(k, 0) for k in ref_end}
n_refusals = sum(refusals.values())
kept = []
for p in sorted(glob.glob(os.path.join(W, "prom-before-graceful-*.txt"))) + [os.path.join(W, "prom-end.txt")]:
    kept.append(prom_refused(p)[1])
counts_kept = all(x is not None for x in kept) and all(kept[i] <= kept[i + 1] for i in range(len(kept) - 1))

tags = collections.Counter()
crash = []
errlog = os.path.join(W, "front/logs/error.log")
n_errlines = 0
for line in open(errlog, errors="replace"):
    m = re.search(r"\] \[([a-z_]+):([a-z0-9]+)\]", line)
    level = m.group(2) if m else "?"
    tag = re.search(r"\b(PRE\d{4}|AH\d{5})\b", line)
    tag = tag.group(1) if tag else "untagged"
    if "exit signal" in line or "AH00052" in line or "Segmentation" in line:
        crash.append(line.strip())
    if level in ("error", "crit", "alert", "emerg"):
        n_errlines += 1
        tags["%s(%s)" % (tag, level)] += 1
pre1010 = sum(v for k, v in tags.items() if k.startswith("PRE1010"))

# ---------------------------------------------------------------- print
fail = []
out = []
P = out.append
P("soak of mod_proxy_reencrypt %s: %.0f s, %d load connections + slow clients" % (a.rev, T_END - T0, 16))
P("")
P("requests: %d sent by the clients (%d got 2xx, %d a non-2xx status, %d no complete answer); "
  "%d in the front's access log" % (n_client, n_client_2xx, n_client_http_err, sum(cl_err.values()), len(load_req)))
P("  front statuses: %s" % ", ".join("%d: %d" % kv for kv in sorted(by_status.items())))
P("  client errors without an answer: %s" % (", ".join("%s: %d" % kv for kv in sorted(cl_err.items())) or "none"))
P("  slow body: %d requests of 24 KB at 8 KB/s, %d complete 200s" % (n_slow, n_slow_ok))
P("")
P("errors per fault (in flight = met the fault, see RELIABILITY.md; beyond = every other error):")
P("  (idle-closed: a keep-alive connection the restart closed as the client sent its next request)")
P("  %-16s %-8s %9s %12s %7s %7s %s" % ("fault", "member", "in-flight", "idle-closed", "beyond", "bursts", "longest failed request"))
for f in faults:
    extra = "%.2f s" % f["max_err_s"] if f["kind"] == "stall" else ""
    P("  %-16s %-8s %9d %12s %7d %7d %s" % (f["name"], f["member"] or "front", f["errors_inflight"],
      f["idle_closed"] if f["kind"] == "graceful" else "-", f["errors_beyond"], f["bursts"], extra))
P("  %-16s %-8s %9s %12s %7d" % ("no fault", "-", "-", "-", sum(unattributed.values())))
for x in beyond_list[:40]:
    P("    beyond: " + x)
n_beyond = sum(f["errors_beyond"] for f in faults) + sum(unattributed.values())
P("")
P("policy violations served (backend access logs, request served under a refused certificate): %d" % sum(viol.values()))
P("  backend requests by member/certificate: %s" % ", ".join("%s %d" % kv for kv in sorted(backend_lines.items())))
P("")
P("child RSS (kB, VmRSS) per generation (a graceful restart starts one), after warm-up / middle / end:")
for g in gens:
    cs = g["children"]
    P("  generation %d (%.0f-%.0f s): %s" % (g["i"], g["t0"], g["t1"], "; ".join(
        "pid %s %d/%d/%d (%+.1f%% over %.0f s, %d requests; %d kB of it away from faults)" % (
            c["pid"], c["start"], c["mid"], c["end"], c["growth"], c["span"], c["served"], c["steady"])
        for c in cs) or "no child measured"))
    ids = ["pid %s (%d requests, %d kB)" % (pid, n, kb) for gi, pid, n, kb in idle if gi == g["i"]]
    if ids:
        P("    idle, not judged (fewer than %d requests): %s" % (WARM_REQ, ", ".join(ids)))
if parent:
    P("  parent: %d/%d/%d kB (start/middle/end, across %d graceful restarts)" % (parent["start"], parent["mid"], parent["end"], len(gracefuls)))
P("  largest growth of a child: %s; largest growth away from faults: %s" % (
    "%.1f%%" % max_growth if max_growth is not None else "n/a",
    "%.1f%%" % max(100.0 * c["steady"] / c["start"] for g in gens for c in g["children"]) if all_growth else "n/a"))
P("  after warm-up (every fault kind met once; the RSS target): %s" % ("; ".join(
    "pid %s %d -> %d kB from %.0f s (%+.1f%% over %.0f s, %d requests)" % (
        c["pid"], c["start"], c["end"], c["t"], c["growth"], c["span"], c["served"]) for c in warmed)
    or "no child met every fault kind (graceful restarts every 120 s): not judged, see SOAK_GRACEFUL=0"))
P("")
P("refusals counted by the status page: %d (%s); status counts kept across graceful restarts: %s" % (
    n_refusals, ", ".join("%s %d" % (k, v) for k, v in sorted(refusals.items()) if v) or "none", "yes" if counts_kept else "NO"))
P("error-log lines at error or above: %d; by tag: %s" % (n_errlines, ", ".join("%s %d" % kv for kv in tags.most_common())))
if n_refusals:
    P("log lines per refusal: module PRE1010 %.2f; all error lines %.2f" % (pre1010 / n_refusals, n_errlines / n_refusals))
P("crashes (exit signal / segfault lines): %d" % len(crash))
for c in crash[:5]:
    P("  " + c)
P("")
P("targets:")


def target(name, ok, val):
    P("  %-62s %-28s %s" % (name, val, "met" if ok else "NOT MET"))
    if not ok:
        fail.append(name)

target("0 policy violations served", sum(viol.values()) == 0, str(sum(viol.values())))
target("0 errors beyond in-flight at each fault", n_beyond == 0, str(n_beyond))
stall_max = max([f["max_err_s"] for f in faults if f["kind"] == "stall"] or [0])
target("stall errors bounded by %s %.0f s (+1.5 s)" % (a.stall_kind, a.stall_bound), stall_max <= a.stall_bound + 1.5, "%.2f s" % stall_max)
if warm_growth is not None:
    target("RSS growth per child < 5% (after warm-up)", warm_growth < 5.0, "%.1f%%" % warm_growth)
else:
    P("  %-62s %-28s %s" % ("RSS growth per child < 5% (after warm-up)", "n/a", "not judged (no warmed child)"))
target("0 crashes", not crash, str(len(crash)))
target("status counts kept across graceful restarts", counts_kept, "yes" if counts_kept else "no")
print("\n".join(out))
json.dump(dict(requests=n_client, ok=n_client_2xx, beyond=n_beyond, violations=sum(viol.values()),
               max_growth=max_growth, warm_growth=warm_growth, refusals=n_refusals, errlines=n_errlines, pre1010=pre1010,
               faults=[{k: v for k, v in f.items()} for f in faults], failed=fail),
          open(os.path.join(W, "summary.json"), "w"), indent=1)
sys.exit(1 if fail else 0)
