"""Real registries and small observing servers on 127.0.0.1, for the integration tests.

- ``start_registry``: Debian's ``docker-registry`` (distribution 2.8.2) with its own storage and
  log in a temporary directory, listening on a free loopback port.
- ``make_image`` / ``push_image``: a tiny schema-2 image (config blob, one layer blob, manifest)
  pushed through the Registry HTTP API; the same ``ImageContent`` can be pushed to several
  registries so that a mirror holds a byte-identical copy.
- ``RecordingServer``: a loopback HTTP server that records ``(method, path, query, status)`` of
  every request it answers, either by forwarding to a registry (optionally stripping a path
  prefix) or by answering one fixed status; this is how a test knows which host served which
  step.
- ``TrapProxy``: what ``HTTP_PROXY``/``HTTPS_PROXY`` point at: it records the target of every
  request (``CONNECT host:443`` or an absolute ``http://`` URL) and refuses it with 403, so a
  route that would leave the machine is observed and stopped.
- ``unused_port``: a port with nothing listening (a mirror that is down).

Every process and thread here is started by the caller's fixture and stopped by it; nothing
contacts an address other than 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import itertools
import json
import re
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER_TGZ = "application/vnd.docker.image.rootfs.diff.tar.gzip"
START_TIMEOUT = 20.0  # seconds a registry may take to answer /v2/
REQUEST_TIMEOUT = 10.0  # seconds for any single HTTP exchange made by this module

_sequence = itertools.count(1)  # one clock for every server: records can be ordered globally
_sequence_lock = threading.Lock()


def _next_sequence() -> int:
    with _sequence_lock:
        return next(_sequence)


def registry_binary() -> str | None:
    """The ``docker-registry`` executable, or None when it is not installed."""
    return shutil.which("docker-registry") or shutil.which("registry")


def unused_port() -> int:
    """A loopback port that nothing listens on right now (the kernel's choice, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


# -- images ------------------------------------------------------------------------------------


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)


@dataclass(frozen=True)
class ImageContent:
    """The bytes of one image: its config, its one layer and its manifest."""

    config: Blob
    layer: Blob
    manifest: bytes

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)

    @property
    def blobs(self) -> tuple[Blob, ...]:
        return (self.config, self.layer)


def make_image(seed: str) -> ImageContent:
    """A unique tiny image: ``seed`` is written into the layer and the config.

    Distinct seeds give distinct digests for every object, so containerd's content store never
    already holds a blob another test fetched.
    """
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        payload = f"{seed}\n".encode()
        member = tarfile.TarInfo("seed.txt")
        member.size = len(payload)
        member.mtime = 0
        member.mode = 0o644
        tar.addfile(member, io.BytesIO(payload))
    layer_tar = tar_buffer.getvalue()
    layer = Blob(LAYER_TGZ, gzip.compress(layer_tar, mtime=0))
    config_document = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer_tar)]},
    }
    config = Blob(CONFIG_V1, json.dumps(config_document, sort_keys=True).encode())
    manifest_document = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_V2,
        "config": {"mediaType": CONFIG_V1, "size": len(config.data), "digest": config.digest},
        "layers": [{"mediaType": LAYER_TGZ, "size": len(layer.data), "digest": layer.digest}],
    }
    manifest = json.dumps(manifest_document, indent=3, sort_keys=True).encode()
    return ImageContent(config=config, layer=layer, manifest=manifest)


@dataclass(frozen=True)
class PushedImage:
    """An image now present in a registry as ``<repository>:<tag>`` (and by digest)."""

    registry_url: str  # http://127.0.0.1:PORT
    repository: str  # oracle/x
    tag: str | None
    content: ImageContent

    @property
    def digest(self) -> str:
        return self.content.digest


class PushError(RuntimeError):
    """The registry refused a step of a push."""


