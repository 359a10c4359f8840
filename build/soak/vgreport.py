#!/usr/bin/env python3
"""build/soak/vgreport.py DIR -- verdict over memcheck reports (DIR/vg.PID.log).

Fails (exit 1) on any memcheck error that is not a leak, in any process, on
any definitely/indirectly lost block whose allocation stack has a frame of
the module (mod_proxy_reencrypt.so, a pr_*.c file or a pr_* function), and
on a process whose report never reached its ERROR SUMMARY (killed or still
running: its leaks are unknown). Prints the counts, the stacks of what
failed, and a short list of the other leaks.
"""
import collections, glob, os, re, sys

d = sys.argv[1]
LEAK = re.compile(r"^([\d,]+)(?: \(([\d,]+) direct, ([\d,]+) indirect\))? bytes in ([\d,]+) blocks are "
                  r"(definitely|indirectly|possibly) lost in loss record")
FRAME = re.compile(r"^\s+(?:at|by) 0x[0-9A-F]+: (.*)$")
NOT_ERRORS = ("HEAP SUMMARY", "LEAK SUMMARY", "ERROR SUMMARY", "For lists of", "For counts of",
              "Memcheck,", "Copyright", "Using Valgrind", "Command:", "Parent PID", "in use at exit",
              "total heap usage", "definitely lost:", "indirectly lost:", "possibly lost:",
              "still reachable:", "suppressed:", "Reachable blocks", "To see them", "Rerun with",
              "All heap blocks", "Searching for pointers", "checked ", "Warning: ", "WARNING: ",
              "Thread ", "FILE DESCRIPTORS", "Open ", "run: ", "by ", "at ", "Address ", "Block was",
              "Uninitialised value", "HINT", "is not stack")


def module_frame(fs):
    return any("mod_proxy_reencrypt" in f or re.search(r"\bpr_\w+\.c:\d+", f) or re.match(r"pr_\w+ \(", f)
               for f in fs)


procs = 0
unfinished = []
errors = []          # (file, header, frames)
mod_leaks = []       # (file, kind, bytes, frames)
other_leaks = collections.Counter()
other_bytes = 0
kinds = collections.Counter()
for path in sorted(glob.glob(os.path.join(d, "vg.*.log"))):
    lines = open(path, errors="replace").read().splitlines()
    if not lines:
        continue
    procs += 1
    body = [re.sub(r"^==\d+== ?", "", l) for l in lines if re.match(r"^==\d+==", l)]
    if not any(l.startswith("ERROR SUMMARY") for l in body):
        unfinished.append(path)
    # blocks separated by empty lines
    block = []
    blocks = []
    for l in body:
        if l.strip() == "":
            if block:
                blocks.append(block)
            block = []
        else:
            block.append(l)
    if block:
        blocks.append(block)
    for b in blocks:
        head = b[0]
        fs = [m.group(1) for m in (FRAME.match(l) for l in b[1:]) if m]
        m = LEAK.match(head)
        if m:
            kind = m.group(5)
            if kind not in ("definitely", "indirectly"):
                continue
            kinds["lost (%s)" % kind] += 1
            nbytes = int(m.group(1).replace(",", ""))
            if module_frame(fs):
                mod_leaks.append((path, kind, nbytes, fs))
            else:
                other_bytes += nbytes
                top = next((f for f in fs if not re.match(r"(malloc|calloc|realloc|memalign|posix_memalign|"
                                                            r"operator new|CRYPTO_|apr_)", f)), "?")
                other_leaks["%s: %s" % (kind, top[:110])] += nbytes
            continue
        if not fs or head.startswith(NOT_ERRORS):
            continue
        kinds[re.sub(r" of size \d+| at 0x\w+|\d+", "", head)[:60]] += 1
        errors.append((path, head, fs))


def show(fs, n=14):
    return "\n".join("      " + f for f in fs[:n])

print("== valgrind memcheck: %d process reports" % procs)
print("  by kind: %s" % (", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "nothing"))
print("  memcheck errors (not leaks): %d" % len(errors))
for p, h, fs in errors[:15]:
    print("    %s: %s\n%s" % (os.path.basename(p), h, show(fs)))
print("  definitely/indirectly lost with a module frame: %d records, %d bytes"
      % (len(mod_leaks), sum(x[2] for x in mod_leaks)))
for p, k, n, fs in mod_leaks[:15]:
    print("    %s: %d bytes %s lost\n%s" % (os.path.basename(p), n, k, show(fs)))
print("  definitely/indirectly lost without a module frame (httpd, APR, perl, OpenSSL): %d bytes" % other_bytes)
for k, v in other_leaks.most_common(12):
    print("    %8d bytes  %s" % (v, k))
if unfinished:
    print("  reports without an ERROR SUMMARY (process killed or still running): %s"
          % ", ".join(os.path.basename(u) for u in unfinished))
ok = procs > 0 and not errors and not mod_leaks and not unfinished
print("valgrind: %s" % ("PASS: 0 errors, 0 bytes lost from the module" if ok else "FAIL"))
sys.exit(0 if ok else 1)
