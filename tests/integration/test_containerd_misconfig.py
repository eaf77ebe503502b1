"""Broken and unusual configurations, proven against the real containerd (Debian's 1.6.20)
through both pull paths: ``ctr content fetch --hosts-dir`` and CRI ``PullImage`` (a second
containerd with the CRI plugin, whose ``config_path`` is rewritten for each case).

The classes of issue 13, each as containerd 1.6.20 behaves:

1. an entry that exists but cannot be used (a regular file named like a registry directory
   while ``_default`` exists; a ``hosts.toml`` that is a directory) fails every pull;
2. certificate files are loaded even for ``http://`` hosts, from ``hosts.toml`` or from
   Docker's certs.d layout when ``hosts.toml`` is missing or rejected: a bad one fails every
   pull, a good one changes nothing;
4. host URLs Go's ``url.Parse`` accepts (a port above 65535, ``http://``, ``http:/host``) stay
   in the list, fail at request time, and the next host is tried; a URL without a scheme is
   ``https://`` (here: a TLS error on a plain-HTTP mirror, so the analyser can only warn);
3. the TOML decoder's own rules (go-toml v1 in 1.6/1.7): a key in ALL-CAPS fills its field
   (``CAPABILITIES``), a UTF-8, UTF-16 or UTF-32 byte order mark is skipped and an invalid
   byte read as U+FFFD, two spellings of a table (or a dotted key, then its table) merge, an
   inline host comes first, a ``HOST`` table is never used, and a ``host`` entry that is not
   a table makes containerd panic; checked with ``--containerd-version 1.6`` (2.x decodes
   with go-toml v2: tests/test_hosts_toml_decoders.py, tests/test_go_toml_v1.py).

Each case runs once per path, with its own image (``<id>-ctr``, ``<id>-cri``), and the
analyser's route must agree with what containerd did (``comparison.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from tls_material import make_pem

from .comparison import disagreements, url_disagreements
from .conftest import skip_without_cri
from .containerd import Containerd, start_containerd
from .lab import Lab
from .registry import TrapProxy
from .test_containerd_routes import (
    SITUATIONS,
    UP,
    Situation,
    assert_oracle_behaviour,
    predict,
    reference_text,
)
from .world import World

pytestmark = pytest.mark.integration

PEM = make_pem()


@dataclass(frozen=True)
class Case:
    """A ``Situation`` plus files: ``files`` maps ``<dir>/<name>`` (templated like the
    directory names) to bytes, or to None for a directory; ``links`` maps a name in the
    hosts directory to the target of a symbolic link made there (both templated)."""

    situation: Situation
    files: dict[str, bytes | None] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def on(self, path: str) -> Case:
        return replace(self, situation=replace(self.situation, id=f"{self.situation.id}-{path}"))


def case(
    id: str,
    hosts: dict[str, str],
    held_by: tuple[str, ...],
    resolve: str | None,
    content: str | None,
    files: dict[str, bytes | None] | None = None,
    differs: str | None = None,
    links: dict[str, str] | None = None,
) -> Case:
    situation = Situation(id, hosts, held_by, resolve, content, differs=differs)
    return Case(situation, files or {}, links or {})


M1_TABLE = '[host."{m1}"]\n'


def _raw(prefix: bytes) -> dict[str, bytes | None]:
    """An upstream ``hosts.toml`` of ``prefix`` (raw bytes) and ``M1_TABLE``."""
    return {f"{UP}/hosts.toml": prefix + M1_TABLE.encode()}


CASES: tuple[Case, ...] = (
    # class 1: an entry that exists but cannot be used
    case(
        "file-named-like-registry-dir",
        {"_default": M1_TABLE},
        ("m1",),
        None,
        None,
        files={"{up_port_dir}": b"a regular file, not a directory\n"},
    ),
    case(
        "hosts-toml-is-a-directory",
        {},
        ("m1",),
        None,
        None,
        files={f"{UP}/hosts.toml": None},
    ),
    # containerd only stats the candidate names (hostPaths): a symlink loop elsewhere, even
    # one named like another registry, changes nothing; one named like a candidate fails
    # the stat with ELOOP (not "does not exist"), and so every pull
    case(
        "symlink-loop-elsewhere",
        {UP: M1_TABLE},
        ("m1",),
        "m1",
        "m1",
        links={"x": "y", "y": "x", "docker.io": "docker.io"},
    ),
    case(
        "symlink-loop-named-like-registry-dir",
        {UP: M1_TABLE},
        ("m1",),
        None,
        None,
        links={"{up_port_dir}": "{up_port_dir}"},
    ),
    # class 2: certificates, even for http:// hosts (the "good" cases are controls: a
    # certificate that loads changes nothing)
    case(
        "ca-not-pem",
        {UP: M1_TABLE + 'ca = "ca.pem"\n'},
        ("m1",),
        None,
        None,
        files={f"{UP}/ca.pem": b"not a certificate\n"},
    ),
    case(
        "ca-good",
        {UP: M1_TABLE + 'ca = "ca.pem"\n'},
        ("m1",),
        "m1",
        "m1",
        files={f"{UP}/ca.pem": PEM.ca},
    ),
    case(
        "client-cert-without-key",
        {UP: M1_TABLE + 'client = "client.pem"\n'},
        ("m1",),
        None,
        None,
        files={f"{UP}/client.pem": PEM.cert},
    ),
    case(
        "client-key-mismatch",
        {UP: M1_TABLE + 'client = [["c.pem", "k.pem"]]\n'},
        ("m1",),
        None,
        None,
        files={f"{UP}/c.pem": PEM.cert, f"{UP}/k.pem": PEM.other_key},
    ),
    case(
        "certs-d-bad-crt-no-hosts-toml",
        {},
        (),
        None,
        None,
        files={f"{UP}/ca.crt": b"garbage\n"},
    ),
    case(
        "certs-d-good-crt-no-hosts-toml",
        {},
        (),
        "up",
        "up",
        files={f"{UP}/ca.crt": PEM.ca, f"{UP}/client.cert": PEM.cert + PEM.key},
    ),
    case(
        "certs-d-cert-without-key-rejected-toml",
        {UP: M1_TABLE + 'capabilities = ["pull", "mirror"]\n'},
        ("m1",),
        None,
        None,
        files={f"{UP}/client.cert": PEM.cert},
    ),
    # class 4: URLs Go accepts, failing at request time
    case(
        "port-out-of-range",
        {UP: '[host."http://127.0.0.1:500111"]\n' + M1_TABLE},
        ("m1",),
        "m1",
        "m1",
    ),
    case("empty-host", {UP: '[host."http://"]\n' + M1_TABLE}, ("m1",), "m1", "m1"),
    case(
        "single-slash",
        {UP: '[host."http:/{m1_hostport}"]\n[host."{m2}"]\n'},
        ("m2",),
        "m2",
        "m2",
    ),
    # an empty port is the scheme's default (net/http canonicalAddr), not a failing URL:
    # containerd goes to mirror.example.test:443 (here: the trap), it does not give up
    case(
        "empty-port-is-the-default-port",
        {UP: 'server = "https://mirror.example.test:"\n' + M1_TABLE},
        (),
        None,
        None,
    ),
    case(
        "no-scheme-means-https",
        {UP: '[host."{m1_hostport}"]\n'},
        ("m1",),
        "up",
        "up",
        differs="no scheme: containerd uses https://",
    ),
)


#: the situations where containerd 1.6 and 2.x differ (test_containerd_routes.py accepts a
#: warning there, predicting for the newest): with --containerd-version 1.6 the analyser
#: must agree with the real 1.6.20 outright
VERSION_CASES: tuple[Case, ...] = tuple(
    Case(replace(s, id=f"{s.id}-v16", differs=None))
    for s in SITUATIONS
    if s.differs in ("1.6", "before 2.2")
)

#: class 3, go-toml v1's rules: the analyser must agree with 1.6.20 when told the version
DECODER_CASES: tuple[Case, ...] = (
    case(
        "all-caps-capabilities-v16",
        {UP: M1_TABLE + 'CAPABILITIES = ["pull"]\n'},
        ("m1",),
        "up",
        "m1",
    ),
    case("byte-order-mark-v16", {UP: "\ufeff" + M1_TABLE}, ("m1",), "m1", "m1"),
    # go-toml v1 LoadBytes (toml.go v1.9.5) drops a UTF-16 or UTF-32 mark too and reads the
    # rest as UTF-8, an invalid byte becoming U+FFFD (bytes.Runes)
    case("utf16-byte-order-mark-v16", {}, ("m1",), "m1", "m1", files=_raw(b"\xff\xfe")),
    case("utf32-byte-order-mark-v16", {}, ("m1",), "m1", "m1", files=_raw(b"\xff\xfe\0\0")),
    case("latin1-comment-v16", {}, ("m1",), "m1", "m1", files=_raw(b"# caf\xe9\n")),
    # duplicate tables are found by raw header text (parser.go parseGroup, seenTableKeys):
    # two spellings of one host merge into one table
    case(
        "host-table-spelt-twice-merges-v16",
        {UP: M1_TABLE + 'capabilities = ["pull"]\n' + "[host.'{m1}']\nskip_verify = true\n"},
        ("m1",),
        "up",
        "m1",
    ),
    case(
        "dotted-host-then-table-merges-v16",
        {UP: 'host."{m1}".capabilities = ["pull"]\n' + M1_TABLE + "skip_verify = true\n"},
        ("m1",),
        "up",
        "m1",
    ),
    # getSortedHosts (hosts.go v1.6.20) sorts by the go-toml position: an inline table has
    # none (line 0) and comes first; a dotted key has its own line
    case(
        "inline-host-comes-first-v16",
        {UP: M1_TABLE + '[host]\n"{m2}" = {{ capabilities = ["pull", "resolve"] }}\n'},
        ("m1", "m2"),
        "m2",
        "m2",
    ),
    case(
        "dotted-host-ordered-by-line-v16",
        {UP: 'host."{m2}".capabilities = ["pull", "resolve"]\n' + M1_TABLE},
        ("m1", "m2"),
        "m2",
        "m2",
    ),
    # getSortedHosts reads root.Get("host"), spelt exactly so: a HOST table is never used
    case(
        "upper-case-host-table-unused-v16",
        {UP: '[host."{m2}"]\n[HOST."{m1}"]\n'},
        ("m1",),
        "up",
        "up",
    ),
)
ONE_SIX_CASES = (*VERSION_CASES, *DECODER_CASES)

#: getSortedHosts (hosts.go v1.6.20, line 508) compares the host entries with
#: ``.(*toml.Tree)``: one that is not a table, among two or more, makes containerd panic.
#: ``ctr`` crashes; a CRI pull crashes the daemon, so that case has a containerd of its own
PANIC_CASE = case(
    "host-entry-not-a-table-panics-v16",
    {UP: '[host]\n"{m1}" = {{}}\n"{m2}" = "not a table"\n'},
    ("m1",),
    None,
    None,
)


# -- the module's world ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(lab: Lab, trap: TrapProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = World.build(lab, trap, tmp_path_factory.mktemp("catalogues"))
    everything = (*CASES, *ONE_SIX_CASES, PANIC_CASE)
    built.place(c.on(p).situation.placement for c in everything for p in ("ctr", "cri"))
    yield built


@pytest.fixture(scope="module")
def cri_hosts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cri-hosts")


@pytest.fixture(scope="module")
def cri_containerd(
    trap: TrapProxy, cri_hosts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Containerd]:
    """A containerd with the CRI plugin; its ``config_path`` is ``cri_hosts``."""
    skip_without_cri()
    daemon = start_containerd(
        tmp_path_factory.mktemp("cri"), trap_url=trap.url, cri_config_path=cri_hosts
    )
    try:
        yield daemon
    finally:
        daemon.stop()


def template_values(world: World) -> dict[str, str]:
    values = world.template_values()
    values["m1_hostport"] = world.servers["m1"].host
    return values


def write_case(world: World, item: Case, directory: Path) -> Path:
    values = template_values(world)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name, text in item.situation.hosts.items():
        host_dir = directory / name.format(**values)
        host_dir.mkdir(exist_ok=True)
        (host_dir / "hosts.toml").write_text(text.format(**values), encoding="utf-8")
    for name, data in item.files.items():
        target = directory / name.format(**values)
        target.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            target.mkdir()
        elif name.endswith("hosts.toml"):  # raw bytes around a templated text
            target.write_bytes(data.decode("latin-1").format(**values).encode("latin-1"))
        else:
            target.write_bytes(data)
    for name, link_target in item.links.items():
        (directory / name.format(**values)).symlink_to(link_target.format(**values))
    return directory


def check(
    world: World,
    containerd: Containerd,
    item: Case,
    hosts_dir: Path,
    cri: bool,
    version: str | None = None,
) -> None:
    situation = item.situation
    write_case(world, item, hosts_dir)
    reference = reference_text(world, situation)
    route, hosts = predict(world, reference, hosts_dir, version=version)
    seen = world.pull(containerd, reference, hosts_dir, situation.placement, cri=cri)
    assert_oracle_behaviour(world, situation, seen)
    registry = world.registry_name(situation.registry)
    problems = disagreements(route, seen, registry, world.observable)
    asked_for = "v1"
    problems += url_disagreements(
        seen, hosts, situation.placement.repository, asked_for, situation.placement.content
    )
    message = (
        f"{situation.id}: the analyser disagrees with containerd {containerd.version}:\n  "
        + "\n  ".join(problems)
        + f"\ncontainerd: {seen.describe()}\nanalyser: {route.to_dict()}"
    )
    if problems and situation.differs is not None:
        assert any(situation.differs in w for w in route.warnings), message
        return
    assert not problems, message


@pytest.mark.parametrize("item", [pytest.param(c, id=c.situation.id) for c in CASES])
def test_ctr_fetch_agrees(world: World, containerd: Containerd, item: Case, tmp_path: Path) -> None:
    check(world, containerd, item.on("ctr"), tmp_path / "hosts", cri=False)


@pytest.mark.parametrize("item", [pytest.param(c, id=c.situation.id) for c in CASES])
def test_cri_pull_agrees(
    world: World, cri_containerd: Containerd, cri_hosts: Path, item: Case
) -> None:
    check(world, cri_containerd, item.on("cri"), cri_hosts, cri=True)


@pytest.mark.parametrize("item", [pytest.param(c, id=c.situation.id) for c in ONE_SIX_CASES])
def test_ctr_fetch_agrees_with_the_version_given(
    world: World, containerd: Containerd, item: Case, tmp_path: Path
) -> None:
    check(world, containerd, item.on("ctr"), tmp_path / "hosts", cri=False, version="1.6")


@pytest.mark.parametrize("item", [pytest.param(c, id=c.situation.id) for c in ONE_SIX_CASES])
def test_cri_pull_agrees_with_the_version_given(
    world: World, cri_containerd: Containerd, cri_hosts: Path, item: Case
) -> None:
    check(world, cri_containerd, item.on("cri"), cri_hosts, cri=True, version="1.6")


def test_ctr_panics_where_the_analyser_says_every_pull_fails(
    world: World, containerd: Containerd, tmp_path: Path
) -> None:
    check(world, containerd, PANIC_CASE.on("ctr"), tmp_path / "hosts", cri=False, version="1.6")


def test_a_cri_pull_crashes_containerd_where_the_analyser_says_every_pull_fails(
    world: World, trap: TrapProxy, tmp_path: Path
) -> None:
    skip_without_cri()
    hosts = tmp_path / "hosts"
    write_case(world, PANIC_CASE.on("cri"), hosts)
    daemon = start_containerd(tmp_path / "cri", trap_url=trap.url, cri_config_path=hosts)
    try:
        check(world, daemon, PANIC_CASE.on("cri"), hosts, cri=True, version="1.6")
        daemon.process.wait(timeout=10)  # the panic ended the daemon
        assert "getSortedHosts" in daemon.log_tail(20000)
    finally:
        daemon.stop()
