"""No configuration reader recurses on input depth: deep TOML, JSON and YAML are one-line
errors with file and line (exit 2), never RecursionError (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.nesting import MAX_DEPTH, TooDeep, deepest_json, deepest_toml, deepest_yaml

DEEP_TOML = "x = " + "[" * 500 + "]" * 500 + "\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
POD += "    - {name: c, image: docker.io/library/nginx:1.27}\n"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _assert_clean_error(result: Any, where: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "RecursionError" not in result.output
    assert where in result.output, result.output


def test_a_deep_hosts_toml(tmp_path: Path) -> None:
    (tmp_path / "certs.d" / "docker.io").mkdir(parents=True)
    (tmp_path / "certs.d" / "docker.io" / "hosts.toml").write_text('server = "x"\n' + DEEP_TOML)
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD)
    result = invoke("scan", str(pod), "--hosts-dir", str(tmp_path / "certs.d"))
    _assert_clean_error(result, "hosts.toml:2")
    assert "nested deeper than" in result.output


def test_a_deep_containerd_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("version = 2\n" + DEEP_TOML)
    _assert_clean_error(invoke("mirrors", "--containerd-config", str(config)), "config.toml:2")


def test_a_deep_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "image-coverage.toml").write_text(DEEP_TOML)
    monkeypatch.chdir(tmp_path)
    result = invoke("scan", "x.yaml")
    _assert_clean_error(result, "image-coverage.toml")
    assert "(at line 1" in result.output


def test_a_deep_pyproject_in_a_parent_folder_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.other]\n" + DEEP_TOML)
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (inner / "pod.yaml").write_text(POD)
    monkeypatch.chdir(inner)
    result = invoke("scan", "pod.yaml", "-f", "json")
    assert "RecursionError" not in result.output
    assert result.exit_code in (0, 1), result.output


def test_a_100k_deep_daemon_json(tmp_path: Path) -> None:
    daemon = tmp_path / "daemon.json"
    daemon.write_text('{"registry-mirrors": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _assert_clean_error(invoke("mirrors", "--docker-daemon", str(daemon)), "daemon.json:1")


def test_a_deep_k3s_registries_yaml(tmp_path: Path) -> None:
    registries = tmp_path / "registries.yaml"
    registries.write_text("mirrors:\n  docker.io:\n    endpoint: " + "[" * 5000 + "]" * 5000)
    _assert_clean_error(invoke("mirrors", "--k3s-registries", str(registries)), "registries.yaml:3")


@pytest.mark.parametrize("command", ["mirrors", "doctor"])
def test_a_yaml_configuration_with_a_tag_libyaml_cannot_decode(
    tmp_path: Path, command: str
) -> None:
    """The depth check reads libyaml's events, which let a UnicodeDecodeError through for a
    tag whose %-escapes are no UTF-8 (a traceback); the reader after it reports the line."""
    registries = tmp_path / "registries.yaml"
    registries.write_text("mirrors:\n  docker.io:\n    endpoint:\n      - !<%ED%A0%80> x\n")
    _assert_clean_error(invoke(command, "--k3s-registries", str(registries)), "registries.yaml:4")
    kind = tmp_path / "kind.yaml"
    kind.write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes: !<%C0%80> []\n")
    _assert_clean_error(invoke(command, "--kind-config", str(kind)), "kind.yaml:3")


def test_a_deep_registries_conf(tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(DEEP_TOML)
    result = invoke("mirrors", "--registries-conf", str(conf))
    assert "RecursionError" not in result.output
    assert result.exit_code == 2
    assert "nested deeper than" in result.output


# -- the scanners themselves ---------------------------------------------------------------------


def test_brackets_inside_strings_and_comments_do_not_count() -> None:
    deep = "[" * (MAX_DEPTH + 5)
    deepest_toml(f'a = "{deep}"\nb = \'{deep}\'\nc = """\n{deep}\n"""\n# {deep}\n')
    deepest_json(f'{{"a": "{deep}\\" {deep}"}}')
    with pytest.raises(TooDeep) as raised:
        deepest_toml("a = 1\n\nb = " + deep)
    assert raised.value.line == 3


nested = st.recursive(
    st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text("abc", min_size=1, max_size=3), children, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: object) -> int:
    stack, deepest = [(value, 0)], 0
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            level += 1
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level) for child in children)
    return deepest


@given(nested)
def test_the_json_scanner_counts_what_json_nests(value: object) -> None:
    import json

    text = json.dumps(value)
    depth = _depth(value)
    deepest_json(text, limit=depth)
    if depth:
        with pytest.raises(TooDeep):
            deepest_json(text, limit=depth - 1)


@given(nested)
def test_the_yaml_scanner_counts_what_yaml_nests(value: object) -> None:
    import yaml

    text = yaml.safe_dump(value, default_flow_style=None)
    depth = _depth(value)
    deepest_yaml(text, limit=depth)
    if depth:
        with pytest.raises(TooDeep):
            deepest_yaml(text, limit=depth - 1)
