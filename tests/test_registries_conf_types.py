"""A registries.conf value of the wrong Go type: BurntSushi/toml fails ``toml.DecodeFile`` and
containers/image refuses the whole configuration (``loadConfigFile``; proven with skopeo 1.9.3
in tests/integration/test_skopeo_routes.py: "incompatible types: TOML value has type int64;
destination has type slice")."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.reference import parse_image
from analyzer.route import route_image

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
    "  - {name: c, image: docker.io/library/nginx:1.25}\n"
)

WRONG_TYPES = [
    # (file text, the line named, words of the message)
    ("credential-helpers = 5\n", 1, "credential-helpers must be an array of strings"),
    ("credential-helpers = [5]\n", 1, "not an array holding an integer"),
    ('[registries.search]\nregistries = "x"\n', 2, "registries.search.registries must be"),
    ('[registries.block]\nregistries = "docker.io"\n', 2, "not a string"),
    ("[registries.insecure]\nregistries = 5\n", 2, "registries.insecure.registries must be"),
    ("[registries.search]\nregistries = 5\n", 2, "not an integer"),
    ("registries = 5\n", 1, "registries must be a table"),
    ("[registries]\nblock = []\n", 2, "registries.block must be a table"),
    ("unqualified-search-registries = 'docker.io'\n", 1, "must be an array of strings"),
    ("additional-layer-store-auth-helper = true\n", 1, "must be a string, not a boolean"),
    ("short-name-mode = 5\n", 1, "short-name-mode must be a string"),
    ("[aliases]\nx = 5\n", 2, "aliases.x must be a string, not an integer"),
    # BurntSushi matches a key to a field case-insensitively (strings.EqualFold)
    ("Credential-Helpers = 5\n", 1, "Credential-Helpers must be"),
    # inside an array of tables: the key's line (registries_conf_lines)
    ('[[registry]]\nlocation = "quay.io"\npull-from-mirror = 0\n', 3, "registry #1.pull-"),
    ('[[registry]]\nlocation = "quay.io"\nBlocked = 1\n', 3, "Blocked must be true or false"),
    ('[[registry]]\nlocation = "quay.io"\n[[registry.mirror]]\nlocation = 5\n', 4, "mirror"),
]


@pytest.mark.parametrize(("text", "line", "words"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_refuses_the_whole_configuration(
    tmp_path: Path, text: str, line: int | None, words: str
) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(text)
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    assert len(config.errors) == 1, config.errors
    error = config.errors[0]
    assert error.file == str(conf) and error.line == line
    assert words in error.message and "refuses the whole configuration" in error.message
    route = route_image(parse_image("nginx:1.25"), config, load_catalogues([]))
    assert route.status == "blocked", route.to_dict()


@pytest.mark.parametrize("text", [t for t, _, _ in WRONG_TYPES[:6]])
@pytest.mark.parametrize("command", ["scan", "doctor", "mirrors"])
def test_the_cli_fails_the_gate_without_a_traceback(
    tmp_path: Path, text: str, command: str
) -> None:
    (tmp_path / "m.yaml").write_text(POD)
    (tmp_path / "c.conf").write_text(text)
    (tmp_path / "d").mkdir()
    options = ["--runtime", "podman", "--registries-conf", str(tmp_path / "c.conf")]
    options += ["--registries-conf-d", str(tmp_path / "d")]
    args = [command, *([str(tmp_path / "m.yaml")] if command == "scan" else []), *options]
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    # scan: 2 (an input could not be read); doctor: 1 (an error finding), as for any refused file
    assert result.exit_code == {"scan": 2, "doctor": 1, "mirrors": 2}[command], result.output
    assert "refuses the whole configuration" in result.output
    assert "blocked registry" not in result.output  # no registry named 'd', 'o', 'c'...


def test_explain_says_blocked(tmp_path: Path) -> None:
    (tmp_path / "c.conf").write_text("[registries.insecure]\nregistries = 5\n")
    result = CliRunner().invoke(
        app,
        [
            "explain",
            "nginx:1.25",
            "--runtime",
            "podman",
            "--registries-conf",
            str(tmp_path / "c.conf"),
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2 and "verdict: blocked" in result.output, result.output


def test_unknown_keys_and_well_typed_values_are_still_fine(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    for text in (
        'credential-helpers = ["containers-auth.json"]\nwhatever = 5\n',
        '[registries.search]\nother = 5\nregistries = ["docker.io"]\n',
        '[[registry]]\nlocation = "quay.io"\nblocked = false\nnot-a-field = 5\n',
    ):
        conf.write_text(text)
        config = load_mirror_config(registries_conf=str(conf), node_default=None)
        assert config.errors == (), text


# -- keys in another case are used: BurntSushi's unifyStruct matches with strings.EqualFold


def _route(tmp_path: Path, text: str) -> tuple[object, str]:
    conf = tmp_path / "registries.conf"
    conf.write_text(text)
    config = load_mirror_config(registries_conf=str(conf), node_default=None)
    route = route_image(parse_image("nginx:1.25"), config, load_catalogues([]))
    return config.errors, route.status


def test_a_key_in_another_case_is_the_field(tmp_path: Path) -> None:
    """skopeo 1.9.3 refuses to pull with `Blocked = true` (tests/integration)."""
    errors, status = _route(
        tmp_path, '[[registry]]\nPrefix = "docker.io"\nLocation = "docker.io"\nBlocked = true\n'
    )
    assert (errors, status) == ((), "blocked")


@pytest.mark.parametrize(("second", "conflict"), [("true", True), ("false", False)])
def test_two_spellings_of_one_key_with_different_values_are_refused(
    tmp_path: Path, second: str, conflict: bool
) -> None:
    """Go fills the field from both, in random map order: skopeo 1.9.3 blocked 10 of 12 pulls."""
    errors, status = _route(
        tmp_path,
        f'[[registry]]\nlocation = "docker.io"\nblocked = false\nBlocked = {second}\n',
    )
    assert bool(errors) is conflict
    assert status == ("blocked" if conflict else "direct")
    if conflict:
        assert "set twice, spelt differently" in str(errors)


def test_doctor_does_not_call_a_key_in_another_case_unknown(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nPrefix = "docker.io"\nLocation = "docker.io"\nBlocked = true\n')
    empty = tmp_path / "d"
    empty.mkdir()
    args = ["doctor", "--runtime", "podman", "--registries-conf", str(conf)]
    result = CliRunner().invoke(app, [*args, "--registries-conf-d", str(empty)])
    assert "not a registries.conf key" not in result.output, result.output
