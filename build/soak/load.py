#!/usr/bin/env python3
# build/soak/load.py PORT PATH CONNS SECONDS OUT [EXPECT_LEN]
#
# Load generator of build/soak.sh: CONNS HTTP/1.1 keep-alive connections to
# 127.0.0.1:PORT, each sending GET PATH<n> one after the other for SECONDS.
# One line per request in OUT:  t_begin t_end status-or-error bytes reused
#   t_*      Unix time, seconds with microseconds
#   status   the HTTP status, or an error word when no complete response came:
#            "eof-idle" (a reused keep-alive connection closed before any byte
#            of the answer: the server closed it while idle, the usual race a
#            client retries), "eof" / "reset" / "timeout" / "short" (body
#            shorter than Content-Length, or than EXPECT_LEN when given),
#            "connect"
#   bytes    body bytes received
#   reused   1 when the request went over a reused connection
# No automatic retry: every failure is written down.
import asyncio, sys, time

port, path, conns, secs, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
expect = int(sys.argv[6]) if len(sys.argv) > 6 else None
TIMEOUT = 60.0
lines = []
stop_at = time.time() + secs


async def one(idx):
    r = w = None
    reused = 0
    n = 0
    while time.time() < stop_at:
        t0 = time.time()
        if w is None:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            except (OSError, asyncio.TimeoutError):
                lines.append("%.6f %.6f connect 0 0\n" % (t0, time.time()))
                await asyncio.sleep(0.2)
                continue
            reused = 0
        n += 1
        got_any = False
        body = 0
        try:
            w.write(("GET %s%d-%d HTTP/1.1\r\nHost: soak.test\r\n\r\n" % (path, idx, n)).encode())
            line = await asyncio.wait_for(r.readline(), TIMEOUT)
            if not line:
                raise EOFError
            got_any = True
            status = int(line.split()[1])
            clen = None
            close = False
            while True:
                h = await asyncio.wait_for(r.readline(), TIMEOUT)
                if not h:
                    raise EOFError
                if h in (b"\r\n", b"\n"):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                k = k.strip().lower()
                if k == "content-length":
                    clen = int(v.strip())
                elif k == "connection" and "close" in v.lower():
                    close = True
            if clen is None:
                raise ValueError("no content-length")
            while body < clen:
                chunk = await asyncio.wait_for(r.read(min(65536, clen - body)), TIMEOUT)
                if not chunk:
                    raise EOFError
                body += len(chunk)
            word = str(status)
            if expect is not None and status == 200 and body != expect:
                word = "short"
            lines.append("%.6f %.6f %s %d %d\n" % (t0, time.time(), word, body, reused))
            reused = 1
            if close:
                w.close()
                r = w = None
        except (EOFError, ConnectionError, OSError, ValueError, IndexError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            if isinstance(e, asyncio.TimeoutError):
                word = "timeout"
            elif isinstance(e, (ConnectionResetError, BrokenPipeError)):
                word = "reset" if got_any or not reused else "eof-idle"
            elif isinstance(e, (EOFError, asyncio.IncompleteReadError)):
                word = ("eof-idle" if reused else "eof") if not got_any else "short"
            else:
                word = "eof"
            lines.append("%.6f %.6f %s %d %d\n" % (t0, time.time(), word, body, reused))
            try:
                w.close()
            except Exception:
                pass
            r = w = None


async def main():
    await asyncio.gather(*(one(i) for i in range(conns)))

asyncio.run(main())
with open(out, "w") as f:
    f.writelines(lines)