def _exchange(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def push_blob(registry_url: str, repository: str, blob: Blob) -> None:
    """Monolithic upload: ``POST /v2/<repo>/blobs/uploads/`` then ``PUT <location>?digest=``."""
    status, headers, body = _exchange("POST", f"{registry_url}/v2/{repository}/blobs/uploads/", b"")
    if status != 202 or "Location" not in headers:
        raise PushError(f"POST blobs/uploads/ for {repository}: {status} {body[:200]!r}")
    location = headers["Location"]
    if location.startswith("/"):
        location = registry_url + location
    separator = "&" if "?" in location else "?"
    status, _, body = _exchange(
        "PUT",
        f"{location}{separator}digest={blob.digest}",
        blob.data,
        {"Content-Type": "application/octet-stream"},
    )
    if status != 201:
        raise PushError(f"PUT blob {blob.digest} to {repository}: {status} {body[:200]!r}")


def push_manifest(registry_url: str, repository: str, reference: str, manifest: bytes) -> str:
    """``PUT /v2/<repo>/manifests/<reference>``; returns the digest the registry reports."""
    status, headers, body = _exchange(
        "PUT",
        f"{registry_url}/v2/{repository}/manifests/{reference}",
        manifest,
        {"Content-Type": MANIFEST_V2},
    )
    if status != 201:
        raise PushError(f"PUT manifest {repository}:{reference}: {status} {body[:200]!r}")
    return headers.get("Docker-Content-Digest", "")


def push_image(
    registry_url: str,
    repository: str,
    content: ImageContent | None = None,
    *,
    tag: str | None = "v1",
) -> PushedImage:
    """Push ``content`` (a new image seeded by ``repository`` if None) as ``repository:tag``.

    With ``tag=None`` the manifest is pushed by digest only (no tag points at it).
    """
    content = content if content is not None else make_image(repository)
    for blob in content.blobs:
        push_blob(registry_url, repository, blob)
    digest = push_manifest(registry_url, repository, tag or content.digest, content.manifest)
    if digest != content.digest:
        raise PushError(f"registry reports digest {digest}, expected {content.digest}")
    return PushedImage(registry_url=registry_url, repository=repository, tag=tag, content=content)


def registry_catalog(registry_url: str) -> list[str]:
    """``GET /v2/_catalog``: the repositories a registry holds."""
    status, _, body = _exchange("GET", f"{registry_url}/v2/_catalog?n=1000")
    if status != 200:
        raise PushError(f"GET /v2/_catalog: {status}")
    repositories = json.loads(body).get("repositories") or []
    return [str(name) for name in repositories]


# -- the registry process ----------------------------------------------------------------------

_CONFIG_TEMPLATE = """\
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {address}
  secret: integration-tests-only
"""

# gorilla/handlers' combined log format, as distribution writes its access log.
_ACCESS_LINE = re.compile(
    r'^\S+ - \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<target>\S+) [^"]*" '
    r"(?P<status>\d{3}) "
)


@dataclass(frozen=True)
class LoggedRequest:
    """One line of a registry's access log."""

    method: str
    path: str
    query: str
    status: int


@dataclass
class RunningRegistry:
    """A ``docker-registry`` process this module started, and how to reach it."""

    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    log_path: Path

    @property
    def host(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def access_log(self) -> list[LoggedRequest]:
        """Requests the registry itself logged, in order (its own view, without any proxy)."""
        entries: list[LoggedRequest] = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            match = _ACCESS_LINE.match(line)
            if match is None:
                continue
            target = urlsplit(match["target"])
            entries.append(
                LoggedRequest(match["method"], target.path, target.query, int(match["status"]))
            )
        return entries

    def stop(self) -> None:
        _stop_process(self.process)


def _stop_process(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Terminate one process this module started; kill it if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def start_registry(directory: Path, *, binary: str | None = None) -> RunningRegistry:
    """Start a distribution registry with storage and log under ``directory``; wait for /v2/."""
    executable = binary or registry_binary()
    if executable is None:
        raise FileNotFoundError("docker-registry is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    storage = directory / "storage"
    storage.mkdir(exist_ok=True)
    log_path = directory / "registry.log"
    config_path = directory / "config.yml"
    for _attempt in range(3):  # the free port may be taken between choosing and binding it
        port = unused_port()
        config_path.write_text(
            _CONFIG_TEMPLATE.format(storage=storage, address=f"{LOOPBACK}:{port}")
        )
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [executable, "serve", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,
            )
        running = RunningRegistry(process, port, directory, log_path)
        if _wait_for_registry(running):
            return running
        running.stop()
    tail = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"docker-registry did not start; log {log_path}:\n{tail}")


def _wait_for_registry(registry: RunningRegistry) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            return False
        try:
            status, _, _ = _exchange("GET", f"{registry.url}/v2/")
        except OSError:
            status = 0
        if status == 200:
            return True
        time.sleep(0.05)
    return False


# -- observing servers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request a ``RecordingServer`` answered."""

    sequence: int  # global order across all servers in this process
    server: str  # host:port of the server that answered
    method: str
    path: str
    query: str
    status: int

    @property
    def ns(self) -> str | None:
        """The ``ns=`` parameter containerd adds for mirrors, if present."""
        values = parse_qs(self.query).get("ns")
        return values[0] if values else None


_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-authenticate",
    }
)


@dataclass
class _LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 in a daemon thread, stopped by ``close``."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _serve(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=REQUEST_TIMEOUT)
            self._thread = None


@dataclass
class RecordingServer(_LoopbackServer):
    """A loopback HTTP server that records what it answers.

    With ``backend`` it forwards every request to that registry (removing ``strip_prefix``
    from the path first, so ``/custom/v2/...`` can be served by a registry at ``/v2/...``);
    without, it answers ``status`` to everything.
    """

    backend: str | None = None  # http://127.0.0.1:PORT
    strip_prefix: str = ""
    status: int = 404
    name: str = ""
    _records: list[Exchange] = field(default_factory=list)

    def start(self) -> RecordingServer:
        self._serve(_make_recording_handler(self), f"recording-{self.name}")
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def record(self, method: str, target: str, status: int, sequence: int) -> None:
        """Note one answered request; ``sequence`` was taken when the request arrived."""
        parts = urlsplit(target)
        exchange = Exchange(sequence, self.host, method, parts.path, parts.query, status)
        with self._lock:
            self._records.append(exchange)

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def start_recording_proxy(
    backend: str, *, strip_prefix: str = "", name: str = ""
) -> RecordingServer:
    """A recording reverse proxy in front of the registry at ``backend``."""
    return RecordingServer(backend=backend, strip_prefix=strip_prefix, name=name).start()


def start_fixed_status_server(status: int, *, name: str = "") -> RecordingServer:
    """A server that answers ``status`` (with a registry-style error body) to every request."""
    return RecordingServer(status=status, name=name or f"fixed{status}").start()


def _make_recording_handler(owner: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one exchange per connection: simple and unambiguous

        def log_message(self, format: str, *args: object) -> None:
            return  # the records are the log

        def _handle(self) -> None:
            # the sequence is taken on arrival and the record is written before the answer,
            # so the client can never move on (or finish) ahead of the record
            self._sequence = _next_sequence()
            self._drain_request_body()
            if owner.backend is None:
                self._answer_fixed()
            else:
                self._forward(owner.backend)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            owner.record(self.command, self.path, status, self._sequence)
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _answer_fixed(self) -> None:
            status = owner.status
            body = json.dumps(
                {"errors": [{"code": "UNKNOWN", "message": f"fixed {status}", "detail": None}]}
            ).encode()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            self._answer(status, headers, body)

        def _drain_request_body(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""

        def _forward(self, backend: str) -> None:
            path = self.path
            prefix = owner.strip_prefix
            if prefix:
                if path == prefix or path.startswith(prefix + "/"):
                    path = path[len(prefix) :] or "/"
                else:
                    path = "/__outside_prefix__" + path  # the registry answers 404
            target = urlsplit(backend)
            connection = http.client.HTTPConnection(
                target.hostname or LOOPBACK, target.port, timeout=REQUEST_TIMEOUT
            )
            headers: dict[str, str] = {}
            for key, value in self.headers.items():  # repeated headers (skopeo sends one
                if key.lower() not in _HOP_BY_HOP:  # Accept line per type) are joined
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
            try:
                connection.request(self.command, path, body=self._body or None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                status = response.status
            except OSError as error:
                payload = f"backend {backend} failed: {error}".encode()
                kept = [("Content-Length", str(len(payload)))]
                status = 502
            finally:
                connection.close()
            self._answer(status, kept, payload)

    return Handler


@dataclass(frozen=True)
class TrappedRequest:
    """A request that would have left the machine."""

    sequence: int
    method: str  # CONNECT, GET, HEAD...
    target: str  # "registry-1.docker.io:443" for CONNECT, the absolute URL otherwise

    @property
    def host(self) -> str:
        """host:port the request was for (the scheme's default port made explicit)."""
        if self.method == "CONNECT":
            return self.target
        parts = urlsplit(self.target)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.hostname}:{port}"


@dataclass
class TrapProxy(_LoopbackServer):
    """An HTTP proxy that records every request and refuses it (403): nothing leaves."""

    _records: list[TrappedRequest] = field(default_factory=list)

    def start(self) -> TrapProxy:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _refuse(self) -> None:
                owner._note(self.command, self.path)
                self.send_response(403, "refused by the integration tests' trap proxy")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_CONNECT = do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

        self._serve(Handler, "trap")
        return self

    def _note(self, method: str, target: str) -> None:
        with self._lock:
            self._records.append(TrappedRequest(_next_sequence(), method, target))

    @property
    def url(self) -> str:
        assert self._server is not None, "trap not started"
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def requests(self) -> list[TrappedRequest]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
