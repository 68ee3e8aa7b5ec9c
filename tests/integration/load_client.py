#!/usr/bin/env python3
"""load_client.py - socketmap load for the resilience tests (test_load.sh,
test_slowloris.sh, test_fetch_flood.sh, test_nonreaders.sh, tests/soak/).

    load_client.py --socket PATH hold N [--partial] [--release-file F] [--seconds S]
    load_client.py --socket PATH latency --key K --want REPLY [--count N]
                   [--max-ms MS] [--persistent] [--timeout S] [--map MAP]
    load_client.py --socket PATH flood [--clients C] [--seconds S] [--seed X]
    load_client.py --socket PATH mixed --seconds S --keys-file F [--seed X]
    load_client.py --socket PATH query --keys-file F [--timeout S]
    load_client.py --socket PATH drip N [--interval S] [--seconds T] [--reconnect]
    load_client.py --socket PATH names --clients C --seconds S --pattern P
                   [--map MAP] [--timeout S]
    load_client.py --socket PATH pipeline --clients N --requests R --key K
                   [--release-file F] [--seconds T] [--read --want REPLY]
    load_client.py --socket PATH burst KEY... [--map MAP] [--timeout S]

hold      opens N connections (with --partial each sends half a request
          frame and nothing more), prints "HELD n failed=f" and holds them
          until F exists or S seconds (default 600) have passed; then
          prints "EOF e" (how many the server had closed) and closes all.
latency   sends COUNT requests "MAP KEY" one after another, each on a new
          connection (--persistent: all on one), and times each from
          connect to reply.  Prints "n=.. wrong=.. max_ms=.. p50_ms=..
          p99_ms=..", then the first wrong reply if any.  Exit 0 iff every
          reply payload equals REPLY and none took longer than --max-ms.
flood     C threads, each in a loop for S seconds: connect, send one kind
          of garbage (bad length prefixes, oversize frames, random bytes,
          missing comma, NULs, a valid frame followed by junk, half a
          frame then close), read what comes back until the server
          closes, count.  Prints "conns=.. perm=.. closed=.. errors=..".
          Exit 0 unless nothing could connect.
mixed     for S seconds, random requests for the keys in F (one "KEY
          EXPECT" per line, EXPECT is the exact reply payload or "*" for
          any), on connections that are closed and reopened now and then.
          Prints "requests=.. wrong=.. reconnects=.. max_ms=..".
          Exit 0 iff no reply was wrong.
query     asks for every key in F (one per line) on one connection, one
          after another, and prints "KEY<TAB>REPLY" per key ("-" for no
          reply; the connection is then reopened).  Exit 0.

drip      opens N connections and sends each a valid request frame one byte
          every S seconds (default 1), so slowly that it never completes,
          for T seconds (default 30); with --reconnect a connection the
          server closed is replaced at once by a new one that starts again
          (its first byte at once).  Prints "OPEN n t0_ms=..." once every
          first byte is sent (t0: wall clock, ms), then at the end
          "DRIP opened=.. closed=.. min_s=.. max_s=..": how many the server
          closed and, for those, the seconds from their first byte to the
          close.
names     C connections, each with one request outstanding at a time, ask
          for fresh names P % n (n counts up) for S seconds, each reply
          awaited at most --timeout s (default 30).  Prints "sent=..
          replies=.. notfound=.. other=.. errors=..".  Exit 0 unless no
          reply came at all.
pipeline  N connections each send R requests "MAP K" in one go and read
          nothing; prints "SENT n" and holds them until F exists or T
          seconds (default 600) have passed.  With --read, each connection
          then reads its R replies, which must all equal REPLY, and prints
          "READ ok=.. wrong=.. missing=.."; exit 0 iff every reply came and
          was right.  Then all are closed.
burst     opens one connection per KEY, then sends "MAP KEY" on each, one
          right after the other in the order given (the requests reach
          the server at the same moment), and waits up to --timeout s
          (default 30) for every reply.  Prints one line per KEY, in the
          order given: "KEY<TAB>MS<TAB>REPLY", MS the milliseconds from
          the request to its reply, REPLY the reply payload ("-" if none
          came).  Exit 0.

Replies longer than 100000 bytes or malformed count as wrong.  Standard
library only.
"""

