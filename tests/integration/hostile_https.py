#!/usr/bin/env python3
"""hostile_https.py - an HTTPS policy server that misbehaves on purpose.

    hostile_https.py --addr A --port 443 --cert C --key K --mode MODE
                     [--body FILE] [--location URL] [--log FILE]

Serves GET /.well-known/mta-sts.txt over TLS with the given certificate;
the policy body is re-read from FILE for every request.  One thread per
connection.  Every request line is logged as "GET PATH host=HOST" (and
every accepted TCP connection as "CONNECT") to --log, so tests can count
fetches.  Modes:

    ok                 200 text/plain with Content-Length: a correct server
    delay:N            as ok, after waiting N seconds (N may be fractional)
                       once the request is read: a slow policy host
    redirect           301 to --location (default https://example.invalid/)
    stall              TLS handshake, read the request, then never answer
    stall-handshake    accept TCP, never start TLS
    drip               200 with Content-Length, body one byte per second
    endless-headers    status line, then a new header line every 10 ms forever
    oversize           200 text/plain, no Content-Length, the policy followed
                       by valid extension lines up to 1 MiB, then close
    oversize-cl        the same body with an honest Content-Length
    chunked-oversize   chunked encoding, the policy then endless valid lines
    truncated          Content-Length larger than the body, then close
    reset              read the request, then reset the connection (RST)
    reset-handshake    reset the TCP connection right after accept
    plain-http         answer in clear text HTTP on the TLS port
    tls11              offer TLS 1.0/1.1 only (a TLS >= 1.2 client must refuse)
    http10             HTTP/1.0 200 text/plain without Content-Length, close

Standard library only (socket, ssl, threading).
"""

import argparse
import socket
import ssl
import struct
import sys
import threading
import time

PAD_LINE = b"x-pad: " + b"a" * 56 + b"\n"  # 64 bytes, a valid extension line
ONE_MIB = 1 << 20


class Handler:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(args.cert, args.key)
        if args.mode == "tls11":
            self.ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            self.ctx.minimum_version = ssl.TLSVersion.TLSv1
            self.ctx.maximum_version = ssl.TLSVersion.TLSv1_1

    def log(self, line):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(line + "\n")

    def body(self):
        try:
            with open(self.args.body, "rb") as f:
                return f.read()
        except (OSError, TypeError):
            return b"version: STSv1\nmode: enforce\nmx: mx.example\nmax_age: 86400\n"

    @staticmethod
    def reset(sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def read_request(self, conn):
        conn.settimeout(30)
        buf = b""
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            buf += chunk
        lines = buf.split(b"\r\n")
        host = ""
        for ln in lines[1:]:
            if ln.lower().startswith(b"host:"):
                host = ln[5:].strip().decode("latin-1")
        req = lines[0].decode("latin-1") if lines and lines[0] else "(no request)"
        self.log("%s host=%s" % (req.rsplit(" ", 1)[0], host))
        return buf

    def serve(self, raw):
        mode = self.args.mode
        self.log("CONNECT")
        try:
            if mode == "reset-handshake":
                self.reset(raw)
                return
            if mode == "stall-handshake":
                time.sleep(3600)
                return
            if mode == "plain-http":
                raw.settimeout(5)
                raw.recv(4096)  # a ClientHello, most likely
                self.log("PLAIN")
                raw.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + self.body())
                raw.close()
                return
            raw.settimeout(30)
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.log("TLSFAIL %s" % e)
            return
        try:
            self.respond(conn, mode)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def respond(self, conn, mode):
        self.read_request(conn)
        body = self.body()
        if mode == "reset":
            self.reset(conn)
            return
        if mode == "stall":
            time.sleep(3600)
            return
        if mode.startswith("delay:"):
            time.sleep(float(mode.split(":", 1)[1]))
            mode = "ok"
        if mode in ("ok", "tls11"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % len(body) + body)
            return
        if mode == "http10":
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body)
            return
        if mode == "redirect":
            loc = (self.args.location or "https://example.invalid/").encode()
            conn.sendall(b"HTTP/1.1 301 Moved Permanently\r\nLocation: " + loc +
                         b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if mode == "drip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % len(body))
            for i in range(len(body)):
                conn.sendall(body[i:i + 1])
                time.sleep(1)
            return
        if mode == "endless-headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
            n = 0
            while True:
                conn.sendall(b"X-Pad-%d: %s\r\n" % (n, b"b" * 200))
                n += 1
                time.sleep(0.01)
        if mode in ("oversize", "oversize-cl"):
            big = body + PAD_LINE * ((ONE_MIB - len(body)) // len(PAD_LINE))
            big += b"x-end: " + b"z" * (ONE_MIB - len(big) - 8) + b"\n"  # exactly 1 MiB
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            if mode == "oversize-cl":
                head += b"Content-Length: %d\r\n" % len(big)
            conn.sendall(head + b"\r\n")
            for i in range(0, len(big), 16384):
                conn.sendall(big[i:i + 16384])
            return
        if mode == "chunked-oversize":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
            conn.sendall(b"%x\r\n%s\r\n" % (len(body), body))
            chunk = PAD_LINE * 64
            for _ in range(4096):  # 16 MiB at most
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.sendall(b"0\r\n\r\n")
            return
        if mode == "truncated":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % (len(body) + 1000) + body)
            return
        raise SystemExit("unknown mode " + mode)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--mode", default="ok")
    p.add_argument("--body")
    p.add_argument("--location")
    p.add_argument("--log")
    args = p.parse_args()
    known = ("ok redirect stall stall-handshake drip endless-headers oversize oversize-cl "
             "chunked-oversize truncated reset reset-handshake plain-http tls11 http10").split()
    if args.mode not in known and not args.mode.startswith("delay:"):
        p.error("unknown mode %r" % args.mode)
    if args.mode.startswith("delay:"):
        try:
            float(args.mode.split(":", 1)[1])
        except ValueError:
            p.error("delay:N needs a number")
    h = Handler(args)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.addr, args.port))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=h.serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
