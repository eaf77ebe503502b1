"""``coverage mirrors init`` writes a hosts directory the real containerd (1.6.20) routes
exactly as the analyser predicts for it.

The world of ``test_containerd_routes``: an upstream registry on 127.0.0.1 (images are named
after it) and a mirror ``m1`` holding one of two images. ``coverage mirrors init DIR --mirror
<upstream>=<m1>`` writes DIR; the analyser routes both images through DIR; containerd fetches
both with ``--hosts-dir DIR``; the hosts that answered each step must be the predicted ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.reference import parse_image
from analyzer.route import route_image

from .comparison import disagreements, url_disagreements
from .containerd import Containerd
from .lab import Lab
from .registry import TrapProxy
from .world import UPSTREAM, Placement, World, placement_for

pytestmark = pytest.mark.integration

HELD = placement_for("init-mirror-holds", UPSTREAM, ("m1",))
LACKING = placement_for("init-mirror-lacks", UPSTREAM, ())


@pytest.fixture(scope="module")
def init_world(
    lab: Lab, trap: TrapProxy, containerd: Containerd, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    built = World.build(lab, trap, tmp_path_factory.mktemp("init-catalogues"))
    built.place([HELD, LACKING])
    yield built


@pytest.mark.parametrize(("placement", "status"), [(HELD, "mirrored"), (LACKING, "fallback")])
def test_written_hosts_dir_routes_as_predicted(
    init_world: World, containerd: Containerd, tmp_path: Path, placement: Placement, status: str
) -> None:
    world = init_world
    target = tmp_path / "certs.d"
    spec = f"{world.upstream_host}={world.servers['m1'].url}"
    result = CliRunner().invoke(app, ["mirrors", "init", str(target), "--mirror", spec])
    assert result.exit_code == 0, result.output
    text = (target / f"{world.upstream_host.replace(':', '_')}_" / "hosts.toml").read_text()
    assert f'server = "http://{world.upstream_host}"' in text

    reference = f"{world.upstream_host}/{placement.repository}:v1"
    config = load_mirror_config(hosts_dirs=[str(target)], node_default=None)
    m1 = world.servers["m1"].host
    specs = [s for s in world.catalogue_specs() if s.startswith(f"{m1}=")]  # the others: empty
    route = route_image(parse_image(reference), config, load_catalogues(specs))
    assert route.status == status, route.to_dict()

    seen = world.pull(containerd, reference, target, placement)
    assert seen.fetched, seen.describe()
    problems = disagreements(route, seen, world.upstream_host, world.observable)
    problems += url_disagreements(
        seen, config.hosts_for(world.upstream_host), placement.repository, "v1", placement.content
    )
    assert not problems, f"{problems}\ncontainerd: {seen.describe()}\nanalyser: {route.to_dict()}"
