"""The build: which modules setup.py compiles with mypyc, when, and its pure-Python fallback.

CI also runs the whole suite against the compiled build (.ci/run); these tests check the
decisions around it, in whichever build runs them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from setuptools import Distribution, Extension
from typer.testing import CliRunner

import analyzer.reference
from analyzer.cli import app
from tests.compiled_build import ROOT, setup_py, stale_compiled_modules


def test_version_names_the_build_that_is_loaded() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    compiled = not analyzer.reference.__file__.endswith(".py")
    expected = "(compiled by mypyc)" if compiled else "(pure Python)"
    assert result.stdout.strip().endswith(expected), result.stdout


def test_the_compiled_modules_exist_and_are_python_sources() -> None:
    paths = setup_py().compiled_modules()
    assert "analyzer/sources/yaml_lines.py" in paths
    assert "analyzer/reference.py" in paths  # analyzer.version.build() asks for this one
    for path in paths:
        assert (ROOT / path).is_file(), path
        assert path.startswith("analyzer/") and path.endswith(".py"), path
    assert len(set(paths)) == len(paths)


@pytest.mark.parametrize(
    ("mode", "argv"),
    [
        ("auto", ["egg_info"]),  # reading the metadata never compiles
        ("auto", ["dist_info", "--output-dir", "x"]),
        ("auto", ["editable_wheel", "--dist-dir", "x"]),  # would shadow the sources
        ("0", ["bdist_wheel", "--dist-dir", "x"]),
        ("1", ["egg_info"]),
    ],
)
def test_when_setup_py_does_not_compile(
    mode: str, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = setup_py()
    monkeypatch.setattr(sys, "argv", ["setup.py", *argv])
    assert setup._extensions(mode) == []


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_COVERAGE_COMPILE", "yes")
    with pytest.raises(SystemExit, match=r"IMAGE_COVERAGE_COMPILE='yes': expected one of"):
        setup_py()._mode()


def _failing_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> Path:
    """Run setup.py's build_ext on a C extension that does not compile; return its target."""
    monkeypatch.setenv("IMAGE_COVERAGE_COMPILE", mode)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.c").write_text("this is not C;\n", encoding="utf-8")
    setup = setup_py()
    distribution = Distribution(
        {
            "name": "broken",
            "ext_modules": [Extension("broken", ["broken.c"])],
            "cmdclass": {"build_ext": setup.OptionalBuildExt},
            "script_name": "setup.py",
        }
    )
    command = distribution.get_command_obj("build_ext")
    command.build_lib = str(tmp_path / "lib")
    command.build_temp = str(tmp_path / "temp")
    command.ensure_finalized()
    target = Path(command.get_ext_fullpath("broken"))
    command.run()
    return target


def test_a_failed_c_build_falls_back_to_pure_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _failing_build(tmp_path, monkeypatch, "auto")
    assert not target.exists()
    err = capsys.readouterr().err
    assert "the C build failed" in err and "installing pure Python" in err


def test_a_failed_c_build_is_an_error_when_compiling_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(Exception, match=r"failed|exit status|error"):
        _failing_build(tmp_path, monkeypatch, "1")


def test_a_source_edited_after_its_in_place_build_is_stale(tmp_path: Path) -> None:
    package = tmp_path / "analyzer" / "sources"
    package.mkdir(parents=True)
    for name in ("tree", "extract", "plain"):
        (package / f"{name}.py").write_text("x = 1\n", encoding="utf-8")
    for name in ("tree", "extract"):
        (package / f"{name}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    os.utime(package / "tree.py", (1_000, 1_000))
    os.utime(package / "tree.cpython-311-x86_64-linux-gnu.so", (2_000, 2_000))
    os.utime(package / "extract.cpython-311-x86_64-linux-gnu.so", (1_000, 1_000))
    os.utime(package / "extract.py", (2_000, 2_000))  # edited after the build
    assert stale_compiled_modules(tmp_path) == ["analyzer/sources/extract.py"]
