"""What containerd did for one image, step by step, read from the servers' own records.

A pull is four steps: ``resolve`` (the tag or digest ``HEAD``), ``manifest`` (``GET`` of the
manifest by digest), ``config`` and ``layer`` (``GET`` of each blob). For each step the
``tries`` are the hosts containerd contacted, in order, with the status each answered; the
step was ``served_by`` the first one answering 2xx. A host is named by the base URL the request
was built on (``http://127.0.0.1:5001/v2``, ``http://127.0.0.1:5003/custom``): the request path
with ``/<repository>/...`` removed, which is what the analyser's ``Host.url`` names.

Requests the trap proxy refused (a route leaving the machine) are tries of the ``resolve`` step
with status 0 and base ``https://<host>`` (only the host of a ``CONNECT`` is known).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .registry import Exchange, ImageContent, TrappedRequest

STEPS = ("resolve", "manifest", "config", "layer")
CONTENT_STEPS = ("manifest", "config", "layer")


@dataclass(frozen=True)
class Try:
    base: str  # scheme://host[:port][/prefix] the request was sent to
    status: int  # HTTP status; 0 when the trap proxy refused the connection
    url: str = ""  # the full URL requested (with ``?ns=``); "" when only the host is known

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Step:
    name: str
    tries: tuple[Try, ...]

    @property
    def served_by(self) -> str | None:
        return next((t.base for t in self.tries if t.ok), None)


@dataclass(frozen=True)
class Observation:
    """One ``ctr content fetch`` and what every server saw of it."""

    reference: str
    fetched: bool  # ctr exited 0
    output: str  # ctr's output, for failure messages
    steps: tuple[Step, ...]
    trapped: tuple[TrappedRequest, ...]

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def contacted(self) -> bool:
        return any(s.tries for s in self.steps)

    def describe(self) -> str:
        """``resolve: a:404 > b:200 / manifest: ...``, for assertion messages."""
        parts = []
        for step in self.steps:
            tries = " > ".join(f"{t.base}:{t.status or 'TRAPPED'}" for t in step.tries) or "-"
            parts.append(f"{step.name}: {tries}")
        verdict = "fetched" if self.fetched else "FAILED"
        return f"{self.reference} {verdict}; " + " / ".join(parts)


def observe(
    reference: str,
    fetched: bool,
    output: str,
    repository: str,
    content: ImageContent,
    exchanges: Iterable[Exchange],
    trapped: Iterable[TrappedRequest],
) -> Observation:
    """Sort the records of every server into the four steps of pulling ``repository``."""
    pattern = re.compile(
        rf"^(?P<base>.*)/{re.escape(repository)}/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$"
    )
    tries: dict[str, list[tuple[int, Try]]] = {name: [] for name in STEPS}
    for exchange in exchanges:
        match = pattern.match(exchange.path)
        if match is None:
            continue
        step = _step_of(exchange.method, match["kind"], match["ref"], content)
        if step is None:
            continue
        base = f"http://{exchange.server}{match['base']}"
        query = f"?{exchange.query}" if exchange.query else ""
        url = f"http://{exchange.server}{exchange.path}{query}"
        tries[step].append((exchange.sequence, Try(base, exchange.status, url)))
    trapped = tuple(sorted(trapped, key=lambda t: t.sequence))
    for request in trapped:
        host = request.host.removesuffix(":443")
        tries["resolve"].append((request.sequence, Try(f"https://{host}", 0)))
    steps = tuple(
        Step(name, tuple(t for _, t in sorted(tries[name], key=lambda pair: pair[0])))
        for name in STEPS
    )
    return Observation(reference, fetched, output, steps, trapped)


def _step_of(method: str, kind: str, ref: str, content: ImageContent) -> str | None:
    if kind == "manifests":
        if method == "HEAD" or (method == "GET" and not ref.startswith("sha256:")):
            return "resolve"  # by tag, or a digest's HEAD
        if method == "GET" and ref == content.digest:
            return "manifest"
        return None
    if method == "HEAD" and ref == content.digest:
        return "resolve"  # the second pass of a digest resolve: HEAD blobs/<digest>
    if method == "GET" and ref == content.config.digest:
        return "config"
    if method == "GET" and ref == content.layer.digest:
        return "layer"
    return None
