#!/usr/bin/env python3
"""http_hostile.py - hostile clients of mtastsd's metrics endpoint
(test_metrics_hostile.sh).

    http_hostile.py --addr A --port P garbage N [--seed X]
    http_hostile.py --addr A --port P huge BYTES
    http_hostile.py --addr A --port P drip N [--interval S] [--seconds T]
    http_hostile.py --addr A --port P hold N [--seconds T]
    http_hostile.py --addr A --port P flood [--threads K] [--seconds T]
    http_hostile.py --addr A --port P noread [--seconds T]

garbage  N connections, each sends one kind of junk (random bytes with a
         newline, a TLS hello, an absolute-form target, HTTP/2 preface, NUL
         bytes, obs-fold, a request with a body, a bare CR), reads the
         answer until the server closes.  Prints "conns=.. codes=C:n,..
         closed=.." (closed: without any answer).
huge     sends a request line and then header fields until BYTES were
         sent or the server stops reading; prints the status line it got
         ("STATUS 431 ...") or "STATUS none".
drip     N connections send a valid request one byte every S seconds
         (default 0.5) for T seconds (default 10).  Prints "DRIP opened=..
         closed=.. max_s=..": how many the server closed and the most
         seconds from a connection's start to its close.
hold     opens N connections that send nothing, for T seconds; prints
         "HOLD opened=.. refused=.. closed=..".
flood    K threads GET /metrics in a loop for T seconds; prints
         "FLOOD ok=.. other=.. errors=..".
noread   sends GET /metrics with a 1 KiB receive buffer and reads
         nothing for T seconds; then reads what is there: prints "NOREAD
         bytes=.. closed=yes|no".
Standard library only.
"""
import argparse
import random
import socket
import threading
import time


def connect(a, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect((a.addr, a.port))
    return s


def read_all(s, limit=1 << 20):
    data = b""
    try:
        while len(data) < limit:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout, OSError):
        pass
    return data


def status_of(data):
    if data.startswith(b"HTTP/1.1 "):
        return data[9:12].decode("ascii", "replace")
    return None


JUNK = [
    lambda r: bytes(r.randrange(256) for _ in range(r.randrange(1, 300))) + b"\n",
    lambda r: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200) + b"\n",
    lambda r: b"GET http://127.0.0.1/metrics HTTP/1.1\r\n\r\n",
    lambda r: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    lambda r: b"GET /met\x00rics HTTP/1.1\r\n\r\n",
    lambda r: b"GET /metrics HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    lambda r: b"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    lambda r: b"GET /metrics HTTP/1.1\rHost: x\r\n\r\n",
    lambda r: b"DELETE /metrics HTTP/1.1\r\n\r\n",
    lambda r: b"GET /../../etc/passwd HTTP/1.1\r\n\r\n",
]


def cmd_garbage(a):
    r = random.Random(a.seed)
    codes, closed = {}, 0
    for i in range(a.n):
        try:
            s = connect(a)
            s.sendall(JUNK[i % len(JUNK)](r))
            st = status_of(read_all(s))
            s.close()
        except OSError:
            st = None
        if st is None:
            closed += 1
        else:
            codes[st] = codes.get(st, 0) + 1
    print("conns=%d codes=%s closed=%d" % (a.n, ",".join("%s:%d" % kv for kv in sorted(codes.items())), closed))


def cmd_huge(a):
    s = connect(a)
    s.settimeout(5)
    sent = 0
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        i = 0
        while sent < a.bytes:
            line = b"X-Filler-%d: %s\r\n" % (i, b"a" * 200)
            s.sendall(line)
            sent += len(line)
            i += 1
    except OSError:
        pass
    data = read_all(s)
    s.close()
    first = data.split(b"\r\n", 1)[0].decode("ascii", "replace") if data else ""
    print("STATUS %s sent=%d" % (first[9:] if first.startswith("HTTP/1.1 ") else "none", sent))


def cmd_drip(a):
    req = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: drip\r\n\r\n"
    conns, lock = [], threading.Lock()
    opened = closed = 0
    max_s = 0.0
    end = time.time() + a.seconds
    for _ in range(a.n):
        try:
            s = connect(a)
            s.setblocking(False)
            conns.append([s, time.time(), 0])
            opened += 1
        except OSError:
            pass
    while conns and time.time() < end:
        for c in list(conns):
            s, t0, off = c
            try:
                if s.recv(4096) == b"":
                    raise ConnectionResetError
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
                max_s = max(max_s, time.time() - t0)
                s.close()
                conns.remove(c)
                continue
            try:
                if off < len(req) - 1:  # never the last byte
                    s.send(req[off:off + 1])
                    c[2] = off + 1
            except OSError:
                closed += 1
                max_s = max(max_s, time.time() - t0)
                s.close()
                conns.remove(c)
        time.sleep(a.interval)
    for c in conns:
        c[0].close()
    print("DRIP opened=%d closed=%d max_s=%.1f" % (opened, closed, max_s))


def cmd_hold(a):
    conns, refused = [], 0
    for _ in range(a.n):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((a.addr, a.port))
            except BlockingIOError:
                pass
            conns.append(s)
        except OSError:
            refused += 1
    time.sleep(a.seconds)
    closed = 0
    for s in conns:
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    print("HOLD opened=%d refused=%d closed=%d" % (len(conns), refused, closed))


def cmd_flood(a):
    res = {"ok": 0, "other": 0, "errors": 0}
    lock = threading.Lock()
    end = time.time() + a.seconds

    def worker():
        while time.time() < end:
            try:
                s = connect(a)
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                st = status_of(read_all(s))
                s.close()
                key = "ok" if st == "200" else "other"
            except OSError:
                key = "errors"
            with lock:
                res[key] += 1

    ts = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("FLOOD ok=%d other=%d errors=%d" % (res["ok"], res["other"], res["errors"]))


def cmd_noread(a):
    s = connect(a, rcvbuf=1024)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(a.seconds)
    s.settimeout(2)
    data = b""
    closed = "no"
    try:
        while True:
            b = s.recv(65536)
            if not b:
                closed = "yes"
                break
            data += b
    except (ConnectionResetError, BrokenPipeError):
        closed = "yes"
    except OSError:
        pass
    s.close()
    print("NOREAD bytes=%d closed=%s" % (len(data), closed))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("garbage")
    g.add_argument("n", type=int)
    g.add_argument("--seed", type=int, default=1)
    h = sub.add_parser("huge")
    h.add_argument("bytes", type=int)
    d = sub.add_parser("drip")
    d.add_argument("n", type=int)
    d.add_argument("--interval", type=float, default=0.5)
    d.add_argument("--seconds", type=float, default=10)
    o = sub.add_parser("hold")
    o.add_argument("n", type=int)
    o.add_argument("--seconds", type=float, default=10)
    f = sub.add_parser("flood")
    f.add_argument("--threads", type=int, default=4)
    f.add_argument("--seconds", type=float, default=5)
    n = sub.add_parser("noread")
    n.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    {"garbage": cmd_garbage, "huge": cmd_huge, "drip": cmd_drip, "hold": cmd_hold,
     "flood": cmd_flood, "noread": cmd_noread}[a.cmd](a)


if __name__ == "__main__":
    main()
