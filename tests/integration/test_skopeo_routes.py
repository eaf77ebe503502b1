"""The analyser's registries.conf routes, proven against the real containers/image.

Debian's ``skopeo`` (containers/image, the library CRI-O and Podman pull with) copies each
image from loopback docker-registry instances behind recording proxies, with
``--registries-conf`` naming the situation's file and ``HOME`` pointing at a folder whose
``.config/containers/registries.conf.d`` holds its drop-ins. The proxies' own records say
which server answered the manifest and which served every blob; the analyser's route
(``load_mirror_config(registries_conf=..., registries_conf_d=...)``) must name the same
server, and a failed copy must be a ``blocked`` route.

Catalogue <-> registry, as in the containerd suite: a mirror's list says it serves
``<up>/<path>`` exactly when its registry holds ``<path>`` (the repository it is asked for,
after any location remap).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.model import Route
from analyzer.reference import parse_image
from analyzer.route import route_image

from .lab import Lab, binary_or_skip
from .registry import ImageContent, RecordingServer, make_image, push_image

pytestmark = pytest.mark.integration

SKOPEO_MISSING = "skopeo (Debian package skopeo, containers/image 5.23) is not installed"


@dataclass(frozen=True)
class Situation:
    """One registries.conf situation and what skopeo did in it (the oracle's record).

    ``conf`` and ``drop_ins`` are templates: ``{up}``, ``{m1}``, ``{m2}`` are the servers'
    ``127.0.0.1:PORT`` and ``{repo}`` the situation's repository. ``held`` maps a role to the
    repository path it holds (``{repo}`` expanded). ``served`` is the role that serves the
    whole image (None: the copy fails).
    """

    id: str
    conf: str
    held: dict[str, str]
    served: str | None
    reference: str = "tag"
    drop_ins: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # the analyser's status, when not mirrored/fallback by role


def _reg(prefix: str, *mirrors: str, extra: str = "", location: str | None = None) -> str:
    lines = ["[[registry]]", f'prefix = "{prefix}"', f'location = "{location or prefix}"']
    lines += ["insecure = true", extra, ""]
    for mirror in mirrors:
        lines += ["[[registry.mirror]]", mirror, "insecure = true", ""]
    return "\n".join(lines) + "\n"


M1 = 'location = "{m1}"'
M2 = 'location = "{m2}"'
UP = "{up}"
REPO = "{repo}"

SITUATIONS: tuple[Situation, ...] = (
    Situation("mirror-holds", _reg(UP, M1), {"m1": REPO, "up": REPO}, "m1"),
    Situation("mirror-lacks", _reg(UP, M1), {"up": REPO}, "up"),
    Situation("second-mirror-holds", _reg(UP, M1, M2), {"m2": REPO, "up": REPO}, "m2"),
    Situation("first-mirror-wins", _reg(UP, M2, M1), {"m1": REPO, "m2": REPO}, "m2"),
    Situation(
        "digest-only-skips-tag",
        _reg(UP, M1 + '\npull-from-mirror = "digest-only"'),
        {"m1": REPO, "up": REPO},
        "up",
    ),
    Situation(
        "digest-only-serves-digest",
        _reg(UP, M1 + '\npull-from-mirror = "digest-only"'),
        {"m1": REPO, "up": REPO},
        "m1",
        reference="digest",
    ),
    Situation(
        "tag-only-skips-digest",
        _reg(UP, M1 + '\npull-from-mirror = "tag-only"'),
        {"m1": REPO, "up": REPO},
        "up",
        reference="digest",
    ),
    Situation(
        "mirror-by-digest-only-tag",
        _reg(UP, M1, extra="mirror-by-digest-only = true"),
        {"m1": REPO, "up": REPO},
        "up",
    ),
    Situation(
        "blocked-primary-mirror-serves",
        _reg(UP, M1, extra="blocked = true"),
        {"m1": REPO, "up": REPO},
        "m1",
    ),
    Situation(
        "blocked-primary-mirror-lacks", _reg(UP, M1, extra="blocked = true"), {"up": REPO}, None
    ),
    # BurntSushi matches a key to its field in any case (unifyStruct: strings.EqualFold)
    Situation(
        "blocked-key-spelt-capitalised-mirror-lacks",
        _reg(UP, M1, extra="Blocked = true"),
        {"up": REPO},
        None,
    ),
    Situation(
        "mirror-location-key-spelt-capitalised-serves",
        _reg(UP, 'Location = "{m1}"'),
        {"m1": REPO},
        "m1",
    ),
    Situation(
        "location-remap-renames",
        _reg(UP + "/" + REPO, location="{m1}/renamed/" + REPO),
        {"m1": "renamed/" + REPO, "up": REPO},
        "m1",
    ),
    Situation(
        "location-remap-has-no-fallback",
        _reg(UP + "/" + REPO, location="{m1}/renamed/" + REPO),
        {"up": REPO},
        None,
    ),
    Situation(
        "mirror-location-with-path",
        _reg(UP, 'location = "{m1}/cache"'),
        {"m1": "cache/" + REPO, "up": REPO},
        "m1",
    ),
    Situation(
        "longest-prefix-wins",
        _reg(UP, M2) + _reg(UP + "/oracle", 'location = "{m1}/oracle"'),
        {"m1": REPO, "m2": REPO, "up": REPO},
        "m1",
    ),
    Situation(
        "prefix-matches-at-boundary-only",
        _reg(UP + "/" + REPO + "x", M1) + _reg(UP, M2),
        {"m1": REPO, "m2": REPO, "up": REPO},
        "m2",
    ),
    # a mirror whose location is the registry itself: the registry serves, nothing is
    # mirrored (the analyser once said "mirrored", a false pass)
    Situation(
        "mirror-is-the-registry-itself",
        _reg(UP, 'location = "{up}"'),
        {"up": REPO},
        "up",
        status="direct",
    ),
    Situation(
        "drop-in-replaces-the-whole-entry",
        _reg(UP, M1),
        {"m1": REPO, "up": REPO},
        "up",
        drop_ins={"50-up.conf": _reg(UP)},
        status="direct",  # the drop-in's entry has no mirror left
    ),
    Situation(
        "drop-ins-in-name-order",
        _reg(UP),
        {"m1": REPO, "m2": REPO, "up": REPO},
        "m2",
        drop_ins={"10-a.conf": _reg(UP, M1), "20-b.conf": _reg(UP, M2)},
    ),
    Situation(
        "invalid-configuration-fails-every-pull",
        _reg(UP, M1 + '\npull-from-mirror = "all"', extra="mirror-by-digest-only = true"),
        {"m1": REPO, "up": REPO},
        None,
    ),
    # a value of the wrong type, in any field, fails toml.DecodeFile: "incompatible types"
    Situation(
        "wrong-type-credential-helpers-fails-every-pull",
        "credential-helpers = [5]\n" + _reg(UP, M1),
        {"m1": REPO, "up": REPO},
        None,
    ),
    Situation(
        "v1-registries-not-an-array-fails-every-pull",
        '[registries.insecure]\nregistries = "{up}"\n',
        {"up": REPO},
        None,
    ),
)


@pytest.fixture(scope="module")
def skopeo() -> str:
    return binary_or_skip("skopeo", SKOPEO_MISSING)


@pytest.fixture(scope="module")
def servers(lab: Lab) -> dict[str, RecordingServer]:
    return {
        role: lab.proxy(lab.registry(name), name=role)
        for role, name in (("up", "upstream"), ("m1", "mirror1"), ("m2", "mirror2"))
    }


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


@dataclass(frozen=True)
class Seen:
    copied: bool
    output: str
    manifest_by: set[str]  # servers answering the manifest GET with 2xx
    blobs_by: set[str]  # servers answering a blob GET with 2xx


def _copy(skopeo: str, conf: Path, home: Path, reference: str, dest: Path) -> tuple[bool, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["HOME"] = str(home)
    result = subprocess.run(
        [skopeo, "--registries-conf", str(conf), "copy", f"docker://{reference}", f"dir:{dest}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    return result.returncode == 0, result.stdout + result.stderr


def _run(
    situation: Situation,
    servers: dict[str, RecordingServer],
    skopeo: str,
    tmp_path: Path,
    lab: Lab,
) -> tuple[Route, Seen, str]:
    repo = f"oracle/{situation.id}"
    values = {role: server.host for role, server in servers.items()} | {"repo": repo}
    content: ImageContent = make_image(f"skopeo-{situation.id}")
    registries = {"up": "upstream", "m1": "mirror1", "m2": "mirror2"}
    lists: dict[str, list[str]] = {"m1": [], "m2": []}
    for role, path in situation.held.items():
        stored = _fill(path, values)
        push_image(lab.registry(registries[role]).url, stored, content)
        if role in lists:
            lists[role].append(f"{servers['up'].host}/{stored}")
    specs = []
    for role, lines in lists.items():
        if not lines:  # holds nothing
            specs.append(f"{servers[role].host}=none")
            continue
        listed = tmp_path / f"{role}.txt"
        listed.write_text("".join(f"{line}\n" for line in lines))
        specs.append(f"{servers[role].host}={listed}")
    conf = tmp_path / "registries.conf"
    conf.write_text(_fill(situation.conf, values))
    home = tmp_path / "home"
    drop_dir = home / ".config" / "containers" / "registries.conf.d"
    drop_dir.mkdir(parents=True)
    for name, text in situation.drop_ins.items():
        (drop_dir / name).write_text(_fill(text, values))
    name = f"{servers['up'].host}/{repo}"
    reference = f"{name}:v1" if situation.reference == "tag" else f"{name}@{content.digest}"

    config = load_mirror_config(
        registries_conf=str(conf), registries_conf_d=str(drop_dir), node_default=None
    )
    route = route_image(parse_image(reference), config, load_catalogues(specs))

    for server in servers.values():
        server.clear()
    copied, output = _copy(skopeo, conf, home, reference, tmp_path / "copy")
    manifest_by: set[str] = set()
    blobs_by: set[str] = set()
    for server in servers.values():
        for exchange in server.exchanges():
            if exchange.method != "GET" or not 200 <= exchange.status < 300:
                continue
            if "/manifests/" in exchange.path:
                manifest_by.add(exchange.server)
            elif "/blobs/" in exchange.path:
                blobs_by.add(exchange.server)
    return (
        route,
        Seen(copied, output, manifest_by, blobs_by),
        values.get(situation.served or "", ""),
    )


@pytest.mark.parametrize("situation", SITUATIONS, ids=[s.id for s in SITUATIONS])
def test_route_agrees_with_skopeo(
    situation: Situation,
    servers: dict[str, RecordingServer],
    skopeo: str,
    tmp_path: Path,
    lab: Lab,
    no_proxy_env: None,
) -> None:
    route, seen, expected = _run(situation, servers, skopeo, tmp_path, lab)
    described = f"skopeo: copied={seen.copied} manifest={seen.manifest_by} blobs={seen.blobs_by}"
    # the harness: skopeo did what the oracle recorded
    if situation.served is None:
        assert not seen.copied, described
    else:
        assert seen.copied, seen.output
        assert seen.manifest_by == {expected} == seen.blobs_by, described
    # the analyser
    if not seen.copied:
        assert route.status == "blocked", (described, route.to_dict())
        return
    assert route.content_host is not None, route.to_dict()
    served_by = urlsplit(route.content_host).netloc
    assert {served_by} == seen.manifest_by == seen.blobs_by, (described, route.to_dict())
    assert route.resolve_host == route.content_host
    wanted = situation.status or ("fallback" if situation.served == "up" else "mirrored")
    assert route.status == wanted, route.to_dict()


# The wildcard/exact tie: FindRegistry keeps the first of the longest prefixes (by the length
# of the prefix text) in sorted order, and "*" sorts before every letter. Each entry remaps
# to a different loopback registry, so no DNS is needed: the server skopeo reached names the
# winner.
WILDCARD_TIES = (
    # (exact host, entries in file order, the winner)
    ("a.example.com", ("exact", "wildcard"), "wildcard"),  # same length: "*" sorts first
    ("a.example.com", ("wildcard", "exact"), "wildcard"),  # file order does not matter
    ("ab.example.com", ("exact", "wildcard"), "exact"),  # the longer prefix text wins
    ("ab.example.com", ("wildcard", "exact"), "exact"),
)


@pytest.mark.parametrize(
    ("exact", "order", "winner"),
    WILDCARD_TIES,
    ids=[f"{e}-{'-'.join(o)}" for e, o, _ in WILDCARD_TIES],
)
def test_wildcard_against_exact_prefix(
    exact: str,
    order: tuple[str, ...],
    winner: str,
    servers: dict[str, RecordingServer],
    skopeo: str,
    tmp_path: Path,
    lab: Lab,
    no_proxy_env: None,
) -> None:
    repo = f"oracle/tie-{exact.split('.')[0]}-{order[0]}"
    content = make_image(f"skopeo-tie-{repo}")
    for name in ("mirror1", "mirror2"):
        push_image(lab.registry(name).url, repo, content)
    location = {"wildcard": servers["m1"].host, "exact": servers["m2"].host}
    prefix = {"wildcard": "*.example.com", "exact": exact}
    conf = tmp_path / "registries.conf"
    conf.write_text(
        "".join(
            f'[[registry]]\nprefix = "{prefix[k]}"\nlocation = "{location[k]}"\ninsecure = true\n\n'
            for k in order
        )
    )
    home = tmp_path / "home"
    drop_dir = home / ".config" / "containers" / "registries.conf.d"
    drop_dir.mkdir(parents=True)
    reference = f"{exact}/{repo}:v1"
    config = load_mirror_config(
        registries_conf=str(conf), registries_conf_d=str(drop_dir), node_default=None
    )
    route = route_image(parse_image(reference), config, load_catalogues([]))

    for server in servers.values():
        server.clear()
    copied, output = _copy(skopeo, conf, home, reference, tmp_path / "copy")
    assert copied, output
    served = {
        exchange.server
        for server in servers.values()
        for exchange in server.exchanges()
        if exchange.method == "GET" and "/manifests/" in exchange.path and exchange.status < 300
    }
    assert served == {location[winner]}, output
    assert route.content_host is not None, route.to_dict()
    assert urlsplit(route.content_host).netloc == location[winner], route.to_dict()
