"""Short-name resolution, proven against the real containers/image: Debian's ``podman``
(4.3, containers/image 5.23, whose ``pkg/shortnames.Resolve`` CRI-O calls too) pulling a
short name with no terminal from loopback registries.

Each search registry (``a.example``, ``b.example``) is ``blocked`` (never contacted, so no
DNS is needed) and has one loopback mirror (``m1``, ``m2``), whose list says what it holds:
which candidates exist is then decided by the mirrors' catalogues, which the analyser
reads, and the proxies' records say which mirror served the pull. The analyser routes the
same name with ``--runtime podman`` (the file's ``short-name-mode``); CRI-O takes the mode
from crio.conf instead, which ``tests/test_short_names.py`` pins on CRI-O's source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.reference import parse_image, with_short_name
from analyzer.route import route_image

from .lab import Lab, binary_or_skip
from .registry import RecordingServer, make_image, push_image

pytestmark = pytest.mark.integration

PODMAN_MISSING = "podman (Debian package podman, containers/image 5.23) is not installed"
SEARCH = {"m1": "a.example", "m2": "b.example"}


def _entry(role: str) -> str:
    return (
        f'[[registry]]\nlocation = "{SEARCH[role]}"\nblocked = true\n'
        f'[[registry.mirror]]\nlocation = "{{{role}}}"\ninsecure = true\n\n'
    )


ENTRIES = _entry("m1") + _entry("m2")
BOTH = 'unqualified-search-registries = ["a.example", "b.example"]\n'
ONE = 'unqualified-search-registries = ["a.example"]\n'


@dataclass(frozen=True)
class Case:
    id: str
    conf: str  # the file's top level (search list, mode, aliases); ENTRIES are appended
    held: tuple[str, ...]  # the mirrors that hold the name
    served: str | None  # the mirror podman pulls from (None: the pull fails)
    drop_ins: dict[str, str] = field(default_factory=dict)


ALIAS_TO_B = '[aliases]\n"{name}" = "b.example/{name}"\n'
CASES = (
    Case("permissive-first-candidate", BOTH, ("m1", "m2"), "m1"),
    Case("permissive-next-candidate", BOTH, ("m2",), "m2"),
    Case("permissive-none-holds", BOTH, (), None),
    Case("default-mode-is-permissive", BOTH, ("m2",), "m2"),
    Case("enforcing-ambiguous-fails", BOTH + 'short-name-mode = "enforcing"\n', ("m1",), None),
    Case("enforcing-one-registry", ONE + 'short-name-mode = "enforcing"\n', ("m1",), "m1"),
    Case("disabled-every-candidate", BOTH + 'short-name-mode = "disabled"\n', ("m2",), "m2"),
    Case("alias-wins", BOTH + ALIAS_TO_B, ("m1", "m2"), "m2"),
    Case(
        "alias-wins-in-enforcing",
        BOTH + 'short-name-mode = "enforcing"\n' + ALIAS_TO_B,
        ("m1", "m2"),
        "m2",
    ),
    Case(
        "alias-reset-by-a-drop-in",
        BOTH + ALIAS_TO_B,
        ("m1", "m2"),
        "m1",
        drop_ins={"50-reset.conf": '[aliases]\n"{name}" = ""\n'},
    ),
    Case(
        "drop-in-search-list-replaces",
        BOTH,
        ("m1", "m2"),
        "m2",
        drop_ins={"50-b.conf": 'unqualified-search-registries = ["b.example"]\n'},
    ),
    Case("no-search-registry-fails", "", ("m1",), None),
)


@pytest.fixture(scope="module")
def podman() -> str:
    return binary_or_skip("podman", PODMAN_MISSING)


@pytest.fixture(scope="module")
def storage() -> Iterator[Path]:
    """Podman's storage and run directories (the run root must be short: under 50 chars)."""
    directory = Path(tempfile.mkdtemp(prefix="icpm-", dir="/tmp"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def servers(lab: Lab) -> dict[str, RecordingServer]:
    return {role: lab.proxy(lab.registry(role), name=role) for role in ("m1", "m2")}


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _pull(podman: str, conf: Path, home: Path, name: str, storage: Path) -> tuple[bool, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env |= {"HOME": str(home), "CONTAINERS_REGISTRIES_CONF": str(conf)}
    result = subprocess.run(
        [
            podman,
            "--root",
            str(storage / "storage"),
            "--runroot",
            str(storage / "run"),
            "--storage-driver",
            "vfs",
            "--events-backend",
            "none",
            "pull",
            "--quiet",
            name,
        ],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    return result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_short_name_route_agrees_with_podman(
    case: Case,
    servers: dict[str, RecordingServer],
    podman: str,
    storage: Path,
    tmp_path: Path,
    lab: Lab,
    no_proxy_env: None,
) -> None:
    name = f"oracle/short-{case.id}"  # short: "oracle" is no host; no system alias has it
    values = {role: server.host for role, server in servers.items()} | {"name": name}
    content = make_image(f"podman-{case.id}")
    specs = []
    for role in ("m1", "m2"):
        if role in case.held:
            push_image(lab.registry(role).url, name, content)
            listed = tmp_path / f"{role}.txt"
            listed.write_text(f"{SEARCH[role]}/{name}\n")
            specs.append(f"{servers[role].host}={listed}")
        else:
            specs.append(f"{servers[role].host}=none")
    conf = tmp_path / "registries.conf"
    conf.write_text(_fill(case.conf + "\n" + ENTRIES, values))
    home = tmp_path / "home"
    drop_dir = home / ".config" / "containers" / "registries.conf.d"
    drop_dir.mkdir(parents=True)
    for file, text in case.drop_ins.items():
        (drop_dir / file).write_text(_fill(text, values))
    written = f"{name}:v1"

    config = load_mirror_config(
        registries_conf=str(conf),
        registries_conf_d=str(drop_dir),
        runtime="podman",
        node_default=None,
    )
    ref = with_short_name(written, parse_image(written))
    route = route_image(ref, config, load_catalogues(specs))

    for server in servers.values():
        server.clear()
    pulled, output = _pull(podman, conf, home, written, storage)
    served = {
        exchange.server
        for server in servers.values()
        for exchange in server.exchanges()
        if exchange.method == "GET" and "/manifests/" in exchange.path and exchange.status < 300
    }
    described = f"podman: pulled={pulled} manifest from {served}: {output}"
    # the harness: podman did what the case says
    if case.served is None:
        assert not pulled, described
    else:
        assert pulled, described
        assert served == {servers[case.served].host}, described
    # the analyser
    if not pulled:
        assert route.status == "blocked", (described, route.to_dict())
        return
    assert route.status == "mirrored", (described, route.to_dict())
    assert route.content_host is not None
    assert {urlsplit(route.content_host).netloc} == served, (described, route.to_dict())
