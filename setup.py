"""Builds image-coverage: pure Python, with its hot modules compiled by mypyc where it can.

A wheel (``pip install .``) compiles the modules listed in
``build_support/compiled_modules.txt`` (the manifest readers, routing, the JSON writer) with
mypyc, as black, mypy and tomli ship theirs: the same source, type-checked, made into C
extension modules, 2-3x faster on large inputs. The pure-Python modules stay in the wheel
beside them; where compiling cannot be done (no C compiler or Python headers, mypyc missing
or refusing the code), the build says why and installs the pure-Python package, which gives
the same answers, only slower. ``coverage --version`` says which one is installed.

``IMAGE_COVERAGE_COMPILE`` chooses:
- ``auto`` (the default): compile wheels; never editable installs (``pip install -e``),
  whose compiled files would shadow the sources being edited; fall back to pure on failure;
- ``1``: compile, editable installs too (CI's compiled test run), and fail if it cannot;
- ``0``: never compile (and no mypy is fetched to build).
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
MODULES = HERE / "build_support" / "compiled_modules.txt"
MODES = ("auto", "1", "0")
#: setup.py commands that build extension modules (``egg_info`` and ``dist_info``, run to
#: read the metadata, must not pay for a compile)
BUILDING = {"bdist_wheel", "build", "build_ext", "install", "editable_wheel", "develop"}
EDITABLE = {"editable_wheel", "develop"}


def _mode() -> str:
    mode = os.environ.get("IMAGE_COVERAGE_COMPILE", "auto").strip() or "auto"
    if mode not in MODES:
        sys.exit(f"IMAGE_COVERAGE_COMPILE={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def _say(message: str) -> None:
    print(f"image-coverage build: {message}", file=sys.stderr, flush=True)


def compiled_modules() -> list[str]:
    """The paths in ``build_support/compiled_modules.txt`` (``#`` starts a comment)."""
    lines = (line.split("#", 1)[0].strip() for line in MODULES.read_text("utf-8").splitlines())
    return [line for line in lines if line]


def _extensions(mode: str) -> list[Any]:
    commands = set(sys.argv[1:])
    if mode == "0" or not commands & BUILDING:
        return []
    if mode == "auto" and commands & EDITABLE:
        return []
    try:
        from mypyc.build import mypycify
    except ImportError as error:
        if mode == "1":
            raise
        _say(f"mypyc is not installed ({error}): installing pure Python")
        return []
    paths = compiled_modules()
    config = str(HERE / "build_support" / "mypyc.ini")
    try:
        extensions: list[Any] = mypycify(["--config-file", config, *paths], opt_level="3")
    except (Exception, SystemExit) as error:  # mypyc reports a refusal with sys.exit
        if mode == "1":
            raise
        _say(f"mypyc could not compile ({error!r}): installing pure Python")
        return []
    _say(f"compiling {len(paths)} modules with mypyc (IMAGE_COVERAGE_COMPILE=0 skips it)")
    return extensions


class OptionalBuildExt(build_ext):
    """``build_ext`` that, in ``auto`` mode, falls back to pure Python when the C build fails.

    Every compiled file is removed then: the modules share one runtime library, so a partial
    set would not import.
    """

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:
            if _mode() == "1":
                raise
            _say(f"the C build failed ({type(error).__name__}, see above): installing pure Python")
            for extension in self.extensions:
                Path(self.get_ext_fullpath(extension.name)).unlink(missing_ok=True)
            self.extensions = []

    def get_outputs(self) -> list[str]:
        return [path for path in super().get_outputs() if Path(path).exists()]


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import it
    setup(ext_modules=_extensions(_mode()), cmdclass={"build_ext": OptionalBuildExt})
