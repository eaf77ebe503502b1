"""Which files a list of paths means: files as given, folders walked in name order.

In folders only ``.yaml``, ``.yml`` and ``.json`` files are read (others are counted as
skipped) and version-control folders are not entered. A folder that is a kustomization or
a Helm chart (``analyzer.sources.render``) is rendered, not walked; so is the folder of a
``kustomization.yaml`` named on its own. Symbolic links are followed; one
that loops, or leads back into a folder being walked, is an error, as is a broken one.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from analyzer.model import SourceError
from analyzer.sources.render import KUSTOMIZATION_FILES, RenderFolder, renderable

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_NOT_ENTERED = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class ManifestFile:
    path: str


@dataclass(frozen=True)
class SkippedFile:
    path: str


Found = ManifestFile | SkippedFile | RenderFolder | SourceError


def expand(path: str) -> Iterator[Found]:
    """The files ``path`` stands for, in a stable order, with errors for what cannot be."""
    try:
        info = os.stat(path)
    except OSError as exc:
        yield SourceError(path, None, _stat_problem(path, exc))
        return
    if stat.S_ISDIR(info.st_mode):
        rendered = renderable(path)
        if rendered is not None:
            yield rendered
            return
        manifests = 0
        for found in _walk(path, info):
            manifests += isinstance(found, (ManifestFile, RenderFolder))
            yield found
        if not manifests:  # a wrong folder must not pass a gate as "no images"
            yield SourceError(path, None, "no .yaml, .yml or .json file in this folder")
    elif os.path.basename(path) in KUSTOMIZATION_FILES:
        yield RenderFolder(os.path.dirname(path) or ".", "kustomize")
    else:
        yield ManifestFile(path)


def _walk(root: str, info: os.stat_result) -> Iterator[Found]:
    # each entry: (folder, the (device, inode) of it and of every folder above it)
    pending: list[tuple[str, frozenset[tuple[int, int]]]] = [
        (root, frozenset({(info.st_dev, info.st_ino)}))
    ]
    while pending:
        folder, above = pending.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            yield SourceError(folder, None, f"cannot read folder: {_reason(exc)}")
            continue
        folders: list[tuple[str, frozenset[tuple[int, int]]]] = []
        for entry in entries:
            try:
                entry_info = os.stat(entry.path)
            except OSError as exc:
                yield SourceError(entry.path, None, _stat_problem(entry.path, exc))
                continue
            if stat.S_ISDIR(entry_info.st_mode):
                if entry.name in _NOT_ENTERED:
                    continue
                key = (entry_info.st_dev, entry_info.st_ino)
                if key in above:
                    yield SourceError(
                        entry.path,
                        None,
                        "symbolic link loop: it leads back to a folder that contains it",
                    )
                    continue
                rendered = renderable(entry.path)
                if rendered is not None:
                    yield rendered
                    continue
                folders.append((entry.path, above | {key}))
            elif stat.S_ISREG(entry_info.st_mode) and entry.name.lower().endswith(
                MANIFEST_SUFFIXES
            ):
                yield ManifestFile(entry.path)
            else:
                yield SkippedFile(entry.path)
        pending.extend(reversed(folders))


def _stat_problem(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"broken symbolic link (to {os.readlink(path)})"
    if exc.errno == errno.ENOENT:
        return "no such file or folder"
    return f"cannot read: {_reason(exc)}"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
