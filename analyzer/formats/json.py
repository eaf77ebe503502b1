"""``json``: the stable document of ``Report.to_dict()`` (``schema_version`` 1).

Its JSON Schema ships with the package: ``analyzer/data/report.schema.json``.
"""

from __future__ import annotations

from typing import TextIO

from analyzer.formats.indented_json import dumps
from analyzer.report import Report


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    out.write(dumps(report.to_dict()) + "\n")  # json.dumps(indent=2)'s bytes, faster
