#!/usr/bin/env python3
"""slow_dns.py - a misbehaving DNS server, and a tiny DNS client, for tests.

Server (UDP and TCP on one address and port):
    slow_dns.py --addr 127.0.0.1 --port 5400 --records FILE.json
                [--mode MODE | --mode-file FILE] [--log FILE]

  FILE.json maps names to records: {"_mta-sts.x.test": {"TXT": [["v=STSv1;",
  " id=1"]]}, "mta-sts.x.test": {"A": ["127.0.0.1"]}, "a.test": {"CNAME":
  "b.test"}, "x.test": {"MX": [[10, "mx.x.test"]]}}; a TXT record is a list
  of character-strings, an MX record [preference, host] ("." is a null MX).  The records
  file and the mode file are re-read for every query, so a test can change
  the world while the server runs.  Modes:
    ok         answer from the records (unknown name: NXDOMAIN)
    servfail   SERVFAIL to everything
    refused    REFUSED to everything
    drop       never answer
    delay:N    answer as "ok" after N seconds (N may be fractional)
    truncate   over UDP: an empty reply with the TC bit set; over TCP: "ok"
    truncate-txt  as truncate for TXT queries, as ok for every other type
               (it once kept tests of the daemon's TXT fallback from
               depending on address lookups over TCP, which through dnsmasq
               --no-daemon sometimes took 3 s: c-ares 1.18 held its TCP
               connection open, and dnsmasq answered nothing else meanwhile;
               see src/dns.c, "TCP fallback")
  Each query is logged as "PROTO NAME TYPE MODE" to --log.

Client (prints the RCODE, plus " TC" if truncated, then one line per
answer: an address, 'CNAME target', 'MX preference host' or the TXT
strings each in quotes):
    slow_dns.py --query NAME --qtype A|TXT|AAAA|CNAME|MX --server ADDR[:PORT] [--tcp]
  Exits 0 on any reply, 1 on timeout (prints TIMEOUT).

Standard library only.  Limits: one question per query, no EDNS, no
compression in replies beyond the question pointer.
"""

