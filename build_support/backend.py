"""The build backend: setuptools', asking for mypyc only when setup.py will compile.

pyproject.toml names it (``backend-path``). A wheel build asks for mypy (which carries
mypyc) unless ``IMAGE_COVERAGE_COMPILE=0``; an editable install asks for it only with
``IMAGE_COVERAGE_COMPILE=1`` (see setup.py).
"""

from __future__ import annotations

import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the rest of PEP 517's hooks as they are)

#: the mypyc the compiled build is tested with (CI runs the whole suite against it); a new
#: major version may compile differently, so it waits until the suite has run against it
MYPYC = "mypy>=2.4,<3"


def _mode() -> str:
    return os.environ.get("IMAGE_COVERAGE_COMPILE", "auto").strip() or "auto"


def get_requires_for_build_wheel(config_settings: dict[str, object] | None = None) -> list[str]:
    requires = list(_setuptools.get_requires_for_build_wheel(config_settings))
    return [*requires, MYPYC] if _mode() != "0" else requires


def get_requires_for_build_editable(
    config_settings: dict[str, object] | None = None,
) -> list[str]:
    requires = list(_setuptools.get_requires_for_build_editable(config_settings))
    return [*requires, MYPYC] if _mode() == "1" else requires
