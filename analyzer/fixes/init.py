"""``coverage mirrors init DIR``: plan the configuration files, check what they would do,
write them atomically, and check that the written directory routes as predicted.

Nothing is written over an existing file that differs unless ``force``; a file that already
has the planned content is left alone. The prediction is made on a staged copy (the
directory's current content plus the planned files, in a temporary folder) read back with
the runtime's own reader, so the configuration a report shows is the one that was checked.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analyzer.fixes.mirror_spec import MirrorSpec
from analyzer.fixes.writers import WRITERS, PlannedFile, Writer
from analyzer.mirrors import MirrorConfig
from analyzer.reference import ImageRef

PROBE_PATH = "image-coverage/probe"  # any repository: the routes compared are per registry


@dataclass(frozen=True)
class FileChange:
    file: PlannedFile
    target: Path
    state: str  # "new", "replace" (the file exists and differs) or "unchanged"


@dataclass(frozen=True)
class InitPlan:
    directory: Path
    runtime: str
    specs: tuple[MirrorSpec, ...]
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...]

    @property
    def writer(self) -> Writer:
        return WRITERS[self.runtime]

    @property
    def registries(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.registry for s in self.specs))

    def overwrites(self) -> tuple[FileChange, ...]:
        return tuple(c for c in self.changes if c.state == "replace")


def plan_init(
    directory: Path,
    specs: Sequence[MirrorSpec],
    runtime: str,
    *,
    used: Collection[str] | None = None,
) -> InitPlan:
    """The files for ``specs`` (only the registries in ``used``, when given)."""
    notes: list[str] = []
    if used is not None:
        left_out = sorted({s.registry for s in specs} - set(used))
        specs = [s for s in specs if s.registry in used]
        if left_out:
            notes.append("not used by the manifests, left out: " + ", ".join(left_out))
    files, writer_notes = WRITERS[runtime].files(specs)
    notes.extend(writer_notes)
    changes = []
    for planned in files:
        target = directory / planned.path
        state = "new"
        if target.exists() or target.is_symlink():
            try:
                same = target.is_file() and target.read_bytes() == planned.text.encode()
            except OSError:
                same = False
            state = "unchanged" if same else "replace"
        changes.append(FileChange(planned, target, state))
    return InitPlan(directory, runtime, tuple(specs), tuple(changes), tuple(notes))


@contextmanager
def staged(plan: InitPlan) -> Iterator[tuple[MirrorConfig, Path]]:
    """The configuration the directory would have with the plan applied, read from a copy
    (and the copy's path)."""
    with tempfile.TemporaryDirectory(prefix="image-coverage-init-") as temp:
        copy = Path(temp) / "config"
        if plan.directory.is_dir():
            shutil.copytree(plan.directory, copy, symlinks=True)
        copy.mkdir(exist_ok=True)
        for change in plan.changes:
            target = copy / change.file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()
            target.write_text(change.file.text, encoding="utf-8")
        yield plan.writer.load(copy), copy


def apply(plan: InitPlan) -> list[Path]:
    """Write every new or changed file atomically (mode 0644); the paths written."""
    from analyzer.store.cache import atomic_write_bytes

    written = []
    for change in plan.changes:
        if change.state == "unchanged":
            continue
        atomic_write_bytes(change.target, change.file.text.encode("utf-8"))
        os.chmod(change.target, 0o644)
        written.append(change.target)
    return written


def _probes(registry: str) -> tuple[ImageRef, ImageRef]:
    return (
        ImageRef(registry, PROBE_PATH, tag="latest"),
        ImageRef(registry, PROBE_PATH, digest="sha256:" + "0" * 64),
    )


def refusals(plan: InitPlan, predicted: MirrorConfig, copy: Path) -> list[str]:
    """Registries the planned configuration could not pull from at all (a file beside the
    planned ones that the runtime refuses, say), named with the directory's real paths."""
    problems = []
    for registry in plan.registries:
        fatal = next(
            (f for r in _probes(registry) if (f := predicted.hosts_for_ref(r).fatal)), None
        )
        if fatal:
            shown = fatal.replace(str(copy), str(plan.directory))
            problems.append(f"{registry}: with the new files every pull would fail: {shown}")
    return problems


def route_differences(
    predicted: MirrorConfig, actual: MirrorConfig, registries: Sequence[str]
) -> list[str]:
    """Registries whose host list (or fatal problem) differs between the two, asked for a
    repository by tag and by digest (registries.conf answers per reference, and a
    registry name alone is no reference it can rewrite)."""
    problems = []
    for registry in registries:
        for ref in _probes(registry):
            want, got = predicted.hosts_for_ref(ref), actual.hosts_for_ref(ref)
            if want.hosts != got.hosts or want.fatal != got.fatal:
                urls = " -> ".join(h.url for h in got.hosts) or f"nothing ({got.fatal})"
                problems.append(f"{registry}: the written configuration routes through {urls}")
                break
    return problems
