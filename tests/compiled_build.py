"""Stale compiled modules: an in-place build (``IMAGE_COVERAGE_COMPILE=1 pip install -e .``)
leaves a ``.so`` beside each compiled source, and Python imports the ``.so``. A source edited
after that build would not run at all: the suite would test the old code and pass. conftest
refuses to start then."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def setup_py() -> ModuleType:
    """The project's ``setup.py`` as a module (its ``setup()`` runs only as ``__main__``)."""
    spec = importlib.util.spec_from_file_location("image_coverage_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compiled_paths() -> list[Path]:
    """The modules mypyc compiles, read as ``setup.py`` reads them."""
    return [ROOT / path for path in setup_py().compiled_modules()]


def stale_compiled_modules(root: Path) -> list[str]:
    """The sources under ``root/analyzer`` changed after the ``.so`` compiled from them."""
    stale = []
    for built in (root / "analyzer").rglob("*.so"):
        source = built.with_name(built.name.split(".", 1)[0] + ".py")
        if source.is_file() and source.stat().st_mtime > built.stat().st_mtime:
            stale.append(source.relative_to(root).as_posix())
    return sorted(stale)
