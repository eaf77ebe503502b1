"""Reports as pandas DataFrames, for notebooks (``pip install 'image-coverage[notebook]'``).

pandas is imported here only, when a frame is asked for; the CLI never imports this module.
Columns are stable and documented in the README; ``status`` is an ordered categorical.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from analyzer.model import STATUSES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analyzer.report import Report
    from analyzer.whatif import StatusChange

IMAGE_COLUMNS = (
    "image",
    "name",
    "registry",
    "status",
    "ignored",
    "resolve_host",
    "content_host",
    "uses",
    "reason",
    "hosts_file",
)
USE_COLUMNS = (
    "image",
    "status",
    "class",
    "raw",
    "file",
    "line",
    "document",
    "kind",
    "api_version",
    "namespace",
    "name",
    "container",
    "field",
    "source",
    "reason",
)
MIRROR_COLUMNS = ("host", "registry", "catalogue", "assumed", "count")
CHANGE_COLUMNS = ("image", "before", "after", "uses")


class NotebookExtraMissing(ImportError):
    """pandas is not installed: the DataFrame views need the ``notebook`` extra."""


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise NotebookExtraMissing(
            "DataFrames need pandas: pip install 'image-coverage[notebook]'"
        ) from exc
    return pandas


def _frame(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    pandas = _pandas()
    frame = pandas.DataFrame(list(rows), columns=list(columns))
    for column in ("status", "before", "after"):
        if column in frame.columns:
            frame[column] = pandas.Categorical(frame[column], categories=STATUSES, ordered=True)
    return frame


def images_frame(report: Report) -> pd.DataFrame:
    """One row per distinct image."""
    return _frame(
        (
            {
                "image": r.image,
                "name": r.name,
                "registry": r.registry,
                "status": r.status,
                "ignored": r.ignored,
                "resolve_host": r.route.resolve_host,
                "content_host": r.route.content_host,
                "uses": len(r.uses),
                "reason": r.route.reason,
                "hosts_file": r.route.hosts_file,
            }
            for r in report.images
        ),
        IMAGE_COLUMNS,
    )


def uses_frame(report: Report) -> pd.DataFrame:
    """One row per use; invalid and unresolved uses have status ``invalid``."""
    rows: list[dict[str, Any]] = []
    for result in report.images:
        for use in result.uses:
            rows.append({**use.to_dict(), "image": result.image, "status": result.status})
    for use in report.invalid:
        rows.append({**use.to_dict(), "status": "invalid"})
    return _frame(rows, USE_COLUMNS)


def mirrors_frame(report: Report) -> pd.DataFrame:
    """One row per configured mirror host and the registry it mirrors."""
    return _frame(
        ({k: v for k, v in m.to_dict().items() if k in MIRROR_COLUMNS} for m in report.mirrors),
        MIRROR_COLUMNS,
    )


def changes_frame(changes: Iterable[StatusChange]) -> pd.DataFrame:
    """The images whose status differs between two reports (see ``analyzer.whatif``)."""
    return _frame((c.to_dict() for c in changes), CHANGE_COLUMNS)
