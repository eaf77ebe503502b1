"""image-coverage: which containerd registry mirror serves each image your manifests use.

The public API::

    from analyzer import parse_image, ImageRef, InvalidImageReference
    report = analyzer.scan("manifests/", hosts_dir="/etc/containerd/certs.d")
    analyzer.frames.images_frame(report)   # pandas, with the ``notebook`` extra

``scan`` and ``build_report`` are imported lazily so the CLI starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analyzer.reference import ImageRef, InvalidImageReference, parse_image
from analyzer.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.engine import build_report, scan


__all__ = [
    "ImageRef",
    "InvalidImageReference",
    "__version__",
    "build_report",
    "parse_image",
    "scan",
]


def __getattr__(name: str) -> Any:
    if name in ("scan", "build_report"):
        from analyzer import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
