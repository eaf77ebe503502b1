"""Which ``config.toml`` section containerd 1.6.20's CRI plugin reads, by the file's ``version``,
and which registry settings stop it from loading, proven with CRI ``PullImage``
(``--containerd-config`` with ``--containerd-version 1.6``).

containerd 1.x names a plugin's section by its ID (``[plugins.cri]``) in a file without
``version`` (or ``version = 1``), and by its URI (``[plugins."io.containerd.grpc.v1.cri"]``)
from ``version = 2`` (services/server/config/config.go, ``Decode``). The snippet found in most
guides, ``[plugins."io.containerd.grpc.v1.cri".registry.mirrors."…"]``, pasted into a file
without ``version = 2``, is therefore never read: the analyser once called such images
``mirrored`` while containerd pulled them from the upstream (a false pass). With
``version = 2``, a section named by ID stops containerd from starting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer.mirrors import MirrorConfig

from .comparison import disagreements
from .conftest import skip_without_cri
from .containerd import cri_plugin_section, start_containerd
from .lab import Lab
from .registry import TrapProxy
from .test_containerd_routes import Situation, assert_oracle_behaviour, reference_text
from .world import World

pytestmark = pytest.mark.integration

URI = 'plugins."io.containerd.grpc.v1.cri"'


@dataclass(frozen=True)
class Form:
    """A registry section written under ``plugin`` in a file of ``version`` (1: no line)."""

    id: str
    version: int
    plugin: str
    hosts_dir: bool  # config_path to a hosts directory (m1), else legacy mirrors (m1)
    served: str  # the role containerd 1.6.20 pulled from

    @property
    def situation(self) -> Situation:
        return Situation(f"config-version-{self.id}", {}, ("m1",), self.served, self.served)


FORMS = (
    Form("no-version-uri-mirrors", 1, URI, False, "up"),
    Form("no-version-uri-config-path", 1, URI, True, "up"),
    Form("no-version-id-mirrors", 1, "plugins.cri", False, "m1"),
    Form("version-2-uri-mirrors", 2, URI, False, "m1"),
)


IMPORTED = Form("imported-cri-section", 2, URI, False, "up")


@pytest.fixture(scope="module")
def world(lab: Lab, trap: TrapProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = World.build(lab, trap, tmp_path_factory.mktemp("catalogues"))
    built.place(form.situation.placement for form in (*FORMS, IMPORTED))
    yield built


def _registry(world: World, form: Form, directory: Path) -> str:
    if form.hosts_dir:
        hosts = directory / "certs.d"
        (hosts / world.upstream_host).mkdir(parents=True)
        (hosts / world.upstream_host / "hosts.toml").write_text(
            f'[host."{world.servers["m1"].url}"]\n'
        )
        return f'[{form.plugin}.registry]\n  config_path = "{hosts}"\n'
    endpoint = world.servers["m1"].url
    return (
        f'[{form.plugin}.registry.mirrors."{world.upstream_host}"]\n  endpoint = ["{endpoint}"]\n'
    )


def _pull_and_compare(
    world: World,
    trap: TrapProxy,
    tmp_path: Path,
    form: Form,
    header: str,
    registry: str,
    imports: tuple[Path, ...] = (),
) -> MirrorConfig:
    """Write ``header`` + ``registry`` as the config.toml the analyser reads (1.6 rules) and
    containerd runs with; CRI-pull ``form``'s image; the route must be what containerd did."""
    from analyzer.mirrors import load_catalogues, load_mirror_config
    from analyzer.reference import parse_image
    from analyzer.route import route_image

    config_file = tmp_path / "config.toml"
    config_file.write_text(header + registry)
    config = load_mirror_config(
        containerd_config=str(config_file), node_default=None, containerd_version="1.6"
    )
    situation = form.situation
    reference = reference_text(world, situation)
    m2 = world.servers["m2"].host  # holds nothing here: an empty list is refused
    specs = [s for s in world.catalogue_specs() if not s.startswith(f"{m2}=")] + [f"{m2}=none"]
    route = route_image(parse_image(reference), config, load_catalogues(specs))
    daemon = start_containerd(
        tmp_path / "containerd",
        trap_url=trap.url,
        cri_registry=registry,
        config_version=form.version,
        imports=imports,
    )
    try:
        seen = world.pull(daemon, reference, tmp_path, situation.placement, cri=True)
    finally:
        daemon.stop()
    assert_oracle_behaviour(world, situation, seen)
    problems = disagreements(route, seen, world.upstream_host, world.observable)
    assert not problems, f"{problems}\ncontainerd: {seen.describe()}\nanalyser: {route.to_dict()}"
    return config


