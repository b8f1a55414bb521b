"""A small IMAP4rev1 server for tests: one mailbox, the commands ``imaplib`` sends to poll it (CAPABILITY,
STARTTLS, LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH, UID STORE +FLAGS, LOGOUT). It stands in for a
store's mail provider; the product's poller talks to it through the standard library's IMAP client.

With ``tls`` (a server ``SSLContext``, e.g. from trustme) it offers STARTTLS, or speaks TLS from the first
byte with ``implicit_tls`` (IMAPS). It records every command and whether it came over TLS, so a test can
tell that a password never crossed in clear."""

from __future__ import annotations

import re
import socketserver
import ssl
import threading
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    username: str = "support@shop.example"
    password: str = "secret"
    messages: dict[int, bytes] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    logins: int = 0
    # (command, came over TLS) for every command received, and how many connections were opened.
    commands: list[tuple[str, bool]] = field(default_factory=list)
    connections: int = 0
    greeting: str = "fake IMAP ready"
    login_refusal: str = "[AUTHENTICATIONFAILED] Invalid credentials"

    def add(self, raw: bytes) -> int:
        uid = max(self.messages, default=0) + 1
        self.messages[uid] = raw
        return uid


class _Handler(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def send(self, line: str | bytes) -> None:
        self.connection.sendall(line if isinstance(line, bytes) else line.encode())

    def _start_tls(self) -> None:
        self.connection = self.server.tls.wrap_socket(self.connection, server_side=True)  # type: ignore[attr-defined]
        self.rfile = self.connection.makefile("rb")
        self.encrypted = True

    def handle(self) -> None:
        box = self.server.mailbox  # type: ignore[attr-defined]
        tls: ssl.SSLContext | None = self.server.tls  # type: ignore[attr-defined]
        box.connections += 1
        self.encrypted = False
        try:
            if tls is not None and self.server.implicit_tls:  # type: ignore[attr-defined]
                self._start_tls()
        except (ssl.SSLError, OSError):
            return
        self.send(f"* OK {box.greeting}\r\n")
        while True:
            try:
                line = self.rfile.readline()
            except (ssl.SSLError, OSError):
                return
            if not line:
                return
            tag, _, rest = line.decode().strip().partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            box.commands.append((command, self.encrypted))
            if command == "CAPABILITY":
                offers = " STARTTLS" if tls is not None and not self.encrypted else ""
                self.send(f"* CAPABILITY IMAP4rev1{offers}\r\n{tag} OK done\r\n")
            elif command == "STARTTLS" and tls is not None and not self.encrypted:
                self.send(f"{tag} OK begin TLS now\r\n")
                try:
                    self._start_tls()
                except (ssl.SSLError, OSError):
                    return
            elif command == "LOGIN":
                user, password = [part.strip('"') for part in args.split(" ", 1)]
                if (user, password) == (box.username, box.password):
                    box.logins += 1
                    self.send(f"{tag} OK logged in\r\n")
                else:
                    self.send(f"{tag} NO {box.login_refusal}\r\n")
            elif command == "SELECT":
                self.send(f"* {len(box.messages)} EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n")
            elif command == "UID":
                self._uid(tag, args, box)
            elif command == "LOGOUT":
                self.send(f"* BYE\r\n{tag} OK bye\r\n")
                return
            else:
                self.send(f"{tag} BAD unknown command\r\n")

    def _uid(self, tag: str, args: str, box: Mailbox) -> None:
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        if sub == "SEARCH":
            unseen = " ".join(str(uid) for uid in sorted(box.messages) if uid not in box.seen)
            self.send(f"* SEARCH {unseen}\r\n{tag} OK done\r\n")
        elif sub == "FETCH":
            uid = int(rest.split(" ", 1)[0])
            raw = box.messages[uid]
            self.send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
            self.send(f"{tag} OK done\r\n")
        elif sub == "STORE":
            uid = int(rest.split(" ", 1)[0])
            if re.search(r"\\Seen", rest):
                box.seen.add(uid)
            self.send(f"* {uid} FETCH (UID {uid} FLAGS (\\Seen))\r\n{tag} OK done\r\n")
        else:
            self.send(f"{tag} BAD unknown UID command\r\n")


class FakeImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, mailbox: Mailbox, *, tls: ssl.SSLContext | None = None, implicit_tls: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mailbox = mailbox
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> FakeImapServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
