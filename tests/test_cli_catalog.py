"""``coverage catalog update`` / ``coverage catalog list`` end to end (network mocked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.store.defaults import DEFAULT_ALLOWS_URL

LIST = b"docker.io/library/nginx\nquay.io/prometheus/*\nregistry.k8s.io/**\n"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@responses.activate
def test_update_downloads_the_default_list_and_list_shows_it(isolated_cache: Path) -> None:
    responses.get(
        DEFAULT_ALLOWS_URL, body=LIST, content_type="text/plain", headers={"ETag": '"abc"'}
    )
    code, out, err = run("catalog", "update")
    assert (code, err) == (0, "")
    assert "daocloud-allows: updated" in out and "3 entries" in out
    assert str(isolated_cache) in out

    code, out, _ = run("catalog", "list", "--format", "json")
    assert code == 0
    listed = {item["name"]: item for item in json.loads(out)}
    assert listed["daocloud-allows"]["kind"] == "cached"
    assert listed["daocloud-allows"]["entries"] == 3
    assert listed["daocloud-allows"]["source"] == DEFAULT_ALLOWS_URL
    assert listed["embedded-allows"]["kind"] == "embedded"

    responses.replace(responses.GET, DEFAULT_ALLOWS_URL, status=304)
    code, out, _ = run("catalog", "update")
    assert code == 0 and "unchanged" in out
    assert responses.calls[-1].request.headers["If-None-Match"] == '"abc"'


@responses.activate
def test_update_refuses_an_html_page_and_keeps_the_old_copy() -> None:
    url = "https://lists.example.test/mirror.txt"
    responses.get(url, body=LIST, content_type="text/plain")
    assert run("catalog", "update", "--source", url, "--name", "mine")[0] == 0
    responses.replace(
        responses.GET, url, body=b"<html>Too Many Requests</html>", content_type="text/html"
    )
    code, out, err = run("catalog", "update", "--source", url, "--name", "mine")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "rejected" in err and "HTML" in err and "keeping the cached copy (3 entries" in err
    code, out, _ = run("catalog", "list")
    assert code == 0
    assert any(line.startswith("mine ") and " 3 " in line for line in out.splitlines())


@responses.activate
def test_update_offline_is_a_one_line_error() -> None:
    responses.get(DEFAULT_ALLOWS_URL, body=requests.ConnectionError("Name or service not known"))
    code, out, err = run("catalog", "update")
    assert code == 2 and out == ""
    assert err.strip().endswith("there is no cached copy")
    assert "Traceback" not in err


def test_update_usage_errors() -> None:
    assert run("catalog", "update", "--source", "ftp://example.test/x")[0] == 2
    code, _, err = run("catalog", "update", "--name", "../up")
    assert code == 2 and "catalogue name" in err


def test_list_describes_files_and_catalog_specs(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    first.write_bytes(LIST)
    second = tmp_path / "second.txt"
    second.write_bytes(b"# comment\nghcr.io/a/b\n")
    code, out, _ = run(
        "catalog",
        "list",
        str(first),
        "--catalog",
        f"mirror.example.test={second}",
        "--catalog",
        "other.test=all",
        "--format",
        "json",
    )
    assert code == 0
    files = [item for item in json.loads(out) if item["kind"] == "file"]
    assert [(f["name"], f["entries"]) for f in files] == [("first.txt", 3), ("second.txt", 1)]


def test_list_with_a_missing_file_exits_2_after_listing(tmp_path: Path) -> None:
    code, out, err = run("catalog", "list", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "embedded-allows" in out
    assert "missing.txt: cannot be read" in err


def test_list_rejects_an_unknown_format() -> None:
    code, _, err = run("catalog", "list", "--format", "yaml")
    assert code == 2 and "unknown --format" in err