import argparse
import os
import random
import select
import selectors
import socket
import sys
import threading
import time

MAX_REPLY = 100000


def netstring(payload):
    return b"%d:%s," % (len(payload), payload)


class Reader:
    """Reads netstrings from a socket; None on EOF/timeout/garbage."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read(self):
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                digits = self.buf[:colon]
                if not digits.isdigit() or len(digits) > 6:
                    return None
                n = int(digits)
                if n > MAX_REPLY:
                    return None
                if len(self.buf) >= colon + 1 + n + 1:
                    payload = self.buf[colon + 1:colon + 1 + n]
                    if self.buf[colon + 1 + n:colon + 2 + n] != b",":
                        return None
                    self.buf = self.buf[colon + 2 + n:]
                    return payload
            elif colon == 0 or len(self.buf) > 8:
                return None
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk


def connect(path, timeout):
    """Connect, waiting (up to timeout) while the listen backlog is full:
    a non-blocking AF_UNIX connect fails with EAGAIN then."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.002)


def cmd_hold(a):
    socks, failed = [], 0
    for i in range(a.n):
        try:
            s = connect(a.socket, 10)
            if a.partial:
                # "<len>:mtasts exa" of a frame whose length promises more
                s.sendall(b"30:mtasts exa")
            socks.append(s)
        except OSError as e:
            failed += 1
            if failed == 1:
                print("# first connect failure: %s" % e, flush=True)
    print("HELD %d failed=%d" % (len(socks), failed), flush=True)
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        if a.release_file and os.path.exists(a.release_file):
            break
        time.sleep(0.05)
    eof = 0
    for s in socks:
        try:
            s.setblocking(False)
            if s.recv(4096, socket.MSG_PEEK) == b"":
                eof += 1
        except BlockingIOError:
            pass
        except OSError:
            eof += 1
    print("EOF %d" % eof, flush=True)
    for s in socks:
        s.close()
    return 0