import argparse
import json
import socket
import socketserver
import struct
import sys
import threading
import time

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28}
QTYPE_NAMES = {v: k for k, v in QTYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def decode_name(msg, off, depth=0):
    labels = []
    while True:
        if off >= len(msg) or depth > 20:
            raise ValueError("bad name")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            ptr = struct.unpack("!H", msg[off:off + 2])[0] & 0x3FFF
            rest, _ = decode_name(msg, ptr, depth + 1)
            labels.append(rest)
            return ".".join(x for x in labels if x), off + 2
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def parse_query(msg):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        raise ValueError("need one question")
    name, off = decode_name(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return qid, flags, name, qtype, msg[12:off + 4]


def rr(qtype, value):
    if qtype == 1:
        return socket.inet_aton(value)
    if qtype == 28:
        return socket.inet_pton(socket.AF_INET6, value)
    if qtype == 5:
        return encode_name(value)
    if qtype == 15:
        return struct.pack("!H", value[0]) + encode_name(value[1])
    if qtype == 16:
        out = b""
        for s in value:
            raw = s.encode("utf-8", "surrogateescape")[:255]
            out += bytes([len(raw)]) + raw
        return out
    raise ValueError("type")


def build_reply(qid, flags, question, rcode, answers, tc=False):
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode  # QR AA RD RA
    if tc:
        rflags |= 0x0200
    out = struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0) + question
    for owner, qtype, rdata in answers:
        out += encode_name(owner) + struct.pack("!HHIH", qtype, 1, 0, len(rdata)) + rdata
    return out


def answer(records, name, qtype):
    """Return (rcode, [(owner, type, rdata)]), following CNAMEs."""
    key = name.lower().rstrip(".")
    out = []
    for _ in range(8):
        node = records.get(key)
        if node is None:
            return (3 if not out else 0), out
        if "CNAME" in node and qtype != 5:
            out.append((key, 5, rr(5, node["CNAME"])))
            key = node["CNAME"].lower().rstrip(".")
            continue
        tname = QTYPE_NAMES.get(qtype)
        vals = node.get(tname, [])
        if tname == "CNAME":
            vals = [vals] if vals else []
        for v in vals:
            out.append((key, qtype, rr(qtype, v)))
        return 0, out
    return 2, []


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()

    def mode(self):
        if self.args.mode_file:
            try:
                with open(self.args.mode_file) as f:
                    return f.read().strip() or "ok"
            except OSError:
                return "ok"
        return self.args.mode

    def records(self):
        try:
            with open(self.args.records) as f:
                return {k.lower().rstrip("."): v for k, v in json.load(f).items()}
        except (OSError, ValueError):
            return {}

    def log(self, line):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(line + "\n")

    def handle(self, msg, proto):
        """Return the reply bytes, or None to stay silent."""
        try:
            qid, flags, name, qtype, question = parse_query(msg)
        except (ValueError, struct.error, IndexError):
            return None
        mode = self.mode()
        self.log("%s %s %s %s" % (proto, name, QTYPE_NAMES.get(qtype, qtype), mode))
        if mode == "drop":
            return None
        if mode == "servfail":
            return build_reply(qid, flags, question, 2, [])
        if mode == "refused":
            return build_reply(qid, flags, question, 5, [])
        if mode == "truncate" and proto == "udp":
            return build_reply(qid, flags, question, 0, [], tc=True)
        if mode == "truncate-txt" and proto == "udp" and QTYPE_NAMES.get(qtype) == "TXT":
            return build_reply(qid, flags, question, 0, [], tc=True)
        if mode.startswith("delay:"):
            time.sleep(float(mode.split(":", 1)[1]))
        try:
            rcode, answers = answer(self.records(), name, qtype)
        except (ValueError, OSError):
            rcode, answers = 2, []
        return build_reply(qid, flags, question, rcode, answers)


def serve(args):
    srv = Server(args)

    class UDP(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            reply = srv.handle(data, "udp")
            if reply is not None:
                sock.sendto(reply, self.client_address)

    class TCP(socketserver.BaseRequestHandler):
        def handle(self):
            conn = self.request
            conn.settimeout(30)
            try:
                while True:
                    hdr = recv_exact(conn, 2)
                    if not hdr:
                        return
                    msg = recv_exact(conn, struct.unpack("!H", hdr)[0])
                    if msg is None:
                        return
                    reply = srv.handle(msg, "tcp")
                    if reply is None:
                        time.sleep(3600)
                        return
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return

    class TUDP(socketserver.ThreadingMixIn, socketserver.UDPServer):
        daemon_threads = True
        allow_reuse_address = True

    class TTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
        daemon_threads = True
        allow_reuse_address = True

    u = TUDP((args.addr, args.port), UDP)
    t = TTCP((args.addr, args.port), TCP)
    threading.Thread(target=u.serve_forever, daemon=True).start()
    t.serve_forever()


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def query(args):
    server, _, port = args.server.partition(":")
    port = int(port or 53)
    qtype = QTYPES[args.qtype.upper()]
    qid = int(time.time() * 1000) & 0xFFFF
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(args.query) + struct.pack("!HH", qtype, 1)
    try:
        if args.tcp:
            with socket.create_connection((server, port), args.timeout) as c:
                c.settimeout(args.timeout)
                c.sendall(struct.pack("!H", len(msg)) + msg)
                hdr = recv_exact(c, 2)
                reply = recv_exact(c, struct.unpack("!H", hdr)[0]) if hdr else None
                if reply is None:
                    raise socket.timeout()
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(args.timeout)
                s.sendto(msg, (server, port))
                reply, _ = s.recvfrom(65535)
    except (socket.timeout, ConnectionError, OSError):
        print("TIMEOUT")
        return 1
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", reply[:12])
    line = RCODES.get(flags & 0xF, str(flags & 0xF))
    if flags & 0x0200:
        line += " TC"
    print(line)
    off = 12
    for _ in range(qd):
        _, off = decode_name(reply, off)
        off += 4
    for _ in range(an):
        _, off = decode_name(reply, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", reply[off:off + 10])
        off += 10
        rdata = reply[off:off + rdlen]
        if rtype == 1:
            print(socket.inet_ntoa(rdata))
        elif rtype == 28:
            print(socket.inet_ntop(socket.AF_INET6, rdata))
        elif rtype == 5:
            print("CNAME " + decode_name(reply, off)[0])
        elif rtype == 15:
            pref = struct.unpack("!H", rdata[:2])[0]
            print("MX %d %s" % (pref, decode_name(reply, off + 2)[0] or "."))
        elif rtype == 16:
            parts, i = [], 0
            while i < len(rdata):
                n = rdata[i]
                parts.append('"%s"' % rdata[i + 1:i + 1 + n].decode("utf-8", "replace"))
                i += 1 + n
            print(" ".join(parts))
        off += rdlen
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--records")
    p.add_argument("--mode", default="ok")
    p.add_argument("--mode-file")
    p.add_argument("--log")
    p.add_argument("--query")
    p.add_argument("--qtype", default="A")
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--tcp", action="store_true")
    p.add_argument("--timeout", type=float, default=3.0)
    args = p.parse_args()
    if args.query:
        return query(args)
    if not args.records:
        p.error("--records is required in server mode")
    serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
