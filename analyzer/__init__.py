"""image-coverage: which containerd registry mirror serves each image your manifests use.

The public API::

    from analyzer import parse_image, ImageRef, InvalidImageReference

Heavier entry points (``analyzer.scan``) are imported lazily so the CLI starts fast.
"""

from __future__ import annotations

from analyzer.reference import ImageRef, InvalidImageReference, parse_image

__version__ = "0.1.0"

__all__ = ["ImageRef", "InvalidImageReference", "__version__", "parse_image"]
