#!/usr/bin/env python3
"""fake_smap.py - a canned socketmap server, to test the test helpers.

    fake_smap.py --socket PATH [--reply 'REQUEST=REPLY']...

Listens on the unix socket PATH and answers each netstring request
("MAP KEY") with the configured REPLY for exactly that request, or
"NOTFOUND " when there is none.  REPLY is sent as is ("OK secure",
"TEMP try later", "PERM bad", "TIMEOUT slow").  A reply of "HANG" never
answers; "CLOSE" closes the connection.  Used by test_world.sh to check
how postmap reports each reply type, so that lib.sh's expect_* helpers
are known to tell them apart before the daemon exists.  Standard library.
"""

import argparse
import os
import socket
import socketserver
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--reply", action="append", default=[])
    args = p.parse_args()
    table = {}
    for r in args.reply:
        req, _, rep = r.partition("=")
        table[req] = rep

    class H(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                self.serve()
            except OSError:
                pass

        def serve(self):
            buf = b""
            conn = self.request
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while b":" in buf:
                    head, _, rest = buf.partition(b":")
                    if not head.isdigit() or len(head) > 5:
                        conn.sendall(b"18:PERM bad netstring,")
                        return
                    n = int(head)
                    if len(rest) < n + 1:
                        break
                    req = rest[:n].decode("utf-8", "replace")
                    buf = rest[n + 1:]
                    rep = table.get(req, "NOTFOUND ")
                    if rep == "HANG":
                        time.sleep(3600)
                    if rep == "CLOSE":
                        return
                    data = rep.encode()
                    conn.sendall(str(len(data)).encode() + b":" + data + b",")

    class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    if os.path.exists(args.socket):
        os.unlink(args.socket)
    S(args.socket, H).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
