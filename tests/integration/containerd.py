"""A private containerd (Debian's 1.6.20) for the integration tests, and ``ctr content fetch``.

The daemon gets its own root, state directory and socket under a temporary directory and a
config that loads little more than the content store. Registry traffic is made by the ``ctr``
process (containerd's resolver runs in the client), so both processes get ``HTTP_PROXY`` and
``HTTPS_PROXY`` pointing at the tests' trap proxy: Go never proxies loopback addresses, so the
registries on 127.0.0.1 are reached directly, and any other host is recorded and refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 20.0  # seconds for the daemon to answer ``ctr version``
FETCH_TIMEOUT = 90.0  # seconds for one ``ctr content fetch``
SOCKET_PATH_MAX = 100  # unix socket paths must stay under 108 bytes
NAMESPACE = "coverage-integration"

# Plugins that are not needed to fetch into the content store, and would otherwise touch the
# host (CRI networking, /opt/containerd) or log failures (aufs, btrfs, zfs, devmapper).
_DISABLED_PLUGINS = (
    "io.containerd.grpc.v1.cri",
    "io.containerd.internal.v1.opt",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.tracing.processor.v1.otlp",
)


def containerd_binaries() -> tuple[str, str] | None:
    """``(containerd, ctr)`` executables, or None when either is missing."""
    daemon, client = shutil.which("containerd"), shutil.which("ctr")
    if daemon is None or client is None:
        return None
    return daemon, client


def containerd_version(daemon: str) -> str:
    """``containerd --version``'s last word, e.g. ``1.6.20~ds1-1+deb12u3``."""
    output = subprocess.run(
        [daemon, "--version"], capture_output=True, text=True, timeout=10, check=False
    ).stdout.split()
    return output[-1] if output else "unknown"


