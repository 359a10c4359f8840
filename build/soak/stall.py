#!/usr/bin/env python3
# build/soak/stall.py PORT TARGET_PORT -- the "stall" member of build/soak.sh.
#
# Listens on 127.0.0.1:PORT. Normally it relays every connection to
# 127.0.0.1:TARGET_PORT (an nginx with the good certificate), so the member
# is a healthy backend. SIGUSR1 switches it to stall mode, as if the backend
# had been replaced by one that accepts TCP and never answers: the relayed
# connections are cut, and every new connection is accepted and never sent a
# byte (what it sends, the ClientHello included, is read and dropped).
# SIGUSR2 switches back to relaying new connections. The port never stops
# accepting, so the front never sees "connection refused" (which would put
# the member in error before the stall could be met). SIGTERM ends it.
import asyncio, signal, sys

port, target = int(sys.argv[1]), int(sys.argv[2])
mode = "relay"
relayed = set()


async def pipe(r, w):
    try:
        while True:
            d = await r.read(65536)
            if not d:
                break
            w.write(d)
            await w.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        w.close()


async def handle(r, w):
    if mode == "stall":
        try:
            while await r.read(65536):
                pass
        except OSError:
            pass
        w.close()
        return
    try:
        ur, uw = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        w.close()
        return
    pair = (w, uw)
    relayed.add(pair)
    try:
        await asyncio.gather(pipe(r, uw), pipe(ur, w))
    finally:
        relayed.discard(pair)


def stall():
    global mode
    mode = "stall"
    for w, uw in list(relayed):
        w.transport.abort()
        uw.transport.abort()


def relay():
    global mode
    mode = "relay"


async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, stall)
    loop.add_signal_handler(signal.SIGUSR2, relay)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    srv = await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=True, backlog=512)
    async with srv:
        await srv.serve_forever()

try:
    asyncio.run(main())
except RuntimeError:
    pass
