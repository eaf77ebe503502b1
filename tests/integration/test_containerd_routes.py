"""The analyser's routes, proven against the real containerd (Debian's 1.6.20).

For each situation below the test writes a hosts directory, asks the analyser for the route
(``load_mirror_config`` + ``load_catalogues`` + ``route_image``), makes a private containerd
fetch the image (``ctr content fetch --hosts-dir``), and checks, step by step, that the host
that answered (resolve; manifest by digest; config and layer blobs) is the host the analyser
named (``resolve_host``; ``content_host``), and that a failed fetch is a ``blocked`` route.
Which host answered comes from recording proxies in front of the registries (see
``observation.py``), never from the analyser.

**Catalogue ↔ registry.** The analyser is told what each mirror serves by a list file
(``HOST=list.txt``, one ``registry/repository`` per line). The mapping to the real mirrors is:
"the list of mirror ``M`` says it serves ``<registry>/<repo>``" exactly when "the registry
behind ``M`` holds repository ``<repo>``" (it was pushed there; ``/v2/_catalog`` is checked
against the list). A mirror serves a repository whatever ``?ns=`` says, so the registry part
of a line is the registry of the image that routes through ``M``. The upstream's list is what
the upstream registry holds. Servers that answer a fixed status and hosts that are down hold
nothing: catalogue ``none``.

Where the route depends on something the analyser cannot know (containerd 1.6 and 2.x differ,
and the analyser follows 2.x; a mirror URL whose path is not where the mirror serves the
API), a situation names a word ``differs``: the analyser either agrees with containerd or its
route carries a warning containing that word.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from analyzer.mirrors.runtime import MirrorRuntime
from analyzer.model import RegistryHosts, Route
from analyzer.reference import ImageRef, parse_image

from .comparison import disagreements, url_disagreements
from .containerd import Containerd
from .lab import Lab
from .observation import CONTENT_STEPS, Observation
from .registry import TrapProxy
from .world import DOCKER_HUB, UPSTREAM, Placement, World, placement_for

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Situation:
    """One routing situation and what containerd 1.6.20 did in it (the oracle's record).

    ``hosts`` maps a directory name to its hosts.toml (``{role}`` is replaced by the role's
    URL; ``{up_host}`` and ``{up_port_dir}`` are the upstream's ``127.0.0.1:PORT`` and
    ``127.0.0.1_PORT_``). ``resolve``/``content`` are the roles that answered (None: the fetch
    fails); ``reference`` is ``tag``, ``digest`` or ``tag@digest``.
    """

    id: str
    hosts: dict[str, str]
    held_by: tuple[str, ...]
    resolve: str | None
    content: str | None
    reference: str = "tag"
    registry: str = UPSTREAM
    differs: str | None = None  # a disagreement is acceptable only with a warning naming this
    known_bug: str | None = None  # an analyser bug, reported: the test is expected to fail

    @property
    def placement(self) -> Placement:
        return placement_for(self.id, self.registry, self.held_by)


UP = "{up_host}"
PULL_RESOLVE = 'capabilities = ["pull", "resolve"]\n'

SITUATIONS: tuple[Situation, ...] = (
    Situation("mirror-holds", {UP: f'[host."{{m1}}"]\n{PULL_RESOLVE}'}, ("m1",), "m1", "m1"),
    Situation("mirror-holds-default-capabilities", {UP: '[host."{m1}"]\n'}, ("m1",), "m1", "m1"),
    Situation("mirror-lacks-404", {UP: f'[host."{{m1}}"]\n{PULL_RESOLVE}'}, (), "up", "up"),
    Situation("mirror-answers-403", {UP: '[host."{f403}"]\n'}, (), "up", "up"),
    Situation("mirror-answers-500", {UP: '[host."{f500}"]\n'}, (), "up", "up"),
    Situation("mirror-down", {UP: '[host."{down}"]\n'}, (), "up", "up"),
    Situation(
        "pull-only-tag", {UP: '[host."{m1}"]\ncapabilities = ["pull"]\n'}, ("m1",), "up", "m1"
    ),
    Situation(
        "pull-only-digest",
        {UP: '[host."{m1}"]\ncapabilities = ["pull"]\n'},
        ("m1",),
        "m1",
        "m1",
        reference="digest",
    ),
    Situation(
        "pull-only-tag-and-digest",
        {UP: '[host."{m1}"]\ncapabilities = ["pull"]\n'},
        ("m1",),
        "m1",
        "m1",
        reference="tag@digest",
    ),
    Situation("pull-only-lacks", {UP: '[host."{m1}"]\ncapabilities = ["pull"]\n'}, (), "up", "up"),
    Situation(
        "two-mirrors-second-holds", {UP: '[host."{m1}"]\n[host."{m2}"]\n'}, ("m2",), "m2", "m2"
    ),
    Situation(
        "two-mirrors-file-order", {UP: '[host."{m2}"]\n[host."{m1}"]\n'}, ("m1", "m2"), "m2", "m2"
    ),
    Situation("two-mirrors-both-lack", {UP: '[host."{m1}"]\n[host."{m2}"]\n'}, (), "up", "up"),
    Situation("default-dir-holds", {"_default": '[host."{m1}"]\n'}, ("m1",), "m1", "m1"),
    Situation("default-dir-lacks", {"_default": '[host."{m1}"]\n'}, (), "up", "up"),
    Situation(
        "specific-dir-beats-default",
        {"_default": '[host."{m2}"]\n', UP: '[host."{m1}"]\n'},
        ("m1", "m2"),
        "m1",
        "m1",
    ),
    Situation(
        "host-port-dir-beats-verbatim",
        {"{up_port_dir}": '[host."{m1}"]\n', UP: '[host."{m2}"]\n'},
        ("m1", "m2"),
        "m1",
        "m1",
    ),
    Situation(
        "path-gets-v2-appended", {UP: '[host."{prefix}/custom"]\n'}, ("m1",), "prefix", "prefix"
    ),
    Situation(
        "override-path",
        {UP: '[host."{prefix}/custom/v2"]\noverride_path = true\n'},
        ("m1",),
        "prefix",
        "prefix",
    ),
    Situation(
        "override-path-without-v2",
        {UP: '[host."{prefix}/custom"]\noverride_path = true\n'},
        ("m1",),
        "up",
        "up",
        differs="override_path",
    ),
    Situation(
        "server-replaced-by-mirror", {UP: 'server = "{m1}"\n[host."{m2}"]\n'}, ("m1",), "m1", "m1"
    ),
    Situation(
        "server-replaced-mirrors-lack", {UP: 'server = "{m1}"\n[host."{m2}"]\n'}, (), None, None
    ),
    Situation(
        "malformed-hosts-toml",
        {UP: '[host."{m1}"]\ncapabilities = ["pull", "resolve"\n'},
        ("m1",),
        "up",
        "up",
    ),
    Situation(
        "unknown-capability",
        {UP: '[host."{m1}"]\ncapabilities = ["pull", "mirror"]\n'},
        ("m1",),
        "up",
        "up",
    ),
    Situation(
        "push-only-capability",
        {UP: '[host."{m1}"]\ncapabilities = ["push"]\n'},
        ("m1",),
        "up",
        "m1",
    ),
    Situation(
        "server-may-not-resolve",
        {UP: 'server = "{up}"\ncapabilities = ["pull"]\n[host."{m1}"]\ncapabilities = ["pull"]\n'},
        ("m1",),
        None,
        None,
    ),
    Situation(
        "root-capabilities-without-server",
        {UP: 'capabilities = ["pull"]\n[host."{m1}"]\ncapabilities = ["pull"]\n'},
        ("m1",),
        "up",
        "m1",
    ),
    Situation(
        "unknown-keys-ignored",
        {UP: 'foo = "bar"\n[host."{m1}"]\npriority = 1\n'},
        ("m1",),
        "m1",
        "m1",
    ),
    Situation("no-hosts-dir", {}, ("m1",), "up", "up"),
    Situation(
        "docker-hub-mirror-holds",
        {DOCKER_HUB: '[host."{m1}"]\n'},
        ("m1",),
        "m1",
        "m1",
        registry=DOCKER_HUB,
    ),
    Situation(
        "docker-hub-mirror-lacks",
        {DOCKER_HUB: '[host."{m1}"]\n'},
        (),
        "public",
        None,
        registry=DOCKER_HUB,
    ),
    Situation("docker-hub-no-hosts-dir", {}, (), "public", None, registry=DOCKER_HUB),
    # containerd 1.6 ignores a file with no [host] table; 2.x (the analyser) uses its server
    Situation(
        "only-server-no-host-table", {UP: 'server = "{m1}"\n'}, ("m1",), "up", "up", differs="1.6"
    ),
    # containerd 1.6 uses hosts written inline; 2.x only counts [host."URL"] headers
    Situation(
        "inline-host-table",
        {UP: '[host]\n"{m1}" = {{ capabilities = ["pull", "resolve"] }}\n'},
        ("m1",),
        "m1",
        "m1",
        differs="1.6",
    ),
    # containerd before 2.2 rejects the whole file for the capability "referrers"
    Situation(
        "referrers-capability",
        {UP: '[host."{m1}"]\ncapabilities = ["pull", "resolve", "referrers"]\n'},
        ("m1",),
        "up",
        "up",
        differs="before 2.2",
    ),
)

#: situations for the tests that flip one rule: each needs its own image (the content store
#: keeps what an earlier fetch brought, and containerd would not ask for it again)
FLIPPED: dict[str, Situation] = {
    "pull-means-resolve": Situation(
        "flip-pull-means-resolve",
        {UP: '[host."{m1}"]\ncapabilities = ["pull"]\n'},
        ("m1",),
        "up",
        "m1",
    ),
    "catalogue-says-all": Situation(
        "flip-catalogue-says-all", {UP: '[host."{m1}"]\n'}, (), "up", "up"
    ),
    "no-namespace": Situation("flip-no-namespace", {UP: '[host."{m1}"]\n'}, ("m1",), "m1", "m1"),
}


# -- the module's world ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(
    lab: Lab, trap: TrapProxy, containerd: Containerd, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Registries, mirrors and servers, with every situation's image in place."""
    built = World.build(lab, trap, tmp_path_factory.mktemp("catalogues"))
    built.place(s.placement for s in (*SITUATIONS, *FLIPPED.values()))
    yield built


def write_hosts_dir(world: World, situation: Situation, directory: Path) -> Path:
    values = world.template_values()
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in situation.hosts.items():
        host_dir = directory / name.format(**values)
        host_dir.mkdir()
        (host_dir / "hosts.toml").write_text(text.format(**values))
    return directory


def reference_text(world: World, situation: Situation) -> str:
    placement = situation.placement
    name = f"{world.registry_name(situation.registry)}/{placement.repository}"
    digest = placement.content.digest
    return {
        "tag": f"{name}:v1",
        "digest": f"{name}@{digest}",
        "tag@digest": f"{name}:v1@{digest}",
    }[situation.reference]


def predict(
    world: World,
    reference: str,
    hosts_dir: Path,
    catalogue_specs: list[str] | None = None,
    version: str | None = None,
) -> tuple[Route, RegistryHosts]:
    """The analyser's answer (and its host list), through its public API (``version``: the
    ``--containerd-version``; None: the newest), reading the hosts directory as ``coverage
    scan`` does: only the candidate directories of the image's registry (and ``_default``)."""
    from analyzer.mirrors import load_catalogues, load_mirror_config
    from analyzer.route import containerd_locator, route_image

    image = parse_image(reference)
    config = load_mirror_config(
        hosts_dirs=[str(hosts_dir)],
        node_default=None,
        containerd_version=version,
        registries=[containerd_locator(image)[0]],
    )
    specs = world.catalogue_specs() if catalogue_specs is None else catalogue_specs
    catalogues = load_catalogues(specs)
    return route_image(image, config, catalogues), config.hosts_for_ref(image.pulled)


def assert_oracle_behaviour(world: World, situation: Situation, seen: Observation) -> None:
    """The harness itself: containerd 1.6.20 did here what the oracle recorded."""
    resolved = world.role_of(seen.step("resolve").served_by)
    if situation.resolve == "public":
        resolved = "public" if seen.trapped else resolved
    assert resolved == situation.resolve, f"resolve by {resolved}: {seen.describe()}"
    for name in CONTENT_STEPS:
        served = world.role_of(seen.step(name).served_by)
        assert served == situation.content, f"{name} by {served}: {seen.describe()}"
    assert seen.fetched == (situation.content is not None), seen.describe()


@dataclass(frozen=True)
class Trial:
    """One situation run twice: predicted by the analyser, fetched by containerd."""

    situation: Situation
    route: Route
    hosts: RegistryHosts  # the analyser's host list for the image's registry
    seen: Observation

    def problems(self, world: World) -> list[str]:
        """Every disagreement: hosts per step, attempt order, status, and request URLs."""
        placement = self.situation.placement
        asked_for = placement.content.digest if self.situation.reference != "tag" else "v1"
        registry = world.registry_name(self.situation.registry)
        return disagreements(self.route, self.seen, registry, world.observable) + (
            url_disagreements(
                self.seen, self.hosts, placement.repository, asked_for, placement.content
            )
        )

    def explain(self, world: World, version: str) -> str:
        return (
            f"{self.situation.id}: the analyser disagrees with containerd {version}:\n  "
            + "\n  ".join(self.problems(world))
            + f"\ncontainerd: {self.seen.describe()}\nanalyser: {self.route.to_dict()}"
        )


def run_trial(
    world: World,
    containerd: Containerd,
    situation: Situation,
    tmp_path: Path,
    catalogue_specs: list[str] | None = None,
) -> Trial:
    hosts_dir = write_hosts_dir(world, situation, tmp_path / "hosts")
    reference = reference_text(world, situation)
    route, hosts = predict(world, reference, hosts_dir, catalogue_specs)
    seen = world.pull(containerd, reference, hosts_dir, situation.placement)
    assert_oracle_behaviour(world, situation, seen)
    return Trial(situation, route, hosts, seen)


# -- the tests ---------------------------------------------------------------------------------


def _params(situations: tuple[Situation, ...]) -> list[object]:
    return [
        pytest.param(
            s,
            id=s.id,
            marks=[pytest.mark.xfail(strict=True, reason=f"analyser bug: {s.known_bug}")]
            if s.known_bug
            else [],
        )
        for s in situations
    ]


@pytest.mark.parametrize("situation", _params(SITUATIONS))
def test_route_agrees_with_containerd(
    world: World, containerd: Containerd, situation: Situation, tmp_path: Path
) -> None:
    trial = run_trial(world, containerd, situation, tmp_path)
    problems = trial.problems(world)
    if problems and situation.differs is not None:
        warned = [w for w in trial.route.warnings if situation.differs in w]
        assert warned, (
            f"{situation.id}: no warning mentions {situation.differs!r}; "
            + trial.explain(world, containerd.version)
        )
        return
    assert not problems, trial.explain(world, containerd.version)


def test_flipped_capability_rule_is_caught(
    world: World, containerd: Containerd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test double that lets pull-only mirrors resolve tags must disagree with containerd."""
    from analyzer.mirrors import MirrorConfig

    original = MirrorConfig._lookup  # what every lookup of hosts asks (compiled callers too)

    def pull_means_resolve(
        self: MirrorConfig, ref: ImageRef
    ) -> tuple[RegistryHosts, MirrorRuntime | None]:
        found, runtime = original(self, ref)
        flipped = tuple(
            replace(h, capabilities=h.capabilities | {"resolve"}) if h.can("pull") else h
            for h in found.hosts
        )
        return replace(found, hosts=flipped), runtime

    monkeypatch.setattr(MirrorConfig, "_lookup", pull_means_resolve)
    trial = run_trial(world, containerd, FLIPPED["pull-means-resolve"], tmp_path)
    problems = trial.problems(world)
    assert any(p.startswith("resolve: containerd used") for p in problems), problems
    assert any(p.startswith("status:") for p in problems), problems


def test_wrong_catalogue_is_caught(world: World, containerd: Containerd, tmp_path: Path) -> None:
    """Telling the analyser that m1 holds everything, when it lacks the image, must disagree."""
    m1 = world.servers["m1"].host
    specs = [s for s in world.catalogue_specs() if not s.startswith(f"{m1}=")] + [f"{m1}=all"]
    trial = run_trial(world, containerd, FLIPPED["catalogue-says-all"], tmp_path, specs)
    assert trial.route.status == "mirrored", trial.route.to_dict()
    assert any(p.startswith("resolve: containerd used") for p in trial.problems(world))


def test_flipped_namespace_rule_is_caught(
    world: World, containerd: Containerd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test double that sends no ``?ns=`` to mirrors must disagree on the request URLs."""
    import analyzer.route

    monkeypatch.setattr(analyzer.route, "sends_namespace", lambda registry, host: False)
    trial = run_trial(world, containerd, FLIPPED["no-namespace"], tmp_path)
    problems = trial.problems(world)
    assert problems and all("?ns=" in p for p in problems), problems
