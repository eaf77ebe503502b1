"""``json``: the stable document of ``Report.to_dict()`` (``schema_version`` 1).

Its JSON Schema ships with the package: ``analyzer/data/report.schema.json``. Written as it
is made (``analyzer.json_stream``): the uses are read back one at a time.
"""

from __future__ import annotations

from typing import TextIO

from analyzer.json_stream import write_json
from analyzer.report import Report


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    write_json(report.to_dict(lazy=True), out)
    out.write("\n")
