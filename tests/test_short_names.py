"""Short names under CRI-O and Podman, each rule pinned on the source that decides it:

- containers/image df7e80d (v5.36) ``pkg/shortnames/shortnames.go`` ``Resolve`` and
  ``parseUnnormalizedShortName``; ``pkg/sysregistriesv2/shortnames.go``
  (``ResolveShortNameAlias``, ``validateShortName``, ``parseShortNameValue``,
  ``newShortNameAliasCache``); ``system_registries_v2.go`` (``updateWithConfigurationFrom``,
  ``postProcessRegistries``);
- cri-o f954a17 (v1.36) ``pkg/config/config.go`` ``SetSystemContext`` (since a8b550ad,
  CRI-O 1.34: ``enforcing`` unless crio.conf says ``disabled``, whatever registries.conf
  says), ``internal/storage/image.go`` ``CandidatesForPotentiallyShortImageName`` (its
  error text) and ``server/image_pull.go`` ``pullImage`` (candidates in order, first pulled
  wins).

``tests/integration/test_podman_short_names.py`` proves the resolution rules with Debian's
podman (containers/image 5.23) pulling from loopback registries.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.engine import ScanOptions, run
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.config import MirrorConfig
from analyzer.model import Route
from analyzer.reference import parse_image, short_name, with_short_name
from analyzer.route import route_image

runner = CliRunner()


def _config(tmp_path: Path, text: str, runtime: str = "crio", **drop_ins: str) -> MirrorConfig:
    conf = tmp_path / "registries.conf"
    conf.write_text(text)
    directory = tmp_path / "registries.conf.d"
    directory.mkdir(exist_ok=True)
    for name, body in drop_ins.items():
        (directory / f"{name}.conf").write_text(body)
    return load_mirror_config(
        registries_conf=str(conf),
        registries_conf_d=str(directory),
        runtime=runtime,
        node_default=None,
    )


def _route(config: MirrorConfig, text: str, *catalogs: str) -> Route:
    ref = with_short_name(text, parse_image(text))
    return route_image(ref, config, load_catalogues(list(catalogs)))


HUB_MIRROR = (
    '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n'
    '[[registry.mirror]]\nlocation = "hub.example"\n'
)
TWO = 'unqualified-search-registries = ["quay.io", "docker.io"]\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", "nginx"),
        ("nginx:1.25", "nginx"),
        ("library/nginx:1.25", "library/nginx"),
        ("a/b/c:1", "a/b/c"),
        ("nginx@sha256:" + "a" * 64, "nginx"),  # short, whatever the comment says
        ("quay.io/x/y", None),
        ("localhost/x", None),
        ("localhost:5000/x", None),
        ("registry:5000/x:1", None),
        ("docker.io/library/nginx", None),
    ],
)
def test_what_containers_image_calls_a_short_name(text: str, expected: str | None) -> None:
    # parseUnnormalizedShortName: short unless the first component has "." or ":" or is
    # "localhost"
    assert short_name(text) == expected


def test_crio_enforcing_fails_an_ambiguous_short_name_whatever_registries_conf_says(
    tmp_path: Path,
) -> None:
    # SetSystemContext sets ShortNameMode (enforcing by default since 1.34), which wins over
    # registries.conf's short-name-mode (GetShortNameMode looks at the context first)
    config = _config(tmp_path, TWO + 'short-name-mode = "permissive"\n' + HUB_MIRROR)
    route = _route(config, "nginx", "hub.example=all")
    assert route.status == "blocked"
    assert "short name mode is enforcing, but image name nginx:latest returns ambiguous" in (
        route.reason or ""
    )
    assert "not used by CRI-O" in (route.reason or "")


def test_crio_with_one_search_registry_uses_it_and_its_mirrors(tmp_path: Path) -> None:
    # one candidate is never ambiguous; the candidate is then pulled with its own
    # [[registry]] mirrors
    config = _config(tmp_path, 'unqualified-search-registries = ["docker.io"]\n' + HUB_MIRROR)
    route = _route(config, "nginx:1.25", "hub.example=all")
    assert (route.status, route.content_host) == ("mirrored", "https://hub.example/v2")
    assert "short name nginx:1.25 is docker.io/library/nginx:1.25" in (route.reason or "")


def test_an_alias_wins_over_the_search_registries_and_keeps_the_tag(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        TWO + HUB_MIRROR + '[aliases]\n"app" = "ghcr.io/acme/app"\n',
    )
    route = _route(config, "app:v1")
    assert (route.status, route.content_host) == ("direct", "https://ghcr.io/v2")
    assert route.attempts[0].detail == "GET https://ghcr.io/v2/acme/app/manifests/v1"
    assert 'the alias "app" = "ghcr.io/acme/app"' in (route.reason or "")


def test_an_alias_of_docker_hub_is_routed_through_docker_hubs_mirror(tmp_path: Path) -> None:
    config = _config(tmp_path, HUB_MIRROR, shortnames='[aliases]\n"web" = "docker.io/nginx"\n')
    route = _route(config, "web:1", "hub.example=all")
    assert route.status == "mirrored"
    assert route.attempts[0].detail == "GET https://hub.example/v2/library/nginx/manifests/1"


def test_an_empty_alias_in_a_later_drop_in_resets_it(tmp_path: Path) -> None:
    # newShortNameAliasCache: "" resets an alias of an earlier file
    config = _config(
        tmp_path,
        'unqualified-search-registries = ["docker.io"]\n[aliases]\n"app" = "ghcr.io/a/app"\n',
        **{"90-reset": '[aliases]\n"app" = ""\n'},
    )
    assert _route(config, "app:1").content_host == "https://registry-1.docker.io/v2"


def test_no_search_registry_and_no_alias_fails_the_pull(tmp_path: Path) -> None:
    config = _config(tmp_path, HUB_MIRROR)
    route = _route(config, "nginx:1.25", "hub.example=all")
    assert route.status == "blocked"
    assert "did not resolve to an alias and no unqualified-search registries are defined in" in (
        route.reason or ""
    )


def test_a_drop_in_search_list_replaces_the_main_one_and_an_empty_one_clears_it(
    tmp_path: Path,
) -> None:
    # updateWithConfigurationFrom: a drop-in's list (even []) replaces the earlier one
    config = _config(tmp_path, TWO, **{"10-one": 'unqualified-search-registries = ["docker.io"]'})
    assert _route(config, "nginx").status == "direct"
    config = _config(tmp_path, TWO, **{"10-one": "unqualified-search-registries = []"})
    assert "no unqualified-search registries" in (_route(config, "nginx").reason or "")


def test_podman_permissive_tries_the_search_registries_in_order(tmp_path: Path) -> None:
    # no short-name-mode: containers/image's default, permissive; without a terminal every
    # candidate is used, in order; the first that is pulled wins
    config = _config(tmp_path, TWO + HUB_MIRROR, runtime="podman")
    route = _route(config, "library/nginx:1.25")
    assert route.content_host == "https://quay.io/v2"
    assert route.attempts[0].detail == "GET https://quay.io/v2/library/nginx/manifests/1.25"
    assert any(
        "quay.io/library/nginx:1.25, docker.io/library/nginx:1.25" in w for w in route.warnings
    )


def test_a_candidate_that_cannot_be_pulled_passes_to_the_next(tmp_path: Path) -> None:
    # quay.io blocked with no mirror: that candidate fails, docker.io's mirror serves
    blocked = '[[registry]]\nlocation = "quay.io"\nblocked = true\n'
    config = _config(tmp_path, TWO + blocked + HUB_MIRROR, runtime="podman")
    route = _route(config, "nginx:1", "hub.example=all")
    assert (route.status, route.content_host) == ("mirrored", "https://hub.example/v2")
    assert "before it, quay.io/nginx:1" in (route.reason or "")
    assert route.attempts[0].outcome == "blocked"


@pytest.mark.parametrize(("mode", "status"), [("enforcing", "blocked"), ("disabled", "direct")])
def test_podman_uses_the_files_short_name_mode(tmp_path: Path, mode: str, status: str) -> None:
    config = _config(tmp_path, TWO + f'short-name-mode = "{mode}"\n', runtime="podman")
    route = _route(config, "nginx")
    assert route.status == status
    if mode == "enforcing":
        assert "cannot prompt without a TTY" in (route.reason or "")


@pytest.mark.parametrize(
    ("aliases", "problem"),
    [
        ('"app" = "ghcr.io/a/app:1"', "must not contain tag"),
        ('"app" = "app2"', "must contain registry and repository"),
        ('"quay.io/app" = "ghcr.io/a/app"', "must not contain registry"),
        ('"app:1" = "ghcr.io/a/app"', "must not contain tag"),
    ],
)
def test_a_bad_alias_makes_the_configuration_unusable(
    tmp_path: Path, aliases: str, problem: str
) -> None:
    # loadConfigFile: "validating short-name aliases" fails the whole configuration
    config = _config(tmp_path, f"[aliases]\n{aliases}\n")
    assert problem in str(config.errors[0])
    assert _route(config, "quay.io/x/y:1").status == "blocked"


@pytest.mark.parametrize("entry", ["https://quay.io", "quay.io/sub"])
def test_a_bad_search_registry_makes_the_configuration_unusable(tmp_path: Path, entry: str) -> None:
    config = _config(tmp_path, f'unqualified-search-registries = ["{entry}"]\n')
    assert config.errors


def test_containerd_normalises_short_names_as_before(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: a, image: nginx:1}\n"
    )
    report = run(ScanOptions(paths=(str(manifest),), node_default=None))
    assert report.images[0].ref.short is None


def test_scan_routes_a_short_and_a_full_spelling_apart_and_keeps_the_worse(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: a, image: docker.io/library/nginx:1}\n  - {name: b, image: nginx:1}\n"
    )
    (tmp_path / "none").mkdir()  # an empty drop-in folder
    conf = tmp_path / "registries.conf"
    conf.write_text(TWO + HUB_MIRROR)
    options = ScanOptions(
        paths=(str(manifest),),
        registries_conf=str(conf),
        registries_conf_d=str(tmp_path / "none"),
        catalogs=("hub.example=all",),
        node_default=None,
    )
    report = run(options)
    assert [(r.image, r.status) for r in report.images] == [
        ("docker.io/library/nginx:1", "blocked")
    ]
    assert "ambiguous list" in (report.images[0].route.reason or "")


def test_explain_lists_the_candidates_in_order(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()  # an empty drop-in folder
    conf = tmp_path / "registries.conf"
    conf.write_text(TWO + HUB_MIRROR)
    options = [
        "--runtime",
        "podman",
        "--registries-conf",
        str(conf),
        "--registries-conf-d",
        str(tmp_path / "none"),
    ]
    result = runner.invoke(app, ["explain", "nginx:1", *options])
    assert result.exit_code == 0, result.output
    assert (
        "short name nginx:1: unqualified-search-registries "
        f"({conf}): quay.io, docker.io\n  1. quay.io/nginx:1\n  2. docker.io/library/nginx:1\n"
    ) in result.output
    result = runner.invoke(app, ["explain", "nginx:1", *options, "-f", "json"])
    data = json.loads(result.output)
    assert data["short_name"]["candidates"] == ["quay.io/nginx:1", "docker.io/library/nginx:1"]
    assert [h["repository"] for h in data["hosts"]] == ["nginx", "library/nginx", "library/nginx"]
    assert data["config"].startswith("runtime podman: ")


def _crio_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, conf: str) -> Path:
    etc = tmp_path / "etc"
    (etc / "containers").mkdir(parents=True)
    (etc / "containers" / "registries.conf").write_text(conf)
    (etc / "crio" / "crio.conf.d").mkdir(parents=True)
    (etc / "crio" / "crio.conf").write_text('[crio.image]\nshort_name_mode = "enforcing"\n')
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(tmp_path))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_HOSTS_DIR", str(tmp_path / "no-certs.d"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return etc


def test_crio_conf_drop_in_disables_enforcing_on_the_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # crio.conf then crio.conf.d (filepath.Walk order, UpdateFromPath): the last that sets
    # short_name_mode wins; "disabled" tries every candidate in order
    etc = _crio_node(tmp_path, monkeypatch, TWO)
    config = load_mirror_config()
    assert "ambiguous list" in (_route(config, "nginx").reason or "")
    (etc / "crio" / "crio.conf.d" / "10-short.conf").write_text(
        '[crio.image]\nshort_name_mode = "disabled"\n'
    )
    config = load_mirror_config()
    route = _route(config, "nginx")
    assert route.content_host == "https://quay.io/v2"
    assert config.short_names is not None
    assert "10-short.conf" in config.short_names.mode_origin


def test_the_machines_alias_cache_comes_before_registries_conf_aliases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ResolveShortNameAlias: short-name-aliases.conf (root: /var/cache/containers) first
    _crio_node(tmp_path, monkeypatch, TWO + '[aliases]\n"app" = "quay.io/a/app"\n')
    cache = tmp_path / "var" / "cache" / "containers"
    cache.mkdir(parents=True)
    (cache / "short-name-aliases.conf").write_text('[aliases]\n"app" = "ghcr.io/b/app"\n')
    assert _route(load_mirror_config(), "app:1").content_host == "https://ghcr.io/v2"
    (cache / "short-name-aliases.conf").write_text('[aliases]\n"app" = "ghcr.io/b/app:1"\n')
    route = _route(load_mirror_config(), "app:1")
    assert route.status == "blocked"
    assert "loading short-name aliases config file" in (route.reason or "")
