"""Probe verdicts against catalogue predictions; probes as a catalogue for routing."""

from __future__ import annotations

from pathlib import Path

from analyzer.mirrors import load_catalogues
from analyzer.model import ALL_CAPABILITIES, Host
from analyzer.online.compare import compare, disagreements, probe_catalogues
from analyzer.online.probe import ProbeResult
from analyzer.reference import ImageRef, parse_image

MIRROR = Host(scheme="https", host="mirror.example.test", path="/v2", capabilities=ALL_CAPABILITIES)
OTHER = Host(scheme="https", host="other.example.test", path="/v2", capabilities=ALL_CAPABILITIES)


def result(host: Host, ref: ImageRef, outcome: str) -> ProbeResult:
    return ProbeResult(host.url, ref.pull_ref, outcome, None, None)  # type: ignore[arg-type]


def test_each_outcome_against_each_prediction(tmp_path: Path) -> None:
    listed = tmp_path / "allows.txt"
    listed.write_text("docker.io/library/nginx\ndocker.io/library/redis\n")
    catalogues = load_catalogues([f"mirror.example.test={listed}"])
    nginx, redis, busybox, alpine = (
        parse_image(n) for n in ("nginx", "redis", "busybox", "alpine")
    )
    items = [(MIRROR, "docker.io", ref) for ref in (nginx, redis, busybox, alpine)]
    results = [
        result(MIRROR, nginx, "served"),  # listed, served: agree
        result(MIRROR, redis, "denied"),  # listed, refused: disagree
        result(MIRROR, busybox, "served"),  # not listed, served: disagree
        result(MIRROR, alpine, "error"),  # proves nothing
    ]
    compared = compare(items, results, catalogues)
    assert [c.predicted for c in compared] == [True, True, False, False]
    assert [c.agreement for c in compared] == ["agree", "disagree", "disagree", "unknown"]
    assert [c.result.image for c in disagreements(compared)] == [
        "docker.io/library/redis:latest",
        "docker.io/library/busybox:latest",
    ]
    assert compared[1].to_dict()["predicted"] == "holds"
    assert str(listed) in compared[0].catalogue


def test_an_assumed_catalogue_is_contradicted_by_a_404() -> None:
    catalogues = load_catalogues([])
    ref = parse_image("quay.io/team/app:1")
    compared = compare([(OTHER, "quay.io", ref)], [result(OTHER, ref, "not_found")], catalogues)
    assert compared[0].assumed
    assert compared[0].disagrees


def test_probe_catalogues_answer_from_probes_and_fall_back_to_the_list(tmp_path: Path) -> None:
    listed = tmp_path / "allows.txt"
    listed.write_text("docker.io/library/nginx\n")
    catalogues = load_catalogues([f"mirror.example.test={listed}"])
    nginx, redis = parse_image("nginx"), parse_image("redis")
    items = [(MIRROR, "docker.io", nginx), (MIRROR, "docker.io", redis)]
    probed = probe_catalogues(
        items,
        [result(MIRROR, nginx, "not_found"), result(MIRROR, redis, "rate_limited")],
        catalogues,
    )
    catalogue = probed.for_host("mirror.example.test")
    assert catalogue.kind == "probe"
    assert not catalogue.holds(nginx)  # the probe overrides the list
    assert not catalogue.holds(redis)  # no verdict: the list decides
    assert catalogue.holds(parse_image("docker.io/library/nginx:other"))  # not probed: list
    assert "probe of mirror.example.test" in catalogue.source
