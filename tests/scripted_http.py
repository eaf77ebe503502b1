"""A loopback HTTP server whose every answer a test scripts: status, reason phrase, headers,
a body sent slowly, headers sent slowly, redirects. Built on the integration suite's
loopback server base; it counts the requests it receives, per path."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from integration.registry import _LoopbackServer

Script = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server_side: ScriptedServer  # set on the class made for each server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self) -> None:
        self.server_side.count(self.command, self.path)
        self.server_side.script(self)

    do_GET = do_HEAD = _answer

    def reply(
        self,
        status: int,
        body: bytes = b"",
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """A whole answer at once (the reason phrase written as given, control codes too)."""
        lines = [f"{self.protocol_version} {status} {reason or 'X'}"]
        lines += [f"{k}: {v}" for k, v in {"Content-Length": len(body), **(headers or {})}.items()]
        head = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
        self.wfile.write(head + (body if self.command != "HEAD" else b""))  # one send
        self.wfile.flush()

    def drip(self, data: bytes, every: float, *, stop: threading.Event) -> None:
        """Send ``data`` one byte every ``every`` seconds (until ``stop``)."""
        for byte in data:
            if stop.is_set():
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(every)


@dataclass
class ScriptedServer(_LoopbackServer):
    script: Script = field(default=lambda handler: handler.reply(404))
    requests: Counter[str] = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> ScriptedServer:
        handler = type("ScriptedHandler", (Handler,), {"server_side": self})
        self._serve(handler, "scripted")
        return self

    def count(self, method: str, path: str) -> None:
        with self._lock:
            self.requests[f"{method} {path}"] += 1

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def total(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def close(self) -> None:
        self.stop.set()
        super().close()
