#!/usr/bin/env python3
"""smap_client.py - a raw socketmap client for protocol tests.

    smap_client.py --socket PATH [--timeout S] ACTION...

Connects once to the unix socket PATH and runs the actions in order,
printing one line per result.  Actions:

    req:TEXT        send TEXT as one netstring ("LEN:TEXT,")
    raw:BYTES       send BYTES as they are; Python escapes allowed
                    (raw:'5:hello,', raw:'99999999999:', raw:'\\x00')
    drip:TEXT       send the netstring of TEXT one byte per write, 5 ms apart
    pipeline:N:TEXT send N netstrings of TEXT in one write
    big:N           send a netstring whose payload is "mtasts " + N bytes
    read            read one netstring reply: prints "REPLY <payload>",
                    "CLOSED" (EOF first), "TIMEOUT" or "BADREPLY <bytes>"
    read:N          N times "read"
    eof             wait for EOF: prints "CLOSED" or "OPEN" (still open at timeout)
    sleep:S         sleep S seconds
    shut            shutdown(SHUT_WR): half-close
    close           close the connection now (further actions reconnect)

Exit status 0 unless the connection could not be made (2).
Limits: replies longer than 100000 bytes are BADREPLY.  Standard library only.
"""

import argparse
import ast
import socket
import sys
import time

MAX_REPLY = 100000


class Conn:
    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.sock = None
        self.buf = b""

    def ensure(self):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(self.timeout)
            self.sock.connect(self.path)
            self.buf = b""
        return self.sock

    def send(self, data):
        try:
            self.ensure().sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            print("SENDFAIL")

    def fill(self):
        """Read more bytes; return False on EOF/reset."""
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            return False
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_reply(self):
        self.ensure()
        try:
            while True:
                colon = self.buf.find(b":")
                if colon < 0:
                    if len(self.buf) > 10 or (self.buf and not self.buf.isdigit()):
                        return "BADREPLY %r" % self.buf[:40]
                    if not self.fill():
                        return "CLOSED" if not self.buf else "BADREPLY %r" % self.buf[:40]
                    continue
                head = self.buf[:colon]
                if not head.isdigit() or len(head) > 10:
                    return "BADREPLY %r" % self.buf[:40]
                n = int(head)
                if n > MAX_REPLY:
                    return "BADREPLY length %d" % n
                while len(self.buf) < colon + 1 + n + 1:
                    if not self.fill():
                        return "BADREPLY truncated %r" % self.buf[:40]
                payload = self.buf[colon + 1:colon + 1 + n]
                if self.buf[colon + 1 + n:colon + 2 + n] != b",":
                    return "BADREPLY no comma %r" % self.buf[:40]
                self.buf = self.buf[colon + 2 + n:]
                return "REPLY " + payload.decode("utf-8", "backslashreplace")
        except socket.timeout:
            return "TIMEOUT"

    def wait_eof(self):
        self.ensure()
        deadline = time.time() + self.timeout
        try:
            while time.time() < deadline:
                if not self.fill():
                    return "CLOSED"
        except socket.timeout:
            pass
        return "OPEN"


def netstring(data):
    return str(len(data)).encode() + b":" + data + b","


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("actions", nargs="+")
    args = p.parse_args()
    c = Conn(args.socket, args.timeout)
    try:
        c.ensure()
    except OSError as e:
        print("CONNECTFAIL %s" % e)
        return 2
    for act in args.actions:
        name, _, arg = act.partition(":")
        if name == "req":
            c.send(netstring(arg.encode("utf-8", "surrogateescape")))
        elif name == "raw":
            c.send(ast.literal_eval("b'''" + arg.replace("'''", "\\'\\'\\'") + "'''"))
        elif name == "drip":
            for b in netstring(arg.encode("utf-8", "surrogateescape")):
                c.send(bytes([b]))
                time.sleep(0.005)
        elif name == "pipeline":
            n, _, text = arg.partition(":")
            c.send(netstring(text.encode()) * int(n))
        elif name == "big":
            c.send(netstring(b"mtasts " + b"a" * int(arg)))
        elif name == "read":
            for _ in range(int(arg or 1)):
                print(c.read_reply())
        elif name == "eof":
            print(c.wait_eof())
        elif name == "sleep":
            time.sleep(float(arg))
        elif name == "shut":
            c.ensure().shutdown(socket.SHUT_WR)
        elif name == "close":
            if c.sock is not None:
                c.sock.close()
            c.sock = None
        else:
            p.error("unknown action %r" % act)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