def proxy_environment(trap_url: str) -> dict[str, str]:
    """This process's environment with every proxy variable pointing at the trap."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        environment[name] = trap_url
    environment["NO_PROXY"] = environment["no_proxy"] = ""
    return environment


@dataclass(frozen=True)
class FetchResult:
    ok: bool
    returncode: int
    output: str  # ctr's stdout and stderr


@dataclass
class Containerd:
    """A running containerd this module started."""

    process: subprocess.Popen[bytes]
    directory: Path
    address: Path
    ctr: str
    environment: dict[str, str]
    version: str
    log_path: Path
    scratch: Path | None = None  # a short-path directory made for the socket, removed on stop

    def ctr_command(self, *arguments: str) -> list[str]:
        return [self.ctr, "--address", str(self.address), "--namespace", NAMESPACE, *arguments]

    def fetch(self, reference: str, hosts_dir: Path) -> FetchResult:
        """``ctr content fetch --hosts-dir <hosts_dir> <reference>``: resolve, then fetch all."""
        completed = subprocess.run(
            self.ctr_command("content", "fetch", "--hosts-dir", str(hosts_dir), reference),
            capture_output=True,
            text=True,
            env=self.environment,
            timeout=FETCH_TIMEOUT,
            check=False,
        )
        return FetchResult(
            ok=completed.returncode == 0,
            returncode=completed.returncode,
            output=(completed.stdout + completed.stderr).strip(),
        )

    def pull_cri(self, reference: str) -> FetchResult:
        """CRI ``runtime.v1.ImageService/PullImage`` of ``reference`` (only for a containerd
        started with ``cri_config_path``): the route kubelet's pulls take."""
        import grpc  # test-only dependency

        image = reference.encode()
        spec = b"\x0a" + _varint(len(image)) + image  # ImageSpec{image = 1}
        request = b"\x0a" + _varint(len(spec)) + spec  # PullImageRequest{image = 1}
        with grpc.insecure_channel(f"unix://{self.address}") as channel:
            call = channel.unary_unary(
                "/runtime.v1.ImageService/PullImage",
                request_serializer=lambda data: data,
                response_deserializer=lambda data: data,
            )
            try:
                call(request, timeout=FETCH_TIMEOUT)
            except grpc.RpcError as exc:
                return FetchResult(False, 1, f"{exc.code()}: {exc.details()}")
        return FetchResult(True, 0, "")

    def log_tail(self, characters: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _cri_section(
    config_path: Path | None, directory: Path, registry: str | None = None, version: int = 2
) -> str:
    """The CRI plugin, reading hosts from ``config_path`` (or with ``registry``, TOML tables
    of its own for the registry section); the ``native`` snapshotter (no overlay mounts
    needed) and an empty CNI directory under ``directory``. A version-1 file names the
    plugin by its ID (``cri``), a version-2 file by its URI."""
    plugin = '[plugins."io.containerd.grpc.v1.cri"]' if version >= 2 else "[plugins.cri]"
    if registry is None:
        registry = f'{plugin[:-1]}.registry]\n  config_path = "{config_path}"\n'
    return (
        f"{plugin}\n  disable_tcp_service = true\n"
        f'{plugin[:-1]}.containerd]\n  snapshotter = "native"\n'
        f'{plugin[:-1]}.cni]\n  bin_dir = "{directory / "cni"}"\n'
        f'  conf_dir = "{directory / "cni"}"\n' + registry
    )


def cri_plugin_section(directory: Path, registry: str = "") -> str:
    """The CRI plugin's base settings (as ``start_containerd`` writes them) and ``registry``:
    a whole section, for a file that replaces it through ``imports``."""
    return _cri_section(None, directory, registry)


def _short_directory(directory: Path) -> tuple[Path, bool]:
    """``directory``, or a fresh short one under /tmp when its socket path would be too long."""
    if len(str(directory / "containerd.sock.ttrpc")) < SOCKET_PATH_MAX:
        return directory, False
    return Path(tempfile.mkdtemp(prefix="ctd-", dir="/tmp")), True


def start_containerd(
    directory: Path,
    *,
    trap_url: str,
    cri_config_path: Path | None = None,
    cri_registry: str | None = None,
    config_version: int = 2,
    imports: tuple[Path, ...] = (),
) -> Containerd:
    """Start containerd with root, state and socket under ``directory``; wait until it answers.
    With ``cri_config_path`` the CRI plugin runs too, with that hosts directory; with
    ``cri_registry`` (the CRI registry tables, as TOML) it runs with that registry section.
    ``config_version`` 1 writes a file without ``version``, its plugins named by ID;
    ``imports`` become the file's ``imports`` list."""
    cri = cri_config_path is not None or cri_registry is not None
    binaries = containerd_binaries()
    if binaries is None:
        raise FileNotFoundError("containerd or ctr is not installed")
    daemon, client = binaries
    directory.mkdir(parents=True, exist_ok=True)
    base, made_scratch = _short_directory(directory)
    address = base / "containerd.sock"
    config = directory / "config.toml"
    plugins = _DISABLED_PLUGINS
    if cri:
        plugins = tuple(p for p in plugins if p != "io.containerd.grpc.v1.cri")
    if config_version < 2:  # a version-1 file names plugins by their ID
        plugins = tuple(name.rsplit(".", 1)[-1] for name in plugins)
    disabled = ", ".join(f'"{name}"' for name in plugins)
    config.write_text(
        ("version = 2\n" if config_version >= 2 else "")
        + (f"imports = {json.dumps([str(p) for p in imports])}\n" if imports else "")
        + f'root = "{directory / "root"}"\n'
        f'state = "{base / "state"}"\n'
        f"disabled_plugins = [{disabled}]\n"
        "[grpc]\n"
        f'  address = "{address}"\n'
        "[ttrpc]\n"
        f'  address = "{address}.ttrpc"\n'
        "[debug]\n"
        '  level = "info"\n'
        + (_cri_section(cri_config_path, directory, cri_registry, config_version) if cri else "")
    )
    environment = proxy_environment(trap_url)
    log_path = directory / "containerd.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [daemon, "--config", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    running = Containerd(
        process=process,
        directory=directory,
        address=address,
        ctr=client,
        environment=environment,
        version=containerd_version(daemon),
        log_path=log_path,
        scratch=base if made_scratch else None,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            probe = subprocess.run(
                running.ctr_command("version"),
                capture_output=True,
                timeout=10,
                check=False,
                env=environment,
            )
        except subprocess.TimeoutExpired:  # ctr waits for a socket a failed daemon never makes
            continue
        if probe.returncode == 0:
            return running
        time.sleep(0.1)
    running.stop()
    raise RuntimeError(f"containerd did not start; log {log_path}:\n{running.log_tail()}")
