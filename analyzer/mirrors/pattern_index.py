"""``PatternIndex``: a catalogue list's patterns as the lines they are written as, and the
lookup of an image in them (compiled by mypyc: asked for every image of a scan, and by the
advice of every failing one).

A lookup forms the lines that would hold the image (``host/path``, ``host/parent/*``,
``host/prefix/**``, on the domain and its parent domains, with and without a port, and
Docker Hub's ``library/`` form) and probes a dict for each. Parsing the lists stays in
``daocloud_lists`` (interpreted).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field

from analyzer.frozen import FrozenInit
from analyzer.mirrors.tag_rules import TagMatcher
from analyzer.mirrors.upstream import DOCKER_HUB
from analyzer.reference import ImageRef

HOST_ALIASES = {"index.docker.io": DOCKER_HUB}


@dataclass(frozen=True, eq=False, init=False)
class PatternIndex(FrozenInit):
    """The patterns as canonical lines (``pattern_key``), in file order: a lookup forms the
    lines that would hold an image and probes a dict for each, so a list of 100,000 costs
    what a list of 1,000 does. Tag rules (``mirror.txt``) sit beside their line without the
    tag; a line without a tag rule holds every tag."""

    keys: dict[str, None]  # every pattern, in file order (tagged ones with their rule)
    tagged: dict[str, tuple[tuple[TagMatcher, str], ...]]  # line -> (rule, its key)
    # each key's place in the file, made when first asked (``first``)
    _position_cache: dict[str, int] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __init__(
        self,
        keys: dict[str, None],
        tagged: dict[str, tuple[tuple[TagMatcher, str], ...]],
    ) -> None:
        # written out: compiled, the generated one leaves the cache unset (not None)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "tagged", tagged)
        object.__setattr__(self, "_position_cache", None)

    def holds(self, ref: ImageRef) -> bool:
        if self.tagged:
            return self.first(ref, every=False) is not None
        keys = self.keys
        if ref.domain.lower() + "/" + ref.path in keys:
            return True  # listed by name: the commonest answer, found without the rest
        return any(line in keys for line in _candidate_lines(ref))  # stops at the first

    def first(self, ref: ImageRef, every: bool = True) -> str | None:
        """The key of a pattern that holds ``ref``: the first in file order with ``every``,
        else whichever is found first (None: none does)."""
        tag = ref.tag if ref.tag is not None or ref.digest is not None else "latest"
        found: list[str] = []
        for line in _candidate_lines(ref):
            if line in self.keys:
                found.append(line)
            for rule, key in self.tagged.get(line, ()):
                if tag is not None and rule(tag):
                    found.append(key)
            if found and not every:
                return found[0]
        if not found:
            return None
        return min(found, key=self._positions().__getitem__)

    def _positions(self) -> dict[str, int]:
        positions = self._position_cache
        if positions is None:
            positions = {key: number for number, key in enumerate(self.keys)}
            object.__setattr__(self, "_position_cache", positions)
        return positions


def _candidate_lines(ref: ImageRef) -> Iterator[str]:
    """Every line that would hold ``ref``'s repository: exact, ``parent/*``, ``prefix/**``,
    on the domain and its parent domains (and Docker Hub's ``library/`` form)."""
    path = ref.path
    tails = _tails(path)
    for host in _candidate_hosts(ref.domain.lower()):
        for tail in tails:
            yield host + tail
        if host == DOCKER_HUB and "/" not in path:
            for tail in _tails("library/" + path):
                yield host + tail


def _tails(path: str) -> list[str]:
    """What follows the host in each line that would hold ``path``: ``/path``,
    ``/parent/*`` (``/*`` at the root), then ``/**``, ``/a/**``, ``/a/b/**`` down to the
    parent (a pattern never holds its own prefix)."""
    parent, slash, _ = path.rpartition("/")
    tails = ["/" + path, f"/{parent}/*" if slash else "/*", "/**"]
    prefix = ""
    for segment in parent.split("/") if slash else ():
        prefix = f"{prefix}/{segment}"
        tails.append(prefix + "/**")
    return tails


def _candidate_hosts(domain: str) -> list[str]:
    """The hosts whose lines hold ``domain``'s images, as wzshiming/hostmatcher v0.0.3
    matches a line's host (hostmatcher.go ``domainMatch``, matcher.go ``matchHostAndPath``):
    the domain and every parent domain down to the last label (``gcr.io`` holds
    ``us.gcr.io``, ``localhost`` holds ``a.localhost``), each with the port (when the image
    has one) and without it (a line without a port matches every port). An IP address has
    no parent domains, and a parent that reads as one is an IP line, never matched by a
    name (``0.0.1/**`` does not hold ``127.0.0.1/x``, nor ``10.0.0.1/**`` ``x.10.0.0.1/x``)."""
    bare, sep, port = domain.rpartition(":")
    if not (sep and port.isdigit()):
        bare, port = domain, ""
    parents = [bare]
    if not _is_ip(bare):
        labels = bare.split(".")
        for i in range(1, len(labels)):
            parent = ".".join(labels[i:])
            if not _is_ip(parent):
                parents.append(parent)
    hosts = []
    for parent in parents:
        if port:
            hosts.append(f"{parent}:{port}")
        hosts.append(HOST_ALIASES.get(parent, parent))
    return hosts


def _is_ip(host: str) -> bool:
    """Go's ``net.ParseIP`` accepts ``host`` (brackets of an IPv6 address taken off)."""
    if not (host[:1].isdigit() or host[:1] == "[" or ":" in host):
        return False  # a name: the common case, decided without ipaddress
    try:
        ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    return True
