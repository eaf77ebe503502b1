"""The probe against real registries: Debian's ``docker-registry`` on 127.0.0.1.

One registry is the "upstream" and holds every image; another is a "mirror" that holds only
some of them (byte-identical copies). The probe must say ``served`` for what the mirror holds
and ``not_found`` for the rest, send what containerd sends (``HEAD``, ``?ns=<registry>``,
containerd's ``Accept``), and never ask the upstream. Which requests the mirror saw comes
from a recording proxy in front of it, not from the probe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.model import ALL_CAPABILITIES, Host
from analyzer.online.probe import Prober
from analyzer.reference import ImageRef, parse_image

from .lab import Lab
from .registry import PushedImage, RecordingServer, RunningRegistry, push_image, registry_catalog


@dataclass(frozen=True)
class World:
    upstream: RunningRegistry
    mirror: RunningRegistry
    front: RecordingServer  # records what the mirror is asked
    upstream_front: RecordingServer  # records what the upstream is asked (nothing, we hope)
    held: tuple[PushedImage, ...]  # on both registries
    upstream_only: tuple[PushedImage, ...]

    def ref(self, image: PushedImage, *, digest: bool = False) -> ImageRef:
        suffix = f"@{image.digest}" if digest else f":{image.tag}"
        return parse_image(f"{self.upstream_front.host}/{image.repository}{suffix}")

    @property
    def registry(self) -> str:
        """The registry name in the image references: the upstream's address."""
        return self.upstream_front.host

    @property
    def mirror_host(self) -> Host:
        return Host(scheme="http", host=self.front.host, path="/v2", capabilities=ALL_CAPABILITIES)


@pytest.fixture(scope="module")
def world(lab: Lab) -> World:
    upstream = lab.registry("probe-upstream")
    mirror = lab.registry("probe-mirror")
    held = tuple(push_image(upstream.url, f"probe/held-{n}") for n in range(2))
    for image in held:
        push_image(mirror.url, image.repository, image.content, tag=image.tag)
    upstream_only = tuple(push_image(upstream.url, f"probe/missing-{n}") for n in range(2))
    assert sorted(registry_catalog(mirror.url)) == sorted(i.repository for i in held)
    return World(
        upstream,
        mirror,
        lab.proxy(mirror, name="probe-mirror"),
        lab.proxy(upstream, name="probe-upstream"),
        held,
        upstream_only,
    )


@pytest.fixture(autouse=True)
def quiet_world(
    world: World, no_proxy_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    world.front.clear()
    world.upstream_front.clear()
    yield


def prober() -> Prober:
    return Prober(timeout=5, cache_ttl=0, rate_per_minute=600, concurrency=2)


def test_served_for_what_the_mirror_holds_not_found_for_the_rest(world: World) -> None:
    items = [
        (world.mirror_host, world.registry, world.ref(i))
        for i in (*world.held, *world.upstream_only)
    ]
    results = prober().probe_many(items)
    assert [r.outcome for r in results] == ["served", "served", "not_found", "not_found"]
    assert [r.status for r in results] == [200, 200, 404, 404]
    assert results[0].detail == world.held[0].digest  # Docker-Content-Digest
    assert all(r.host == f"http://{world.front.host}/v2" for r in results)


def test_requests_are_what_containerd_sends(world: World) -> None:
    image = world.held[0]
    prober().probe(world.mirror_host, world.registry, world.ref(image))
    prober().probe(world.mirror_host, world.registry, world.ref(image, digest=True))
    seen = world.front.exchanges()
    assert [(e.method, e.path, e.status) for e in seen] == [
        ("HEAD", f"/v2/{image.repository}/manifests/v1", 200),
        ("HEAD", f"/v2/{image.repository}/manifests/{image.digest}", 200),
    ]
    assert all(e.query == f"ns={quote(world.registry, safe='')}" for e in seen)
    assert all(e.ns == world.registry for e in seen)
    assert world.upstream_front.exchanges() == []  # the upstream is never probed


def test_a_tag_the_mirror_lacks_is_not_found(world: World) -> None:
    image = world.held[0]
    ref = parse_image(f"{world.registry}/{image.repository}:not-pushed")
    result = prober().probe(world.mirror_host, world.registry, ref)
    assert (result.outcome, result.status) == ("not_found", 404)


def test_refusing_and_unreachable_mirrors(world: World, lab: Lab) -> None:
    forbidden = lab.fixed_status(403, name="probe-403")
    broken = lab.fixed_status(500, name="probe-500")
    down = lab.down_url().removeprefix("http://")
    ref = world.ref(world.held[0])

    def host(address: str) -> Host:
        return Host(scheme="http", host=address, path="/v2", capabilities=ALL_CAPABILITIES)

    quick = Prober(timeout=5, cache_ttl=0, retries=1, backoff=0.01)
    denied = quick.probe(host(forbidden.host), world.registry, ref)
    failed = quick.probe(host(broken.host), world.registry, ref)
    refused = quick.probe(host(down), world.registry, ref)
    assert (denied.outcome, denied.status) == ("denied", 403)
    assert (failed.outcome, failed.status) == ("error", 500)
    assert len(broken.exchanges()) == 2  # one retry after the 5xx, then it gives up
    assert (refused.outcome, refused.detail) == ("error", "connection refused")


def test_the_cli_flags_what_the_catalogue_gets_wrong(world: World, tmp_path: Path) -> None:
    registry_dir = world.registry.replace(":", "_") + "_"  # containerd's host_port_ form
    hosts = tmp_path / "certs.d" / registry_dir
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(
        f'server = "http://{world.registry}"\n\n'
        f'[host."http://{world.front.host}"]\n'
        '  capabilities = ["pull", "resolve"]\n'
    )
    images = [
        f"{world.registry}/{i.repository}:v1" for i in (world.held[0], world.upstream_only[0])
    ]
    result = CliRunner().invoke(
        app,
        [
            "probe",
            "--hosts-dir",
            str(tmp_path / "certs.d"),
            "--catalog",
            f"{world.front.host}=all",  # the list claims it holds everything
            "--image",
            images[0],
            "--image",
            images[1],
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    by_image = {entry["image"]: entry for entry in report["images"]}
    held, missing = (by_image[name] for name in images)
    assert [p["outcome"] for p in held["probes"]] == ["served"]
    assert [p["outcome"] for p in missing["probes"]] == ["not_found"]
    assert missing["probes"][0]["agreement"] == "disagree"
    assert (missing["status"], missing["status_by_probe"]) == ("mirrored", "fallback")
    assert report["summary"]["disagreements"] == 1
    assert world.upstream_front.exchanges() == []