@pytest.mark.parametrize("form", FORMS, ids=[f.id for f in FORMS])
def test_the_section_read_follows_the_config_version(
    world: World, trap: TrapProxy, form: Form, tmp_path: Path
) -> None:
    skip_without_cri()
    registry = _registry(world, form, tmp_path)
    header = "version = 2\n" if form.version >= 2 else ""
    config = _pull_and_compare(world, trap, tmp_path, form, header, registry)
    ignored = form.served == "up"
    assert any("is not read by containerd 1.6" in e.message for e in config.errors) is ignored


def test_a_section_named_by_id_in_a_version_2_file_stops_containerd(
    world: World, trap: TrapProxy, tmp_path: Path
) -> None:
    skip_without_cri()
    from analyzer.mirrors import load_mirror_config

    registry = f'[plugins.cri.registry.mirrors."{world.upstream_host}"]\n  endpoint = ["x"]\n'
    config_file = tmp_path / "config.toml"
    config_file.write_text("version = 2\n" + registry)
    config = load_mirror_config(
        containerd_config=str(config_file), node_default=None, containerd_version="1.6"
    )
    with pytest.raises(RuntimeError, match='invalid plugin key URI "cri"'):
        start_containerd(tmp_path / "containerd", trap_url=trap.url, cri_registry=registry)
    assert any("does not start" in e.message for e in config.errors), config.errors
    assert _route_status(world, config) == "blocked"  # nothing pulls on such a node


def test_tls_configs_with_config_path_stop_the_cri_plugin(
    world: World, trap: TrapProxy, tmp_path: Path
) -> None:
    """``configs.<host>.tls`` with ``config_path``: containerd runs, its CRI plugin does not
    load, so kubelet cannot pull at all; the analyser must report it as an error."""
    skip_without_cri()
    from analyzer.mirrors import load_mirror_config

    hosts = tmp_path / "certs.d"
    hosts.mkdir()
    registry = (
        f'[{URI}.registry]\n  config_path = "{hosts}"\n'
        f'[{URI}.registry.configs."{world.upstream_host}".tls]\n  insecure_skip_verify = true\n'
    )
    config_file = tmp_path / "config.toml"
    config_file.write_text("version = 2\n" + registry)
    config = load_mirror_config(
        containerd_config=str(config_file), node_default=None, containerd_version="1.6"
    )
    daemon = start_containerd(tmp_path / "containerd", trap_url=trap.url, cri_registry=registry)
    try:
        pulled = daemon.pull_cri(f"{world.upstream_host}/oracle/anything:v1")
        log = daemon.log_tail(20000)
    finally:
        daemon.stop()
    assert not pulled.ok and "unknown service runtime.v1.ImageService" in pulled.output
    assert "`configs.tls` cannot be set when `config_path` is provided" in log
    assert any("`configs.tls` cannot be set" in e.message for e in config.errors), config.errors
    assert _route_status(world, config) == "blocked"  # as the kubelet's pull failed


def _route_status(world: World, config: object) -> str:
    """The analyser's status for the image these tests pull."""
    from analyzer.mirrors import MirrorConfig, load_catalogues
    from analyzer.reference import parse_image
    from analyzer.route import route_image

    assert isinstance(config, MirrorConfig)
    ref = parse_image(f"{world.upstream_host}/oracle/anything:v1")
    return route_image(ref, config, load_catalogues([])).status


def test_an_imported_cri_section_replaces_the_main_files_registry(
    world: World, trap: TrapProxy, tmp_path: Path
) -> None:
    """``imports``: mergeConfig replaces a plugin's section whole, so an imported file that
    sets anything under the CRI plugin drops the main file's mirrors (the analyser once
    called these images ``mirrored`` while containerd pulled from the upstream)."""
    skip_without_cri()
    registry = _registry(world, IMPORTED, tmp_path)
    imported = tmp_path / "conf.d" / "cri.toml"
    imported.parent.mkdir()
    imported.write_text("version = 2\n" + cri_plugin_section(tmp_path / "containerd"))
    header = f'version = 2\nimports = ["{imported}"]\n'
    config = _pull_and_compare(world, trap, tmp_path, IMPORTED, header, registry, (imported,))
    assert any("is replaced whole" in w for w in config.warnings), config.warnings