def cmd_latency(a):
    req = netstring(("%s %s" % (a.map, a.key)).encode())
    want = a.want.encode()
    times, wrong, first_wrong = [], 0, None
    sock = reader = None
    for i in range(a.count):
        t0 = time.monotonic()
        got = None
        try:
            if sock is None or not a.persistent:
                if sock is not None:
                    sock.close()
                sock = connect(a.socket, a.timeout)
                reader = Reader(sock)
            sock.sendall(req)
            got = reader.read()
        except OSError as e:
            got = ("error: %s" % e).encode()
            sock = None
        dt = (time.monotonic() - t0) * 1000.0
        times.append(dt)
        if got != want:
            wrong += 1
            if first_wrong is None:
                first_wrong = got
            if sock is not None:
                sock.close()
            sock = None
    if sock is not None:
        sock.close()
    times.sort()
    n = len(times)
    p50 = times[n // 2] if n else 0
    p99 = times[min(n - 1, (n * 99) // 100)] if n else 0
    mx = times[-1] if n else 0
    print("n=%d wrong=%d max_ms=%.1f p50_ms=%.1f p99_ms=%.1f" % (n, wrong, mx, p50, p99))
    if first_wrong is not None:
        print("first wrong reply: %r" % first_wrong[:200])
    return 0 if wrong == 0 and mx <= a.max_ms else 1


GARBAGE = [
    b"abc:hello,",                      # non-digit length
    b"-1:x,",                           # negative length
    b"99999999999:",                    # absurd length
    b"10001:" + b"a" * 10001 + b",",    # one byte over the request limit
    b"1000000:" + b"b" * 4096,          # oversize, promised but never sent
    b"5:hello!",                        # missing comma
    b"0:,",                             # empty request
    b"6:\x00\x00\x00\x00\x00\x00,",     # NULs
    b":,",                              # no length
    b"00000000000000000000001:a,",      # endless leading zeros
    b"15:mtasts good.tes,garbage",     # valid-looking frame, then junk
    b"3:abc,",                          # no "<map> <key>"
    b"30:mtasts half",                  # half a frame, then close
]


def flood_worker(a, seed, stats, lock, deadline):
    rnd = random.Random(seed)
    while time.monotonic() < deadline:
        kind = rnd.randrange(len(GARBAGE) + 1)
        data = GARBAGE[kind] if kind < len(GARBAGE) else bytes(
            rnd.randrange(256) for _ in range(rnd.randrange(1, 2048)))
        try:
            s = connect(a.socket, 3)
        except OSError:
            with lock:
                stats["errors"] += 1
            time.sleep(0.01)
            continue
        perm = closed = 0
        try:
            s.sendall(data)
            if kind == len(GARBAGE) - 1:
                s.close()
                s = None
            else:
                r = Reader(s)
                while True:
                    got = r.read()
                    if got is None:
                        closed = 1
                        break
                    if got.startswith(b"PERM"):
                        perm += 1
        except OSError:
            closed = 1
        if s is not None:
            s.close()
        with lock:
            stats["conns"] += 1
            stats["perm"] += perm
            stats["closed"] += closed


def cmd_flood(a):
    stats = {"conns": 0, "perm": 0, "closed": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + a.seconds
    threads = [threading.Thread(target=flood_worker, args=(a, a.seed + i, stats, lock, deadline))
               for i in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("conns=%d perm=%d closed=%d errors=%d" % (
        stats["conns"], stats["perm"], stats["closed"], stats["errors"]))
    return 0 if stats["conns"] > 0 else 1


def cmd_mixed(a):
    keys = []
    with open(a.keys_file) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 1)
            if len(parts) == 2:
                keys.append((parts[0], parts[1]))
    rnd = random.Random(a.seed)
    deadline = time.monotonic() + a.seconds
    n = wrong = reconnects = 0
    mx = 0.0
    sock = reader = None
    while time.monotonic() < deadline:
        key, want = rnd.choice(keys)
        if "%" in key:
            key = key.replace("%", "%d-%d" % (os.getpid(), rnd.randrange(1 << 30)))
        t0 = time.monotonic()
        try:
            if sock is None:
                sock = connect(a.socket, a.timeout)
                reader = Reader(sock)
                reconnects += 1
            sock.sendall(netstring(("mtasts %s" % key).encode()))
            got = reader.read()
        except OSError:
            got = None
        mx = max(mx, (time.monotonic() - t0) * 1000.0)
        n += 1
        if got is None or (want != "*" and got != want.encode()):
            wrong += 1
            if wrong <= 3:
                print("# wrong reply for %s: %r" % (key, got), flush=True)
        if got is None or rnd.random() < 0.05:
            if sock is not None:
                sock.close()
            sock = None
    if sock is not None:
        sock.close()
    print("requests=%d wrong=%d reconnects=%d max_ms=%.1f" % (n, wrong, reconnects, mx))
    return 0 if wrong == 0 else 1


def cmd_query(a):
    with open(a.keys_file) as f:
        keys = [line.strip() for line in f if line.strip()]
    sock = reader = None
    out = []
    for key in keys:
        got = None
        try:
            if sock is None:
                sock = connect(a.socket, a.timeout)
                reader = Reader(sock)
            sock.sendall(netstring(("mtasts %s" % key).encode()))
            got = reader.read()
        except OSError:
            got = None
        if got is None:
            if sock is not None:
                sock.close()
            sock = None
        out.append("%s\t%s" % (key, "-" if got is None else got.decode("utf-8", "replace")))
    if sock is not None:
        sock.close()
    print("\n".join(out))
    return 0


def cmd_drip(a):
    frame = netstring(b"mtasts " + b"d" * 40 + b".drip.test")
    # sock -> [bytes sent, time of the first byte, time of the next byte].
    # Each connection keeps its own schedule: its first byte goes at once,
    # the next ones every interval after it, and a connection the server
    # closed is seen at once (select) and, with --reconnect, replaced at
    # once.  So the drippers stay in step with the server's deadlines (the
    # first bytes are at t0, the closes at t0 + request_timeout, the
    # reconnections right after), instead of being seen on a shared one
    # second tick that raced the server's timer.
    conns = {}
    opened = 0
    closed_after = []
    deadline = time.monotonic() + a.seconds

    def send_next(s):
        c = conns[s]
        if c[0] >= len(frame) - 1:
            c[2] = float("inf")  # never the last byte: never a request
            return True
        try:
            s.send(frame[c[0]:c[0] + 1])
            if c[1] is None:
                c[1] = time.monotonic()
            c[0] += 1
        except BlockingIOError:
            pass
        except OSError:
            return False
        c[2] = time.monotonic() + a.interval
        return True

    def open_one():
        nonlocal opened
        try:
            s = connect(a.socket, 5)
        except OSError:
            return
        s.setblocking(False)
        conns[s] = [0, None, 0.0]
        opened += 1
        if not send_next(s):
            gone(s)

    def gone(s):
        c = conns.pop(s)
        if c[1] is not None:
            closed_after.append(time.monotonic() - c[1])
        s.close()
        if a.reconnect and time.monotonic() < deadline:
            open_one()

    for _ in range(a.n):
        open_one()
    # t0: the wall clock (ms) when every first byte has been sent.
    print("OPEN %d t0_ms=%d" % (opened, int(time.time() * 1000)), flush=True)
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        wake = min([c[2] for c in conns.values()] + [deadline])
        ready = select.select(list(conns), [], [], max(0.0, wake - now))[0]
        for s in ready:
            if s not in conns:
                continue
            try:
                if s.recv(4096) != b"":
                    continue
            except BlockingIOError:
                continue
            except OSError:
                pass
            gone(s)
        now = time.monotonic()
        for s in list(conns):
            if s in conns and conns[s][2] <= now and not send_next(s):
                gone(s)
    for s in conns:
        s.close()
    if closed_after:
        print("DRIP opened=%d closed=%d min_s=%.1f max_s=%.1f" % (
            opened, len(closed_after), min(closed_after), max(closed_after)))
    else:
        print("DRIP opened=%d closed=0 min_s=- max_s=-" % opened)
    return 0


def cmd_names(a):
    sel = selectors.DefaultSelector()
    counts = {"sent": 0, "replies": 0, "notfound": 0, "other": 0, "errors": 0}
    seq = [0]

    def start(s, r):
        name = a.pattern % seq[0]
        seq[0] += 1
        s.sendall(netstring(("%s %s" % (a.map, name)).encode()))
        counts["sent"] += 1
        return time.monotonic()

    def new_conn():
        try:
            s = connect(a.socket, 5)
        except OSError:
            counts["errors"] += 1
            return
        r = Reader(s)
        s.setblocking(False)
        try:
            t = start(s, r)
        except OSError:
            counts["errors"] += 1
            s.close()
            return
        sel.register(s, selectors.EVENT_READ, [r, t])

    for _ in range(a.clients):
        new_conn()
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            r, t0 = key.data
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                counts["errors"] += 1
                sel.unregister(s)
                s.close()
                new_conn()
                continue
            r.buf += chunk
            while True:
                colon = r.buf.find(b":")
                if colon <= 0:
                    break
                n = int(r.buf[:colon])
                if len(r.buf) < colon + n + 2:
                    break
                payload = r.buf[colon + 1:colon + 1 + n]
                r.buf = r.buf[colon + 2 + n:]
                counts["replies"] += 1
                counts["notfound" if payload.startswith(b"NOTFOUND") else "other"] += 1
                try:
                    key.data[1] = start(s, r)
                except OSError:
                    counts["errors"] += 1
        now = time.monotonic()
        for key in list(sel.get_map().values()):
            if now - key.data[1] > a.timeout:
                counts["errors"] += 1
                sel.unregister(key.fileobj)
                key.fileobj.close()
                new_conn()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    print("sent=%d replies=%d notfound=%d other=%d errors=%d" % (
        counts["sent"], counts["replies"], counts["notfound"], counts["other"],
        counts["errors"]))
    return 0 if counts["replies"] > 0 else 1


def cmd_pipeline(a):
    batch = netstring(("%s %s" % (a.map, a.key)).encode()) * a.requests
    socks = []
    for _ in range(a.clients):
        try:
            s = connect(a.socket, 10)
            s.sendall(batch)
            socks.append(s)
        except OSError as e:
            print("# connect or send failed: %s" % e, flush=True)
    print("SENT %d" % len(socks), flush=True)
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        if a.release_file and os.path.exists(a.release_file):
            break
        time.sleep(0.05)
    rc = 0
    if a.read:
        want = a.want.encode()
        ok = wrong = missing = 0
        for s in socks:
            s.settimeout(a.timeout)
            r = Reader(s)
            for _ in range(a.requests):
                got = r.read()
                if got is None:
                    missing += 1
                elif got == want:
                    ok += 1
                else:
                    wrong += 1
        print("READ ok=%d wrong=%d missing=%d" % (ok, wrong, missing), flush=True)
        rc = 0 if wrong == 0 and missing == 0 and socks else 1
    for s in socks:
        s.close()
    return rc


def cmd_burst(a):
    conns = [(k, connect(a.socket, a.timeout)) for k in a.keys]
    sel = selectors.DefaultSelector()
    t0 = {}
    for k, s in conns:
        s.sendall(netstring(("%s %s" % (a.map, k)).encode()))
        t0[k] = time.monotonic()
    done = {}
    for k, s in conns:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, (k, s, [b""]))
    deadline = time.monotonic() + a.timeout
    while len(done) < len(conns) and time.monotonic() < deadline:
        for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
            k, s, buf = key.data
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            buf[0] += chunk
            colon = buf[0].find(b":")
            got = None
            if colon > 0 and buf[0][:colon].isdigit():
                n = int(buf[0][:colon])
                if len(buf[0]) >= colon + 2 + n:
                    got = buf[0][colon + 1:colon + 1 + n]
            if got is not None or not chunk:
                done[k] = ((time.monotonic() - t0[k]) * 1000.0,
                           got.decode("utf-8", "replace") if got is not None else "-")
                sel.unregister(s)
    for k, s in conns:
        ms, reply = done.get(k, ((time.monotonic() - t0[k]) * 1000.0, "-"))
        print("%s\t%.0f\t%s" % (k, ms, reply), flush=True)
        s.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--socket", required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("n", type=int)
    h.add_argument("--partial", action="store_true")
    h.add_argument("--release-file")
    h.add_argument("--seconds", type=float, default=600)
    l = sub.add_parser("latency")
    l.add_argument("--key", required=True)
    l.add_argument("--want", required=True)
    l.add_argument("--map", default="mtasts")
    l.add_argument("--count", type=int, default=100)
    l.add_argument("--max-ms", type=float, default=100)
    l.add_argument("--persistent", action="store_true")
    l.add_argument("--timeout", type=float, default=10)
    f = sub.add_parser("flood")
    f.add_argument("--clients", type=int, default=4)
    f.add_argument("--seconds", type=float, default=5)
    f.add_argument("--seed", type=int, default=1)
    m = sub.add_parser("mixed")
    m.add_argument("--seconds", type=float, required=True)
    m.add_argument("--keys-file", required=True)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--timeout", type=float, default=15)
    k = sub.add_parser("query")
    k.add_argument("--keys-file", required=True)
    k.add_argument("--timeout", type=float, default=15)
    d = sub.add_parser("drip")
    d.add_argument("n", type=int)
    d.add_argument("--interval", type=float, default=1)
    d.add_argument("--seconds", type=float, default=30)
    d.add_argument("--reconnect", action="store_true")
    n = sub.add_parser("names")
    n.add_argument("--clients", type=int, required=True)
    n.add_argument("--seconds", type=float, required=True)
    n.add_argument("--pattern", required=True)
    n.add_argument("--map", default="mtasts")
    n.add_argument("--timeout", type=float, default=30)
    q = sub.add_parser("pipeline")
    q.add_argument("--clients", type=int, required=True)
    q.add_argument("--requests", type=int, required=True)
    q.add_argument("--key", required=True)
    q.add_argument("--map", default="mtasts")
    q.add_argument("--release-file")
    q.add_argument("--seconds", type=float, default=600)
    q.add_argument("--read", action="store_true")
    q.add_argument("--want", default="")
    q.add_argument("--timeout", type=float, default=30)
    b = sub.add_parser("burst")
    b.add_argument("keys", nargs="+")
    b.add_argument("--map", default="mtasts")
    b.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    return {"hold": cmd_hold, "latency": cmd_latency, "flood": cmd_flood,
            "mixed": cmd_mixed, "query": cmd_query, "drip": cmd_drip, "names": cmd_names,
            "pipeline": cmd_pipeline, "burst": cmd_burst}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
