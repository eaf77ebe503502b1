"""``json``: the stable document of ``Report.to_dict()`` (``schema_version`` 1).

Its JSON Schema ships with the package: ``analyzer/data/report.schema.json``.
"""

from __future__ import annotations

import json
from typing import TextIO

from analyzer.report import Report


def render(report: Report, out: TextIO, *, color: bool = False) -> None:
    out.write(json.dumps(report.to_dict(), indent=2) + "\n")
