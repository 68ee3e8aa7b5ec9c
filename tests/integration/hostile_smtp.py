#!/usr/bin/env python3
"""hostile_smtp.py - an SMTP server (an MX host) that misbehaves on purpose.

    hostile_smtp.py --addr A --port 25 --mode MODE [--cert C --key K] [--log FILE]

One thread per connection.  Every line received is logged as "C: LINE"
and every accepted connection as "CONNECT" to --log, so that tests can
see what the client sent.  A well-behaved dialogue (the "ok" mode)
greets, answers EHLO with STARTTLS among its keywords, answers STARTTLS
with 220 and starts TLS with the certificate, then answers QUIT.  Modes:

    ok                as above: a correct server
    inject            answers STARTTLS with "220 ready" and, in the same
                      write, a second reply: plaintext injected ahead of TLS
    garbage           answers the connection with an HTTP error, not SMTP
    long-line         greets with one line of 100 KB and no line end
    many-lines        answers EHLO with 1000 continuation lines
    codes-differ      answers EHLO with lines of different codes
    nul               greets with a NUL byte inside the line
    drip              greets one byte per second, forever
    stall-greeting    accepts, then says nothing
    stall-ehlo        greets, then never answers EHLO
    stall-starttls    answers STARTTLS with nothing
    stall-tls         answers STARTTLS with 220, then never speaks TLS
    close             accepts and closes at once
    close-after-greeting  greets, then closes
    blocked           greets with "554 5.7.1 ... blocked" (a block list);
                      answers QUIT with 221
    ehlo-refused      answers EHLO with 502
    no-starttls       answers EHLO without STARTTLS; answers QUIT
    starttls-refused  offers STARTTLS, answers it with 454
    tls-garbage       answers STARTTLS with 220, then sends bytes that are
                      not TLS

Standard library only (socket, ssl, threading).
"""

import argparse
import socket
import ssl
import threading
import time

EHLO_OK = (b"250-hostile.invalid\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
           b"250-STARTTLS\r\n250 8BITMIME\r\n")


class Conn:
    def __init__(self, srv, sock):
        self.srv, self.sock, self.buf = srv, sock, b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        """One line from the client (b"" at EOF); logged."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                return b""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.srv.log("C: " + line.rstrip(b"\r").decode("latin-1"))
        return line.rstrip(b"\r")

    def command(self):
        """The next command's verb, upper case ("" at EOF)."""
        line = self.line()
        return line.split(b" ", 1)[0].upper().decode("latin-1") if line else ""


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.ctx = None
        if args.cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(args.cert, args.key)

    def log(self, text):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(text + "\n")

    def forever(self):
        time.sleep(3600)

    def handle(self, sock):
        c = Conn(self, sock)
        mode = self.args.mode
        try:
            self.dialogue(c, mode)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def dialogue(self, c, mode):
        if mode == "close":
            return
        if mode == "stall-greeting":
            self.forever()
        if mode == "garbage":
            c.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            self.forever()
        if mode == "long-line":
            c.send(b"220 " + b"a" * 100000)
            self.forever()
        if mode == "nul":
            c.send(b"220 hostile\x00.invalid ESMTP\r\n")
            self.forever()
        if mode == "drip":
            for b in b"220 hostile.invalid ESMTP " + b"." * 100000:
                c.send(bytes([b]))
                time.sleep(1)
            return
        if mode == "blocked":
            c.send(b"554 5.7.1 Service unavailable; client blocked using a block list\r\n")
        else:
            c.send(b"220 hostile.invalid ESMTP\r\n")
        if mode == "close-after-greeting":
            return
        while True:
            verb = c.command()
            if verb == "":
                return
            if verb == "QUIT":
                c.send(b"221 2.0.0 Bye\r\n")
                return
            if verb in ("EHLO", "HELO"):
                if mode == "stall-ehlo":
                    self.forever()
                if mode == "ehlo-refused":
                    c.send(b"502 5.5.2 Error: command not recognized\r\n")
                elif mode == "many-lines":
                    c.send(b"".join(b"250-X-LINE-%d\r\n" % i for i in range(1000)) +
                           b"250 STARTTLS\r\n")
                elif mode == "codes-differ":
                    c.send(b"250-hostile.invalid\r\n251-STARTTLS\r\n250 8BITMIME\r\n")
                elif mode == "no-starttls":
                    c.send(b"250-hostile.invalid\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                else:
                    c.send(EHLO_OK)
                continue
            if verb == "STARTTLS":
                if mode == "stall-starttls":
                    self.forever()
                if mode == "starttls-refused":
                    c.send(b"454 4.7.0 TLS not available due to local problem\r\n")
                    continue
                if mode == "inject":
                    c.send(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
                    self.forever()
                c.send(b"220 2.0.0 Ready to start TLS\r\n")
                if mode == "stall-tls":
                    self.forever()
                if mode == "tls-garbage":
                    c.send(b"this is not TLS\r\n" * 10)
                    self.forever()
                tls = self.ctx.wrap_socket(c.sock, server_side=True)
                c.sock, c.buf = tls, b""
                continue
            c.send(b"502 5.5.2 Error: command not recognized\r\n")

    def serve(self):
        fam = socket.AF_INET6 if ":" in self.args.addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.args.addr, self.args.port))
        s.listen(64)
        while True:
            sock, _ = s.accept()
            self.log("CONNECT")
            threading.Thread(target=self.handle, args=(sock,), daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=25)
    p.add_argument("--mode", default="ok")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--log")
    Server(p.parse_args()).serve()


if __name__ == "__main__":
    main()
