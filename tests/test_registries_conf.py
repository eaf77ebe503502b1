"""registries.conf (v2) rules, each pinned on containers/image's
``pkg/sysregistriesv2/system_registries_v2.go`` (function named) or proven with skopeo in
``tests/integration/test_skopeo_routes.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.registries_conf import find_entry, matching_prefix, parse_conf
from analyzer.reference import parse_image
from analyzer.route import route_image

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "runtimes"


def test_prefix_matches_at_slash_colon_at_boundaries_only() -> None:
    # refMatchingPrefix
    assert matching_prefix("example.com/foo/bar", "example.com/foo") == len("example.com/foo")
    assert matching_prefix("example.com/foobar/x", "example.com/foo") == -1
    assert matching_prefix("example.com:5000/x", "example.com") == len("example.com")
    assert matching_prefix("example.com", "example.com") == len("example.com")


def test_wildcard_matches_subdomains_at_any_depth_not_the_domain() -> None:
    # refMatchingSubdomainPrefix
    assert matching_prefix("a.b.example.com/x", "*.example.com") == len("a.b.example.com")
    assert matching_prefix("example.com/x", "*.example.com") == -1
    assert matching_prefix("other.com/a.example.com/x", "*.example.com") == -1


def _conf(text: str) -> list:  # type: ignore[type-arg]
    return list(parse_conf(text, "r.conf", drop_in=False).entries)


def test_longest_prefix_wins_and_equal_lengths_go_to_the_first_sorted() -> None:
    # findRegistryWithParsedConfig: length > best; Registries sorted by prefix
    entries = _conf(
        '[[registry]]\nprefix = "a.example.com"\nlocation = "x.example"\n'
        '[[registry]]\nprefix = "*.example.com"\n'
        '[[registry]]\nprefix = "ab.example.com"\nlocation = "y.example"\n'
    )
    assert find_entry(entries, "a.example.com/r").prefix == "*.example.com"  # type: ignore[union-attr]
    assert find_entry(entries, "ab.example.com/r").prefix == "ab.example.com"  # type: ignore[union-attr]


def test_docker_hub_is_normalised_before_matching(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nprefix = "docker.io/app"\nlocation = "docker.io/app"\n'
        '[[registry.mirror]]\nlocation = "never.example"\n'
        '[[registry]]\nprefix = "docker.io/library/app"\nlocation = "docker.io/library/app"\n'
        '[[registry.mirror]]\nlocation = "hub.example/library/app"\n'
    )
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    route = route_image(parse_image("app:1"), config, load_catalogues(["hub.example=all"]))
    assert route.status == "mirrored" and route.content_host == "https://hub.example/v2"
    # requests carry no ?ns= (containers/image sends none)
    assert "?ns=" not in (route.attempts[0].detail or "")


def test_v1_and_v2_mixed_and_v1_drop_ins_are_refused(tmp_path: Path) -> None:
    # loadConfigFile
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[registries.search]\nregistries = ["docker.io"]\n[[registry]]\nlocation = "a.example"\n'
    )
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    assert config.errors and "mixing" in config.errors[0].message
    assert route_image(parse_image("nginx"), config, load_catalogues([])).status == "blocked"
    drop = tmp_path / "d"
    drop.mkdir()
    (drop / "10.conf").write_text('[registries.block]\nregistries = ["x.example"]\n')
    only = load_mirror_config(registries_conf_d=str(drop), node_default=None)
    assert "v2 format" in only.errors[0].message


def test_v1_block_blocks_the_registry(tmp_path: Path) -> None:
    # ConvertToV2: [registries.block] -> blocked entries
    conf = tmp_path / "registries.conf"
    conf.write_text('[registries.block]\nregistries = ["quay.io"]\n')
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    route = route_image(parse_image("quay.io/a/b:1"), config, load_catalogues([]))
    assert route.status == "blocked" and "is blocked" in (route.reason or "")


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nprefix = "a\n')
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    assert config.errors[0].line == 2


def test_daocloud_fixture_explain_json_keeps_hosts_in_order() -> None:
    result = CliRunner().invoke(
        app,
        [
            "explain",
            "quay.io/prometheus/node-exporter:v1.8.2",
            "-f",
            "json",
            "--registries-conf",
            str(FIXTURES / "registries.conf"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [h["url"] for h in data["hosts"]] == [
        "https://quay.m.daocloud.io/v2",
        "https://quay.io/v2",
    ]
    assert data["rule"] == "first-source"
    assert data["resolve_host"] == data["content_host"] == "https://quay.m.daocloud.io/v2"
    assert data["status"] == "mirrored"


def test_runtime_podman_reads_the_usual_files_under_the_node_root(
    tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    etc = tmp_path / "etc" / "containers"
    etc.mkdir(parents=True)
    (etc / "registries.conf").write_text((FIXTURES / "registries.conf").read_text())
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no user registries.conf
    config = load_mirror_config(runtime="podman")
    assert config.description.startswith("runtime podman: ")
    assert config.hosts_for_ref(parse_image("ghcr.io/a/b:1").pulled).hosts[0].host == (
        "ghcr.m.daocloud.io"
    )


def test_a_source_that_is_not_a_canonical_reference_fails_the_pull(tmp_path: Path) -> None:
    # rewriteReference: reference.ParseNamed(location + rest) must give the same name
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nprefix = "docker.io/library/app"\nlocation = "docker.io/library/app"\n'
        '[[registry.mirror]]\nlocation = "hub.example"\n'
    )
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    route = route_image(parse_image("app:1"), config, load_catalogues(["hub.example=all"]))
    assert route.status == "blocked" and "not a canonical reference" in (route.reason or "")


def _two_entries(tmp_path: Path) -> Path:
    conf = tmp_path / "registries.conf"
    conf.write_text(
        'unqualified-search-registries = ["docker.io"]\n'
        '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n'
        '[[registry.mirror]]\nlocation = "hub.example"\n'
        '[[registry]]\nprefix = "quay.io/x"\nlocation = "quay.io/x"\n'
        '[[registry.mirror]]\nlocation = "quay.example"\n'
    )
    return conf


def test_per_mirror_rows_are_the_entries_that_answered(tmp_path: Path) -> None:
    # MirrorConfig.configured_name: the prefix configured() lists, not the registry (nor
    # the last entry of the same file)
    from analyzer.engine import ScanOptions, run

    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: a, image: nginx:1}\n  - {name: b, image: quay.io/x/y:1}\n"
    )
    options = ScanOptions(
        paths=(str(manifest),),
        registries_conf=str(_two_entries(tmp_path)),
        catalogs=("hub.example=all", "quay.example=all"),
        node_default=None,
    )
    report = run(options)
    assert [r.status for r in report.images] == ["mirrored", "mirrored"]
    rows = {(m.host, m.registry): m.images for m in report.mirrors}
    assert rows == {
        ("https://hub.example/v2", "docker.io"): ("docker.io/library/nginx:1",),
        ("https://quay.example/v2", "quay.io/x"): ("quay.io/x/y:1",),
    }


def test_tag_and_digest_of_one_name_get_their_own_sources(tmp_path: Path) -> None:
    # pull-from-mirror = "digest-only": the mirror is a source for the digest reference
    # only, so the answer for one reference of a name must not be reused for the other
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n'
        '[[registry.mirror]]\nlocation = "mirror.example"\npull-from-mirror = "digest-only"\n'
    )
    digest = "sha256:" + "a" * 64
    catalogues = load_catalogues(["mirror.example=all"])
    for order in (
        ("quay.io/x/y:1", f"quay.io/x/y@{digest}"),
        (f"quay.io/x/y@{digest}", "quay.io/x/y:1"),
    ):
        config = load_mirror_config(registries_conf=str(conf), node_default=None)
        statuses = {ref: route_image(parse_image(ref), config, catalogues).status for ref in order}
        assert statuses == {"quay.io/x/y:1": "fallback", f"quay.io/x/y@{digest}": "mirrored"}


def test_advice_asks_the_mirror_of_the_entry_that_answered(tmp_path: Path) -> None:
    # the entry is for quay.io/x, not for quay.io as a whole: the advice must see its mirror
    from analyzer.fixes.advice import advise
    from analyzer.report import ImageResult

    config = load_mirror_config(registries_conf=str(_two_entries(tmp_path)), node_default=None)
    lists = tmp_path / "quay.txt"
    lists.write_text("quay.io/x/other\n")
    catalogues = load_catalogues([f"quay.example={lists}"])
    ref = parse_image("quay.io/x/y:1")
    route = route_image(ref, config, catalogues)
    assert route.status == "fallback"
    advice = advise(ImageResult(ref=ref, route=route, uses=()), config, catalogues)
    assert advice.action == "request" and advice.host == "quay.example", advice


def _entry_text(prefix: str, mirror: str) -> str:
    return (
        f'[[registry]]\nprefix = "{prefix}"\nlocation = "{prefix}"\n'
        f'[[registry.mirror]]\nlocation = "{mirror}"\n'
    )


def _first_host(config: object, name: str) -> str:
    from analyzer.mirrors.config import MirrorConfig

    assert isinstance(config, MirrorConfig)
    return config.hosts_for_ref(parse_image(name).pulled).hosts[0].host


def _system_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drop_in: str
) -> tuple[Path, Path, Path]:
    """A node root with a system registries.conf (quay.io) and drop-in (ghcr.io), and HOME:
    ``(root, home, /etc/containers)``."""
    root, home = tmp_path / "node", tmp_path / "home"
    etc = root / "etc" / "containers"
    (etc / "registries.conf.d").mkdir(parents=True)
    (etc / "registries.conf").write_text(_entry_text("quay.io", "system.example"))
    (etc / "registries.conf.d" / drop_in).write_text(_entry_text("ghcr.io", "sysdrop.example"))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(root))
    monkeypatch.setenv("HOME", str(home))
    return root, home, etc


def test_podman_reads_the_system_files_then_the_users_drop_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # newConfigWrapperWithHomeDir + dropInConfigs: no user registries.conf, so the system
    # file, the system drop-ins, then the user's drop-ins (a directory after the other,
    # whatever the names)
    _, home, _ = _system_files(tmp_path, monkeypatch, "90-sys.conf")
    user_d = home / ".config" / "containers" / "registries.conf.d"
    user_d.mkdir(parents=True)
    (user_d / "10-user.conf").write_text(_entry_text("ghcr.io", "user.example"))
    config = load_mirror_config(runtime="podman")
    assert _first_host(config, "quay.io/a/b:1") == "system.example"
    assert _first_host(config, "ghcr.io/a/b:1") == "user.example"
    assert str(user_d / "10-user.conf") in config.description.splitlines()[0]


def test_podmans_user_registries_conf_replaces_the_system_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a user registries.conf: the system file and the system drop-ins are not read
    _, home, etc = _system_files(tmp_path, monkeypatch, "50.conf")
    user = home / ".config" / "containers"
    (user / "registries.conf.d").mkdir(parents=True)
    (user / "registries.conf").write_text(_entry_text("gcr.io", "user.example"))
    (user / "registries.conf.d" / "50.conf").write_text(_entry_text("ghcr.io", "userdrop.example"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # not what c/image reads
    config = load_mirror_config(runtime="podman")
    first = config.description.splitlines()[0]
    assert first.startswith(f"runtime podman: {user / 'registries.conf'} replaces {etc}")
    assert _first_host(config, "gcr.io/a/b:1") == "user.example"
    assert _first_host(config, "ghcr.io/a/b:1") == "userdrop.example"
    assert _first_host(config, "quay.io/a/b:1") == "quay.io"  # the system file is not read


def test_crio_on_a_node_reads_roots_user_registries_conf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CRI-O runs as root and sets no SystemRegistriesConfPath by default (criocli
    # --registries-conf is hidden and empty): /root/.config/containers/registries.conf wins
    user = tmp_path / "root" / ".config" / "containers"
    user.mkdir(parents=True)
    (user / "registries.conf").write_text(_entry_text("gcr.io", "root.example"))
    (tmp_path / "etc" / "crio").mkdir(parents=True)
    (tmp_path / "etc" / "crio" / "crio.conf").write_text("")
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(tmp_path))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_HOSTS_DIR", str(tmp_path / "no-certs.d"))
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    config = load_mirror_config()
    assert config.description.startswith("runtime crio (detected on this machine): ")
    assert _first_host(config, "gcr.io/a/b:1") == "root.example"


def test_a_registries_table_without_a_registries_list_is_not_v1(tmp_path: Path) -> None:
    # V1RegistriesConf.hasSetField: only search/insecure/block's "registries" count; any
    # other key under [registries] is unknown and ignored, so the v2 keys stand
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.example"\n'
        "[registries.search]\n"
    )
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    assert config.errors == ()
    route = route_image(parse_image("docker.io/library/x:1"), config, load_catalogues([]))
    assert route.content_host == "https://m.example/v2"


def test_a_missing_system_registries_conf_is_an_empty_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tryUpdatingCache: the default file missing is no error; the drop-ins still apply
    drop_ins = tmp_path / "etc" / "containers" / "registries.conf.d"
    drop_ins.mkdir(parents=True)
    (drop_ins / "50.conf").write_text(_entry_text("quay.io", "m.example"))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load_mirror_config(runtime="podman")
    assert config.errors == ()
    assert _first_host(config, "quay.io/a/b:1") == "m.example"


@pytest.mark.parametrize(
    ("mirror_lines", "setting"),
    [
        (
            'mirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.example"\n',
            "mirror-by-digest-only",
        ),
        (
            '[[registry.mirror]]\nlocation = "m.example"\npull-from-mirror = "digest-only"\n',
            "pull-from-mirror",
        ),
    ],
)
def test_a_tag_past_digest_only_mirrors_names_the_setting_that_skipped_them(
    tmp_path: Path, mirror_lines: str, setting: str
) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n' + mirror_lines)
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    route = route_image(parse_image("quay.io/x/y:1"), config, load_catalogues(["m.example=all"]))
    assert route.status == "fallback"
    assert f"are not used for this reference ({setting}):" in route.reason


def test_daocloud_path_prefix_mirror_is_asked_for_the_location_path_and_repository(
    tmp_path: Path,
) -> None:
    """A mirror ``location = "m.daocloud.io/docker.io"`` makes containers/image ask
    ``m.daocloud.io`` for ``docker.io/library/nginx`` (``/v2/docker.io/library/nginx/...``),
    which crproxy serves from Docker Hub when its list holds it; a plain
    ``location = "m.daocloud.io"`` asks for ``library/nginx``, which crproxy refuses: that
    host has no default registry (DaoCloud/crproxy @ 6e21fb9, utils.go
    ``ParseOriginPathInfo``). The catalogue was asked about the registry's own name for
    both: the plain mirror was "mirrored" (a false pass), the prefixed one "fallback"."""
    conf = tmp_path / "registries.conf"
    statuses = {}
    for location in ("m.daocloud.io/docker.io", "m.daocloud.io"):
        conf.write_text(_entry_text("docker.io", location))
        config = load_mirror_config(registries_conf=str(conf), node_default=None)
        route = route_image(parse_image("docker.io/library/nginx:1.25"), config, load_catalogues())
        statuses[location] = route.status
    assert statuses == {"m.daocloud.io/docker.io": "mirrored", "m.daocloud.io": "fallback"}


@pytest.mark.parametrize(
    ("mirrors", "status"),
    [(["quay.io"], "direct"), (["quay.io", "m.example.com"], "fallback")],
)
def test_a_mirror_that_is_the_registry_itself_is_not_mirroring(
    tmp_path: Path, mirrors: list[str], status: str
) -> None:
    """skopeo takes everything from the first source that answers: a mirror located at the
    registry itself is the upstream (tests/integration/test_skopeo_routes.py,
    ``mirror-is-the-registry-itself``), as a [host] naming the registry is in hosts.toml."""
    conf = tmp_path / "registries.conf"
    conf.write_text(
        '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n'
        + "".join(f'[[registry.mirror]]\nlocation = "{m}"\n' for m in mirrors)
    )
    config = load_mirror_config(
        registries_conf=str(conf), registries_conf_d=str(tmp_path / "d"), node_default=None
    )
    route = route_image(parse_image("quay.io/x/y:1"), config, load_catalogues([]))
    assert (route.status, route.content_host) == (status, "https://quay.io/v2")
