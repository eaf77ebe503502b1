"""``scan -f json`` writes each image straight from its ``ImageResult``
(``analyzer.formats.json._Images.pieces``): its bytes must stay those of
``json.dumps(report.to_dict(), indent=2)`` for every shape an image can take."""

from __future__ import annotations

import io
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from report_factory import clean_report, empty_report, full_report, use

import analyzer.model
from analyzer.engine import scan
from analyzer.formats import render
from analyzer.model import Attempt, ImageUse
from analyzer.reference import parse_image
from analyzer.report import Advice, ImageResult, Policy, ProbeVerdict, Report
from analyzer.spool import Spool, UseList

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
DAOCLOUD_2023 = FIXTURES / "catalogs" / "daocloud-mirror-2023-07.txt"


def written(report: Report) -> str:
    out = io.StringIO()
    render(report, "json", out)
    return out.getvalue()


def dumped(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"


def _odd_images() -> tuple[ImageResult, ...]:
    """Images with every optional part filled, odd text and many uses."""
    base = full_report().images[0]
    ref = parse_image("quay.io/acme/app:v1")
    spooled = UseList(Spool(), spellings=True)
    for line in range(1, 12):  # past the uses kept in memory: read back from the spool
        spooled.append(use(ref, 'ünïcödé "q"\n.yaml', line))
    route = replace(
        base.route,
        image=ref.pull_ref,
        registry="quay.io",
        reason='a "quoted" reason with é, \u2028, \t and \x00',
        stands_for="docker.io/library/nginx:1.25",
        warnings=("one warning", "two: ⚠"),
        attempts=(
            Attempt("resolve", "https://m.example/v2", "cannot_resolve", None),
            Attempt("content", "https://m.example/v2", "served", 'GET … "x"'),
        ),
    )
    return (
        ImageResult(
            ref=ref,
            route=route,
            uses=spooled,
            ignored=True,
            probes=(
                ProbeVerdict("https://m.example/v2", "served", True, "agree"),
                ProbeVerdict("https://n.example/v2", "error", False, "unknown", "timed out"),
            ),
            advice=Advice("request", "Ask for it.", "quay.io/acme/app", line="quay.io/acme/*"),
        ),
        replace(base, uses=(), route=replace(base.route, attempts=(), warnings=())),
    )


@pytest.mark.parametrize(
    "report",
    [
        full_report(),
        clean_report(),
        empty_report(),
        full_report(Policy(min_coverage=75.5)),
        replace(full_report(), images=_odd_images()),
    ],
    ids=["full", "clean", "empty", "min-coverage", "odd"],
)
def test_the_bytes_are_json_dumps_of_the_report_dict(report: Report) -> None:
    assert written(report) == dumped(report)


@pytest.mark.parametrize(
    "options",
    [
        {"hosts_dir": str(FIXTURES / "certs.d")},
        {
            "hosts_dir": str(FIXTURES / "certs.d"),
            "catalogs": [f"docker.m.daocloud.io={DAOCLOUD_2023}"],
            "ignore": ["quay.io/**"],
        },
        {"k3s_registries": str(FIXTURES / "runtimes/k3s-registries.yaml")},
        {"registries_conf": str(FIXTURES / "runtimes/registries.conf")},
        {"node_default": None},
    ],
    ids=["certs.d", "catalogue-and-ignore", "k3s", "registries.conf", "embedded"],
)
def test_scans_of_the_fixtures_are_written_as_json_dumps(options: dict[str, Any]) -> None:
    report = scan([str(FIXTURES / "manifests"), str(FIXTURES / "operators")], **options)
    assert report.images
    assert written(report) == dumped(report)


class _Extended(ImageResult):
    """An image whose dict has one more key than the direct writer knows."""

    def to_dict(self, *, lazy: bool = False) -> dict[str, Any]:
        return {**super().to_dict(lazy=lazy), "extra": [1, {"a": None}]}


def test_an_image_dict_with_other_keys_is_walked_as_before() -> None:
    report = full_report()
    images = tuple(
        _Extended(r.ref, r.route, r.uses, r.ignored, r.probes, r.advice) for r in report.images
    )
    extended = replace(report, images=images)
    assert '"extra"' in written(extended)
    assert written(extended) == dumped(extended)


def _written_keeping(report: Report, kept: int) -> str:
    """``render``'s text, its writer keeping at most ``kept`` encoded values."""
    from functools import partial

    from analyzer.formats.json import _Images
    from analyzer.json_stream import Encoded, write_json

    document = report.to_dict(lazy=True)
    document["images"] = Encoded(partial(_Images(kept=kept).array, report.images))
    out = io.StringIO()
    write_json(document, out)
    out.write("\n")
    return out.getvalue()


@pytest.mark.parametrize("kept", [1, 2, 5, 4096])
def test_the_values_images_share_are_written_alike_however_few_are_kept(kept: int) -> None:
    """The writer keeps the encoded values images repeat (registry, status, hosts, reason,
    each attempt's phase, host and outcome): forgetting them (its bound, here tiny) or
    keeping them changes no byte, over images of many registries and statuses."""
    report = scan(
        [str(FIXTURES / "manifests"), str(FIXTURES / "operators")],
        hosts_dir=str(FIXTURES / "certs.d"),
        catalogs=[f"docker.m.daocloud.io={DAOCLOUD_2023}"],
    )
    odd = replace(report, images=(*report.images, *_odd_images(), *report.images[:3]))
    assert len({r.status for r in odd.images}) >= 3
    assert len({a.host for r in odd.images for a in r.route.attempts}) >= 3
    assert _written_keeping(odd, kept) == dumped(odd)


@pytest.mark.parametrize("count", [63, 64, 65, 130])
def test_an_image_of_many_uses_is_written_alike(count: int) -> None:
    """An image's uses are joined into pieces of a bounded size: around each bound, the
    bytes stay those of ``json.dumps``."""
    base = full_report().images[0]
    spooled = UseList(Spool(), spellings=True)
    for line in range(count):
        spooled.append(use(base.ref, f"m{line}.yaml", line + 1))
    report = replace(full_report(), images=(replace(base, uses=spooled),))
    assert written(report) == dumped(report)


def test_attempts_of_one_host_and_outcome_keep_each_image_s_own_detail() -> None:
    """The writer keeps the text of an attempt per phase, host and outcome with the last
    detail written: an image whose attempt quotes another detail (or none, or the one
    before again) is written with its own."""
    base = full_report().images[0]
    details = ["HEAD https://m.example/v2/a/manifests/1", None, "same", "same", None, 'x "y"']
    images = tuple(
        replace(
            base,
            ref=parse_image(f"quay.io/acme/app{n}:v1"),
            route=replace(
                base.route,
                image=f"quay.io/acme/app{n}:v1",
                attempts=(
                    Attempt("resolve", "https://m.example/v2", "served", detail),
                    Attempt("content", "https://m.example/v2", "served", details[n - 1]),
                ),
            ),
        )
        for n, detail in enumerate(details)
    )
    report = replace(full_report(), images=images)
    assert written(report) == dumped(report)


#: whether ``ImageUse`` is compiled: then a field only holds its own type, and the class
#: takes no interpreted subclass (such a use cannot reach the writer)
_COMPILED_MODEL = not analyzer.model.__file__.endswith(".py")

#: the changes a compiled ``ImageUse`` refuses (a value of another type than its field's)
_REFUSED_COMPILED = {"float-document", "int-name", "list-namespace", "no-raw"}


def _odd_use(**changes: Any) -> ImageUse:
    """A use of the full report's image with ``changes``."""
    base = full_report().images[0]
    return replace(use(base.ref, "a.yaml", 3), **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"line": True},  # json.dumps writes a bool, not the int
        {"document": 2.5},
        {"name": 7},
        {"namespace": ["a"]},
        {"raw": None},
        {"file": 'ünïcödé\n"q"\\.yaml', "name": "\x00", "reason": "\u2028"},
        {"raw": "nginx", "kind": "", "container": ""},
    ],
    ids=["bool-line", "float-document", "int-name", "list-namespace", "no-raw", "odd", "empty"],
)
def test_a_use_of_other_values_is_written_as_json_dumps_writes_its_dict(
    changes: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """A use is written straight from its fields when each is of its own type (a string,
    None, an int), else its dict is walked: both give ``json.dumps``'s bytes. Compiled, a
    use of a value of another type cannot be made at all, so none reaches the writer."""
    if _COMPILED_MODEL and request.node.callspec.id in _REFUSED_COMPILED:
        with pytest.raises(TypeError):
            _odd_use(**changes)
        return
    odd = _odd_use(**changes)
    base = full_report().images[0]
    plain = use(base.ref, "b.yaml", 4)
    report = replace(full_report(), images=(replace(base, uses=(plain, odd, plain)),))
    assert written(report) == dumped(report)


def test_a_use_of_a_subclass_is_written_from_its_own_dict() -> None:
    base = full_report().images[0]
    plain = use(base.ref, "b.yaml", 4)

    class Extended(ImageUse):
        def to_dict(self) -> dict[str, Any]:
            return {**super().to_dict(), "extra": 1}

    values = {f.name: getattr(plain, f.name) for f in fields(ImageUse)}
    if _COMPILED_MODEL:  # compiled, ImageUse takes no interpreted subclass
        with pytest.raises(TypeError):
            Extended(**values)
        return
    extended = Extended(**values)
    report = replace(full_report(), images=(replace(base, uses=(plain, extended)),))
    assert '"extra": 1' in written(report)
    assert written(report) == dumped(report)


def test_the_direct_writer_knows_every_key_of_a_use() -> None:
    """``_Images._use`` writes ``USE_KEYS``: a key added to ``ImageUse.to_dict`` must be
    added there too (the byte tests above would then fail)."""
    from analyzer.formats.json import USE_KEYS

    base = full_report().images[0]
    assert tuple(use(base.ref, "a.yaml", 1).to_dict()) == USE_KEYS
