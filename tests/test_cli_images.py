"""``coverage images``: JSON and table output, --class, errors on stderr, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from analyzer.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "sources"
CORPUS = Path(__file__).parent / "corpus"


def images(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["images", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_json_lists_every_use_with_the_issue_fields() -> None:
    code, out, _ = images(str(DATA / "pod-features.yaml"), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["errors"] == []
    first = payload["uses"][0]
    assert first == {
        "raw": "localhost:5000/team/migrate:1.2@sha256:" + "0123456789abcdef" * 4,
        "image": "localhost:5000/team/migrate@sha256:" + "0123456789abcdef" * 4,
        "class": "container",
        "file": str(DATA / "pod-features.yaml"),
        "line": 10,
        "document": 0,
        "kind": "Pod",
        "api_version": "v1",
        "namespace": "tools",
        "name": "debug-target",
        "container": "migrate",
        "field": "spec.initContainers[0].image",
        "source": None,
        "reason": None,
        "found_in": "container",
    }
    assert [use["class"] for use in payload["uses"]] == [
        "container",
        "container",
        "container",
        "volume",
        "container",
    ]


def test_json_is_the_default_when_stdout_is_not_a_terminal() -> None:
    code, out, _ = images(str(DATA / "crlf.yaml"))
    assert code == 0
    assert [use["image"] for use in json.loads(out)["uses"]] == [
        "docker.io/library/redis:7.2",
        "docker.io/library/memcached:1.6",
    ]


def test_table_has_aligned_columns_and_a_reason_column_when_needed() -> None:
    code, out, err = images(str(DATA / "placeholders.yaml"), "--format", "table")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["IMAGE", "CLASS", "WHERE", "OBJECT", "CONTAINER", "REASON"]
    where = lines[0].index("WHERE")
    fine = next(line for line in lines if line.startswith("docker.io/library/nginx:1.27"))
    assert fine[where:].startswith(f"{DATA / 'placeholders.yaml'}:26 ")
    assert "Deployment/shop" in fine and " fine" in fine
    ko = next(line for line in lines if line.startswith("ko://"))
    assert "unresolved" in ko and "`ko resolve` replaces it" in ko
    assert err.strip().splitlines()[-1] == "11 image uses; 1 file read"


def test_class_filter_repeatable_and_comma_separated() -> None:
    code, out, _ = images(
        str(DATA / "indirect.yaml"),
        str(DATA / "custom-resources.yaml"),
        "--class",
        "indirect",
        "--class",
        "volume,unresolved",
        "-f",
        "json",
    )
    assert code == 0
    classes = [use["class"] for use in json.loads(out)["uses"]]
    assert sorted(set(classes)) == ["indirect", "unresolved", "volume"]
    assert classes.count("indirect") == 7


def test_unknown_class_or_format_is_a_usage_error() -> None:
    code, _, err = images(str(DATA), "--class", "sidecar")
    assert code == 2
    assert err.strip() == (
        "coverage images: error: unknown --class sidecar (choose from container, crd, "
        "volume, indirect, unresolved, invalid)"
    )
    code, _, err = images(str(DATA), "--format", "csv")
    assert code == 2 and "unknown --format 'csv'" in err


def test_errors_one_line_each_on_stderr_and_the_rest_still_listed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Pod\nspec: [\n")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02")
    good = DATA / "crlf.yaml"
    code, out, err = images(str(tmp_path), str(good), "-f", "table")
    assert code == 2  # bad input is said in the exit code too, the rest is still listed
    assert len(out.splitlines()) == 3  # header and two images
    error_lines = err.strip().splitlines()[:-1]
    assert error_lines == [
        f"{bad}:3: invalid YAML: did not find expected node content (while parsing a flow node)",
        f"{tmp_path / 'binary.yaml'}:1: binary data, not a YAML or JSON text (NUL byte)",
    ]


def test_errors_exit_2_and_json_carries_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "Pod",\n "spec": }\n')
    code, out, _ = images(str(bad), str(DATA / "crlf.yaml"), "-f", "json")
    assert code == 2
    assert len(json.loads(out)["uses"]) == 2
    assert json.loads(out)["errors"] == [
        {"file": str(bad), "line": 2, "message": "invalid JSON: Expecting value"}
    ]
    code, _, _ = images(str(bad), str(DATA / "crlf.yaml"), "-f", "json", "--strict")
    assert code == 2
    code, _, _ = images(str(DATA / "crlf.yaml"), "--strict")
    assert code == 0


def test_nothing_read_exits_2(tmp_path: Path) -> None:
    code, out, err = images(str(tmp_path / "missing"), "-f", "json")
    assert code == 2
    assert json.loads(out)["errors"][0]["message"] == "no such file or folder"
    assert "nothing could be read" in err


def test_stdin_dash() -> None:
    manifest = (CORPUS / "kube-prometheus" / "prometheusOperator-deployment.yaml").read_text()
    code, out, _ = images("-", "-f", "json", stdin=manifest)
    assert code == 0
    uses = json.loads(out)["uses"]
    assert {(use["file"], use["line"], use["class"]) for use in uses} == {
        ("<stdin>", 32, "indirect"),
        ("<stdin>", 40, "container"),
        ("<stdin>", 62, "container"),
    }
