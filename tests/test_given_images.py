"""One ``--image`` parser (``engine.given_images``) for ``probe`` and for ``request``
(``fix_inputs.read_inputs``): the N-th ``--image`` is a use at line N of ``--image``, a
refused one keeps its place, and each command words the refusal as it always has."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.cli.fix_inputs import read_inputs
from analyzer.engine import ScanOptions, given_images, run

GIVEN = ["nginx:1.25", "Bad Image", "quay.io/acme/app:1"]


def test_each_use_is_at_the_line_of_its_ordinal() -> None:
    uses, refused = given_images(GIVEN)
    assert [(u.raw, u.location) for u in uses] == [
        ("nginx:1.25", "--image:1"),
        ("quay.io/acme/app:1", "--image:3"),
    ]
    assert [r.text for r in refused] == ["Bad Image"]
    assert str(refused[0].error()).startswith("--image: 'Bad Image' is not an image reference: ")


def test_request_reads_them_through_the_same_parser(capsys: pytest.CaptureFixture[str]) -> None:
    sources, bad = read_inputs((), GIVEN, "request")
    assert bad
    assert [(u.raw, u.line) for u in sources.uses] == [
        ("nginx:1.25", 1),
        ("quay.io/acme/app:1", 3),
    ]
    _, refused = given_images(["Bad Image"])
    assert capsys.readouterr().err == (
        f"coverage request: --image 'Bad Image': refused: {refused[0].reason}\n"
    )


def test_probe_routes_them_at_the_same_lines(tmp_path: Path) -> None:
    report = run(ScanOptions(images=tuple(GIVEN), hosts_dirs=(str(tmp_path),)))
    lines = {u.raw: u.line for result in report.images for u in result.uses}
    assert lines == {"nginx:1.25": 1, "quay.io/acme/app:1": 3}
    _, refused = given_images(["Bad Image"])
    assert report.source_errors == (refused[0].error(),)


def test_a_refused_image_does_not_show_its_password() -> None:
    secret = "https://deploy:hunter2-s3cret@registry.example/app:1"
    result = CliRunner().invoke(app, ["request", "--image", secret, "--hosts-dir", "."])
    assert result.exit_code == 2
    assert (
        "hunter2" not in result.output and "--image 'https://***@registry.example" in result.stderr
    )


@pytest.mark.parametrize(
    "given",
    [
        "deploy:hunter2-s3cret@registry.example/app:1",  # no scheme
        "deploy:hunter2-s3cret@registry.example:5000",
        "Deploy:hunter2-s3cret@registry.example/app:1",  # refused for its upper case
    ],
)
@pytest.mark.parametrize("command", ["request", "probe"])
def test_a_password_without_a_scheme_is_hidden_too(
    given: str, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, [command, "--image", given, "--hosts-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "hunter2" not in result.output and "s3cret" not in result.output
    assert "***@registry.example" in result.output


def test_a_digest_is_not_taken_for_a_password() -> None:
    _, refused = given_images(["nginx@sha256:0123"])  # too short: refused, shown whole
    assert refused[0].text == "nginx@sha256:0123"
    assert "***" not in refused[0].reason
