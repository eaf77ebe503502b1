"""The format registry: one name per format, imported only when asked for."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from report_factory import full_report

from analyzer import formats

EXPECTED = ("table", "json", "csv", "markdown", "junit", "sarif", "github")


def test_format_names_are_the_documented_seven() -> None:
    assert formats.FORMAT_NAMES == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_every_format_renders_the_full_report(name: str) -> None:
    out = io.StringIO()
    formats.render(full_report(), name, out)
    text = out.getvalue()
    assert text.endswith("\n")
    assert "ghcr.io/acme/private-tool:2.0" in text


@pytest.mark.parametrize("name", ["yaml", "", "common", "textgrid", "JSON"])
def test_unknown_format_is_a_value_error_listing_the_names(name: str) -> None:
    with pytest.raises(ValueError) as caught:
        formats.render(full_report(), name, io.StringIO())
    message = str(caught.value)
    assert repr(name) in message
    for known in EXPECTED:
        assert known in message


def test_format_modules_are_imported_only_when_used() -> None:
    code = (
        "import sys, io\n"
        "import analyzer.formats as f\n"
        "print(sorted(m for m in sys.modules if m.startswith('analyzer.formats.')))\n"
        "print('xml.etree.ElementTree' in sys.modules, 'csv' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules, heavy = done.stdout.splitlines()
    assert modules == "[]"
    assert heavy == "False False"
