"""A push service on 127.0.0.1 over TLS (a trustme certificate authority): it records each POST, checks
the VAPID ``Authorization: vapid t=<JWT>,k=<public key>`` header (the JWT's ES256 signature, its
audience and subject) and decrypts the aes128gcm body with the browser's keys, as a real push service and
browser would; it answers 201, or 410 under ``/gone/`` and 503 under ``/busy/``."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import requests
import trustme
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A browser's side of a subscription: its P-256 key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: __import__("os").urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    claims: dict[str, Any]
    vapid_key: str
    payload: dict[str, Any] | None


class FakePushService:
    def __init__(self, tmp_path: Path) -> None:
        self.browsers: dict[str, Browser] = {}  # path -> the browser subscribed there
        self.received: list[Received] = []
        self.problems: list[str] = []
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        self.ca_file = tmp_path / "push-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the standard library's name for it
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                service.record(self.path, dict(self.headers.items()), body)
                status = (
                    410 if self.path.startswith("/gone/") else 503 if self.path.startswith("/busy/") else 201
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.origin = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def endpoint(self, name: str) -> tuple[str, Browser]:
        """A new browser subscribed at ``/<name>`` (``gone/...`` answers 410)."""
        browser = Browser()
        self.browsers[f"/{name}"] = browser
        return f"{self.origin}/{name}", browser

    def session(self) -> requests.Session:
        """An HTTP session that trusts this service's certificate authority (what the adapter is given)."""
        http = requests.Session()
        http.verify = str(self.ca_file)
        http.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would replace ``verify``
        return http

    def record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            claims, key = self._check_vapid(lowered.get("authorization", ""))
        except (ValueError, InvalidSignature) as problem:
            self.problems.append(f"{path}: {problem}")
            claims, key = {}, ""
        payload = None
        if lowered.get("content-encoding") != "aes128gcm":
            self.problems.append(f"{path}: Content-Encoding {lowered.get('content-encoding')!r}")
        elif path in self.browsers:
            browser = self.browsers[path]
            plain = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        self.received.append(Received(path, lowered, claims, key, payload))

    def _check_vapid(self, header: str) -> tuple[dict[str, Any], str]:
        if not header.startswith("vapid "):
            raise ValueError(f"not a vapid Authorization header: {header[:30]!r}")
        parts = dict(part.strip().split("=", 1) for part in header[len("vapid ") :].split(","))
        token, key = parts["t"], parts["k"]
        head, claims, signature = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        if json.loads(unb64url(head)).get("alg") != "ES256":
            raise ValueError("the JWT is not ES256")
        decoded = json.loads(unb64url(claims))
        if decoded.get("aud") != self.origin:
            raise ValueError(f"audience {decoded.get('aud')!r}")
        return decoded, key

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
