#!/usr/bin/env python3
"""build/soak/vgreport.py DIR -- verdict over memcheck XML reports (vg.PID.xml).

Fails (exit 1) on any memcheck error that is not a leak, in any process, and
on any definitely/indirectly lost block whose allocation stack has a frame
of mod_proxy_reencrypt.so or a pr_* function. Prints the counts per kind,
the processes, and the stacks of what failed (and of the other leaks, short).
"""
import collections, glob, os, sys
import xml.etree.ElementTree as ET

d = sys.argv[1]
files = sorted(glob.glob(os.path.join(d, "vg.*.xml")))
kinds = collections.Counter()
lost_module = []
lost_other = collections.Counter()
bad = []
bytes_module = bytes_other = 0
procs = 0
incomplete = []


def frames(err):
    out = []
    st = err.find("stack")
    if st is None:
        return out
    for fr in st.findall("frame"):
        out.append(((fr.findtext("fn") or "???"), os.path.basename(fr.findtext("obj") or "?"),
                    "%s:%s" % (fr.findtext("file") or "", fr.findtext("line") or "")))
    return out


def is_module(fs):
    return any("mod_proxy_reencrypt" in o or fn.startswith("pr_") for fn, o, _ in fs)


def fmt(fs, n=12):
    return "\n".join("      %s (%s %s)" % f for f in fs[:n])

for f in files:
    procs += 1
    txt = open(f, errors="replace").read()
    if "</valgrindoutput>" not in txt:
        incomplete.append(f)
        txt = txt + "</valgrindoutput>"
    try:
        root = ET.fromstring(txt)
    except ET.ParseError:
        # cut mid-record: keep what parses
        cut = txt.rfind("</error>")
        if cut < 0:
            continue
        root = ET.fromstring(txt[:cut + 8] + "</valgrindoutput>")
    for err in root.findall("error"):
        k = err.findtext("kind")
        kinds[k] += 1
        fs = frames(err)
        if k.startswith("Leak_"):
            if k not in ("Leak_DefinitelyLost", "Leak_IndirectlyLost"):
                continue
            xw = err.find("xwhat")
            lb = int(xw.findtext("leakedbytes")) if xw is not None else 0
            if is_module(fs):
                bytes_module += lb
                lost_module.append((f, k, lb, fs))
            else:
                bytes_other += lb
                top = next(("%s (%s)" % (fn, o) for fn, o, _ in fs
                            if not fn.startswith(("malloc", "calloc", "realloc", "operator new", "CRYPTO_", "apr_"))), "?")
                lost_other["%s via %s" % (k, top)] += lb
        else:
            bad.append((f, k, err.findtext("what") or (err.find("xwhat").findtext("text") if err.find("xwhat") is not None else ""), fs))

print("== valgrind memcheck: %d process reports%s" % (procs, " (%d not finished: the process was still running or killed)" % len(incomplete) if incomplete else ""))
print("  errors by kind: %s" % (", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "none"))
print("  memcheck errors (not leaks): %d" % len(bad))
for f, k, what, fs in bad[:20]:
    print("    %s %s: %s\n%s" % (os.path.basename(f), k, what, fmt(fs)))
print("  definitely/indirectly lost with a module frame: %d blocks records, %d bytes" % (len(lost_module), bytes_module))
for f, k, lb, fs in lost_module[:20]:
    print("    %s %s %d bytes\n%s" % (os.path.basename(f), k, lb, fmt(fs)))
print("  definitely/indirectly lost without a module frame: %d bytes%s" % (bytes_other, ":" if lost_other else ""))
for k, v in lost_other.most_common(15):
    print("    %7d bytes  %s" % (v, k))
ok = procs > 0 and not bad and not lost_module
print("valgrind: %s" % ("PASS (0 errors, 0 bytes lost from the module)" if ok else "FAIL"))
sys.exit(0 if ok else 1)
