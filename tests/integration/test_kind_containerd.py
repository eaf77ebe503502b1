"""kind's containerdConfigPatches, proven on the real containerd (Debian's 1.6.20, CRI
``PullImage``): the registry section of the ``config.toml`` kind would write (the analyser's
own merge of the patches, ``analyzer.mirrors.kind``) is written into a containerd's
configuration, and the route ``--kind-config`` predicts must be what that containerd did.

Two forms, each with one image a mirror holds and one it lacks:

- legacy ``registry.mirrors``, given by two patches where the second replaces the first's
  ``endpoint`` (a merge patch replaces arrays: appended, the ``f500`` host would be tried
  first and the comparison would see it), plus a ``version = 3`` patch kind skips;
- ``config_path`` on the node, found here through ``extraMounts`` (containerd is given the
  mount's ``hostPath``: that is what the bind mount makes it see).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .comparison import disagreements
from .conftest import skip_without_cri
from .containerd import Containerd, start_containerd
from .lab import Lab
from .registry import TrapProxy
from .test_containerd_routes import Situation, assert_oracle_behaviour, reference_text
from .world import World

pytestmark = pytest.mark.integration

CRI = 'plugins."io.containerd.grpc.v1.cri".registry'
NODE_PATH = "/etc/containerd/certs.d"

LEGACY = (
    "containerdConfigPatches:\n"
    f'- |-\n  [{CRI}.mirrors."{{up_host}}"]\n    endpoint = ["{{f500}}", "{{m2}}"]\n'
    f'- |-\n  [{CRI}.mirrors."{{up_host}}"]\n    endpoint = ["{{m1}}"]\n'
    f'- |-\n  version = 3\n  [{CRI}.mirrors."{{up_host}}"]\n    endpoint = ["{{f403}}"]\n'
)
HOSTS_DIR = (
    "containerdConfigPatches:\n"
    f'- |-\n  [{CRI}]\n    config_path = "{NODE_PATH}"\n'
    "nodes:\n- role: control-plane\n  extraMounts:\n"
    f"  - hostPath: {{hosts}}\n    containerPath: {NODE_PATH}\n"
)
FORMS = {"legacy": LEGACY, "hosts-dir": HOSTS_DIR}
SITUATIONS = {
    form: (
        Situation(f"kind-{form}-mirror-holds", {}, ("m1",), "m1", "m1"),
        Situation(f"kind-{form}-mirror-lacks", {}, (), "up", "up"),
    )
    for form in FORMS
}


def _toml(table: dict[str, Any], header: str) -> str:
    """A TOML rendering of a merged section (strings, lists of strings, tables)."""
    lines = [f"[{header}]"]
    tables = []
    for key, value in table.items():
        if isinstance(value, dict):
            tables.append(_toml(value, f"{header}.{json.dumps(key)}"))
        else:
            lines.append(f"  {key} = {json.dumps(value)}")
    return "\n".join([*lines, *tables]) + "\n"


@pytest.fixture(scope="module")
def world(lab: Lab, trap: TrapProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = World.build(lab, trap, tmp_path_factory.mktemp("catalogues"))
    built.place(s.placement for pair in SITUATIONS.values() for s in pair)
    yield built


def _kind_config(world: World, form: str, directory: Path) -> Path:
    values = world.template_values()
    hosts = directory / "host-certs.d"
    (hosts / world.upstream_host).mkdir(parents=True)
    (hosts / world.upstream_host / "hosts.toml").write_text(
        f'[host."{values["m1"]}"]\n  capabilities = ["pull", "resolve"]\n'
    )
    path = directory / "kind.yaml"
    path.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
        + FORMS[form].format(**values, hosts=hosts)
    )
    return path


@pytest.mark.parametrize("form", list(FORMS))
def test_the_merged_config_routes_as_predicted(
    world: World, trap: TrapProxy, form: str, tmp_path: Path
) -> None:
    skip_without_cri()
    from analyzer.mirrors import load_catalogues, load_mirror_config
    from analyzer.mirrors.kind import read_kind_config
    from analyzer.reference import parse_image
    from analyzer.route import route_image

    kind_file = _kind_config(world, form, tmp_path)
    kind = read_kind_config(str(kind_file))
    assert not kind.errors, kind.errors
    registry = kind.merged["plugins"]["io.containerd.grpc.v1.cri"]["registry"]
    if "config_path" in registry:  # what the bind mount shows the node's containerd
        host, _ = kind.host_path(registry["config_path"])
        registry = {**registry, "config_path": host}
    else:
        assert registry["mirrors"][world.upstream_host]["endpoint"] == [world.servers["m1"].url]
    config = load_mirror_config(
        kind_config=str(kind_file), node_default=None, containerd_version="1.6"
    )
    assert not config.errors, config.errors
    daemon: Containerd = start_containerd(
        tmp_path / "containerd", trap_url=trap.url, cri_registry=_toml(registry, CRI)
    )
    m2 = world.servers["m2"].host  # holds nothing here: an empty list is refused
    specs = [s for s in world.catalogue_specs() if not s.startswith(f"{m2}=")]
    catalogues = load_catalogues([*specs, f"{m2}=none"])
    try:
        for situation in SITUATIONS[form]:
            reference = reference_text(world, situation)
            image = parse_image(reference)
            route = route_image(image, config, catalogues)
            seen = world.pull(daemon, reference, tmp_path, situation.placement, cri=True)
            assert_oracle_behaviour(world, situation, seen)
            problems = disagreements(route, seen, world.upstream_host, world.observable)
            assert not problems, (
                f"{situation.id}: {problems}\ncontainerd: {seen.describe()}\n"
                f"analyser: {route.to_dict()}\nlog: {daemon.log_tail()}"
            )
    finally:
        daemon.stop()
