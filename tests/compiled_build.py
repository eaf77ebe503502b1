"""Stale compiled modules: an in-place build (``IMAGE_COVERAGE_COMPILE=1 pip install -e .``)
leaves a ``.so`` beside each compiled source, and Python imports the ``.so``. A source edited
after that build would not run at all: the suite would test the old code and pass. conftest
refuses to start then."""

from __future__ import annotations

from pathlib import Path


def stale_compiled_modules(root: Path) -> list[str]:
    """The sources under ``root/analyzer`` changed after the ``.so`` compiled from them."""
    stale = []
    for built in (root / "analyzer").rglob("*.so"):
        source = built.with_name(built.name.split(".", 1)[0] + ".py")
        if source.is_file() and source.stat().st_mtime > built.stat().st_mtime:
            stale.append(source.relative_to(root).as_posix())
    return sorted(stale)
