"""Which containerd the routes are predicted for: ``--containerd-version``, or detected.

containerd 1.6, 1.7 and 2.x read a hosts directory differently (see ``hosts_toml.py``); the
rules that depend on the version ask ``ContainerdVersion``. Without a choice the newest
release is assumed; a scan of this machine's own configuration asks ``containerd
--version``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from analyzer.mirrors.errors import OptionError

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[~+-].*)?$")


@dataclass(frozen=True)
class ContainerdVersion:
    major: int
    minor: int
    patch: int | None = None  # None: any patch release of major.minor

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}"
        return base if self.patch is None else f"{base}.{self.patch}"

    def at_least(self, major: int, minor: int, patch: int = 0) -> bool:
        """Is this release ``major.minor.patch`` or later (a version without a patch counts
        as its first release, ``.0``)?"""
        return (self.major, self.minor, self.patch or 0) >= (major, minor, patch)

    @property
    def is_v1(self) -> bool:
        """1.6 and 1.7 read hosts.toml with go-toml v1 and ``Position().Line`` ordering
        (remotes/docker/config/hosts.go at v1.6.20 and v1.7.x)."""
        return self.major < 2


#: the newest release line this analyser knows (containerd v2.3.x)
NEWEST = ContainerdVersion(2, 3)
OLDEST = ContainerdVersion(1, 6)


def parse_version(text: str) -> ContainerdVersion:
    """``1.6``, ``1.7.32``, ``v2.1.0``, ``1.6.20~ds1-1+deb12u3``; raises ``OptionError`` with
    a one-line reason otherwise (and for releases before 1.6, whose hosts.toml support is
    incomplete)."""
    match = _VERSION_RE.match(text.strip())
    if match is None:
        raise OptionError(
            f"containerd version {text!r} is not MAJOR.MINOR[.PATCH] (e.g. 1.6, 1.7.32, 2.1)"
        )
    major, minor, patch = match.groups()
    version = ContainerdVersion(int(major), int(minor), int(patch) if patch else None)
    if not version.at_least(OLDEST.major, OLDEST.minor):
        raise OptionError(f"containerd {version} is older than 1.6: not supported")
    return version


def detect_version(binary: str = "containerd") -> ContainerdVersion | None:
    """The version of this machine's ``containerd`` (``containerd --version``'s third word,
    e.g. ``1.6.20~ds1``), or None when there is none or it cannot be read."""
    path = shutil.which(binary)
    if path is None:
        return None
    try:
        words = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    for word in words[2:]:
        try:
            return parse_version(word)
        except OptionError:
            continue
    return None
