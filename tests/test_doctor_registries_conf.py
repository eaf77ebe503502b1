"""``coverage doctor`` on registries.conf: each trap pinned on containers/image df7e80d
``pkg/sysregistriesv2/system_registries_v2.go`` (function named in the test) or
``docker/docker_image_src.go`` (``newImageSource`` looks entries up by ``ref.Name()``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.doctor_registries_conf import diagnose_registries_conf
from analyzer.model import Finding
from analyzer.reference import parse_image
from analyzer.route import route_image

runner = CliRunner()


def _findings(
    tmp_path: Path, text: str, runtime: str = "crio", **drop_ins: str
) -> tuple[Finding, ...]:
    conf = tmp_path / "registries.conf"
    conf.write_text(text)
    directory = tmp_path / "registries.conf.d"
    directory.mkdir(exist_ok=True)
    for name, body in drop_ins.items():
        (directory / name).write_text(body)
    config = load_mirror_config(
        registries_conf=str(conf),
        registries_conf_d=str(directory),
        runtime=runtime,
        node_default=None,
    )
    return diagnose_registries_conf(config)


def _codes(findings: tuple[Finding, ...]) -> list[tuple[str, str, int | None]]:
    return [(f.severity, f.code, f.line) for f in findings]


def test_v1_and_v2_mixed_is_a_finding_with_the_v2_lines(tmp_path: Path) -> None:
    # loadConfigFile: "mixing sysregistry v1/v2 is not supported"
    text = (
        'unqualified-search-registries = ["docker.io"]\n\n'
        '[registries.search]\nregistries = ["quay.io"]\n'
        '[registries.block]\nregistries = ["bad.example"]\n'
    )
    findings = _findings(tmp_path, text)
    assert _codes(findings) == [("error", "v1-v2-mixed", 3)]
    assert findings[0].fix == (
        'write the v2 form and delete [registries.*]: unqualified-search-registries = ["quay.io"];'
        ' [[registry]] location = "bad.example", blocked = true'
    )


def test_doctor_shows_a_refused_file_as_a_finding_and_exits_1(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(
        'short-name-mode = "permissive"\n[registries.insecure]\nregistries = ["a.io"]\n'
    )
    (tmp_path / "none").mkdir()  # an empty drop-in folder
    options = ["--registries-conf", str(conf), "--registries-conf-d", str(tmp_path / "none")]
    result = runner.invoke(app, ["doctor", *options])
    assert result.exit_code == 1, result.output
    assert f"error: {conf}:2: v1 [registries.*] tables and v2 keys (short-name-mode)" in (
        result.output
    )
    assert (
        "  fix: write the v2 form and delete [registries.*]: "
        '[[registry]] location = "a.io", insecure = true' in result.output
    )
    assert "cannot use this file" not in result.output
    data = json.loads(runner.invoke(app, ["doctor", *options, "-f", "json"]).output)
    assert data["config_errors"] == []
    # no --runtime: registries.conf is read as CRI-O reads it
    assert [f["code"] for f in data["findings"]] == ["v1-v2-mixed", "crio-short-name-mode"]


def test_a_v1_drop_in_is_refused(tmp_path: Path) -> None:
    findings = _findings(
        tmp_path, "", **{"50-old.conf": '[registries.search]\nregistries = ["a.io"]\n'}
    )
    assert _codes(findings) == [("error", "v1-drop-in", 1)]
    assert findings[0].file.endswith("50-old.conf")


@pytest.mark.parametrize(
    ("key", "value", "fix"),
    [
        ("location", "https://docker.io", 'location = "docker.io"'),
        ("prefix", "https://quay.io", 'prefix = "quay.io"'),
        ("location", "http://10.0.0.1:5000", 'location = "10.0.0.1:5000" with insecure = true'),
    ],
)
def test_a_scheme_in_location_or_prefix_is_refused(
    tmp_path: Path, key: str, value: str, fix: str
) -> None:
    # parseLocation: "invalid location ...: URI schemes are not supported"
    other = "location" if key == "prefix" else "prefix"
    text = f'[[registry]]\n{other} = "quay.io"\n{key} = "{value}"\n'
    findings = _findings(tmp_path, text)
    assert _codes(findings) == [("error", "scheme", 3)]
    assert findings[0].fix.startswith(fix)


def test_a_mirror_location_with_a_scheme_is_refused(tmp_path: Path) -> None:
    text = '[[registry]]\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "https://m.example"\n'
    assert _codes(_findings(tmp_path, text)) == [("error", "scheme", 5)]


@pytest.mark.parametrize(
    ("prefix", "fix"),
    [
        ("docker.io/library/nginx:1.25", 'prefix = "docker.io/library/nginx"'),
        ("quay.io/a/b@sha256:" + "a" * 64, 'prefix = "quay.io/a/b"'),
        ("index.docker.io/library/nginx", 'prefix = "docker.io/library/nginx"'),
        ("registry.*.example.com", "write *.example.com"),
        ("*example.com", "write *.example.com"),
    ],
)
def test_a_prefix_that_never_matches(tmp_path: Path, prefix: str, fix: str) -> None:
    text = f'[[registry]]\nprefix = "{prefix}"\nlocation = "m.example"\n'
    findings = _findings(tmp_path, text)
    assert _codes(findings) == [("warning", "prefix-never-matches", 2)]
    assert findings[0].fix.startswith(fix)
    # and indeed it never applies: the image goes to its own registry
    name = {"*": "registry.a.example.com/x:1", "r": "registry.a.example.com/x:1"}.get(
        prefix[0], "docker.io/library/nginx:1.25" if "nginx" in prefix else "quay.io/a/b:1"
    )
    config = load_mirror_config(
        registries_conf=str(tmp_path / "registries.conf"),
        registries_conf_d=str(tmp_path / "registries.conf.d"),
        node_default=None,
    )
    route = route_image(parse_image(name), config, load_catalogues([]))
    assert "m.example" not in (route.content_host or "")


def _route(tmp_path: Path, name: str) -> str:
    config = load_mirror_config(
        registries_conf=str(tmp_path / "registries.conf"),
        registries_conf_d=str(tmp_path / "registries.conf.d"),
        node_default=None,
    )
    return route_image(parse_image(name), config, load_catalogues([])).content_host or ""


def test_a_docker_hub_account_prefix_is_no_never_matching_prefix(tmp_path: Path) -> None:
    # refMatchingPrefix matches at a '/' boundary: docker.io/app covers docker.io/app/x, never
    # the official image docker.io/library/app; the doctor says so, and does not tell the
    # user to move the entry to docker.io/library/app
    text = (
        '[[registry]]\nprefix = "docker.io/app"\nlocation = "docker.io/app"\n'
        '[[registry.mirror]]\nlocation = "m.example/app"\n'
    )
    findings = _findings(tmp_path, text)
    assert _codes(findings) == [("warning", "prefix-hub-account", 2)]
    assert "never" not in findings[0].message
    assert "docker.io/app/..." in findings[0].message
    assert findings[0].fix.startswith("if the official image is meant")
    assert _route(tmp_path, "docker.io/app/x:1").startswith("https://m.example")
    assert "m.example" not in _route(tmp_path, "app:1")


def test_docker_io_library_is_a_namespace_prefix_without_finding(tmp_path: Path) -> None:
    text = '[[registry]]\nprefix = "docker.io/library"\nlocation = "m.example/library"\n'
    assert _findings(tmp_path, text) == ()
    assert _route(tmp_path, "nginx:1").startswith("https://m.example")


def test_pull_from_mirror_on_a_registry_is_a_field_not_an_unknown_key(tmp_path: Path) -> None:
    # Registry embeds Endpoint; postProcessRegistries refuses it when set on a registry
    text = '[[registry]]\nlocation = "quay.io"\npull-from-mirror = "all"\n'
    findings = _findings(tmp_path, text)
    assert "unknown-key" not in [f.code for f in findings]
    assert any(f.severity == "error" for f in findings), findings


def test_the_port_of_a_host_is_no_tag(tmp_path: Path) -> None:
    text = '[[registry]]\nprefix = "registry.local:5000/team"\nlocation = "m.example:5000/team"\n'
    assert _findings(tmp_path, text) == ()


def test_an_entry_a_drop_in_replaces_names_the_mirrors_it_loses(tmp_path: Path) -> None:
    # updateWithConfigurationFrom: the same prefix in a later file replaces the entry whole
    main = '[[registry]]\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "a.example"\n'
    drop_in = '[[registry]]\nlocation = "docker.io"\ninsecure = true\n'
    findings = _findings(tmp_path, main, **{"50-hub.conf": drop_in})
    assert _codes(findings) == [("warning", "replaced-by-drop-in", 1)]
    assert "its mirrors a.example are not used" in findings[0].message
    assert findings[0].file == str(tmp_path / "registries.conf")


def test_the_second_entry_of_a_prefix_in_one_file_is_never_used(tmp_path: Path) -> None:
    # postProcessRegistries: the first of a prefix wins
    text = (
        '[[registry]]\nlocation = "docker.io"\n\n'
        '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "a.example"\n'
    )
    assert _codes(_findings(tmp_path, text)) == [("warning", "duplicate-prefix", 4)]


def test_unknown_keys_are_named_with_a_guess(tmp_path: Path) -> None:
    # BurntSushi/toml leaves unknown keys undecoded (logged at debug level only)
    text = (
        'unqualified_search_registries = ["docker.io"]\n'
        '[[registry]]\nlocation = "docker.io"\nmirror_by_digest_only = true\n'
        '[[registry.mirrors]]\nlocation = "a.example"\n'
    )
    findings = _findings(tmp_path, text)
    assert _codes(findings) == [
        ("warning", "unknown-key", 1),
        ("warning", "unknown-key", 2),
        ("warning", "unknown-key", 2),
    ]
    assert findings[0].fix == "did you mean 'unqualified-search-registries'?"
    assert {f.fix for f in findings[1:]} == {
        "did you mean 'mirror-by-digest-only'?",
        "did you mean 'mirror'?",
    }


def test_digest_only_mirrors_are_never_used_by_tags(tmp_path: Path) -> None:
    text = (
        '[[registry]]\nlocation = "docker.io"\nmirror-by-digest-only = true\n'
        '[[registry.mirror]]\nlocation = "a.example"\n\n'
        '[[registry]]\nlocation = "quay.io"\n'
        '[[registry.mirror]]\nlocation = "b.example"\npull-from-mirror = "digest-only"\n'
    )
    assert _codes(_findings(tmp_path, text)) == [
        ("warning", "digest-only-mirror", 3),
        ("warning", "digest-only-mirror", 11),
    ]


def test_files_in_the_drop_in_folder_that_are_never_read(tmp_path: Path) -> None:
    # dropInConfigs: *.conf files directly in the folder only
    (tmp_path / "registries.conf.d" / "sub").mkdir(parents=True)
    findings = _findings(tmp_path, "", **{"50-mirrors.toml": "", "60-ok.conf": ""})
    assert [(f.code, Path(f.file).name) for f in findings] == [
        ("drop-in-not-read", "50-mirrors.toml"),
        ("drop-in-not-read", "sub"),
    ]
    assert findings[0].fix.startswith("rename it to 50-mirrors.conf")


def test_crio_ignores_short_name_mode(tmp_path: Path) -> None:
    text = 'short-name-mode = "permissive"\n'
    assert _codes(_findings(tmp_path, text)) == [("info", "crio-short-name-mode", 1)]
    assert _findings(tmp_path, text, runtime="podman") == ()


def test_any_other_refusal_is_a_finding_too(tmp_path: Path) -> None:
    text = (
        '[[registry]]\nlocation = "docker.io"\nmirror-by-digest-only = true\n'
        '[[registry.mirror]]\nlocation = "a.example"\npull-from-mirror = "all"\n'
    )
    findings = _findings(tmp_path, text)
    assert [(f.severity, f.code) for f in findings] == [
        ("warning", "digest-only-mirror"),
        ("error", "refused"),
    ]
    assert "cannot set mirror-by-digest-only" in findings[1].message


def test_the_daocloud_fixture_has_no_trap() -> None:
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "runtimes"
    config = load_mirror_config(
        registries_conf=str(fixtures / "registries.conf"), runtime="crio", node_default=None
    )
    assert diagnose_registries_conf(config) == ()
