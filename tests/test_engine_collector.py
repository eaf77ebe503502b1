"""Routing runs with the cyclic garbage collector paused (``engine._collector_paused``):
every object it makes lives as long as the report, so a collection would only walk them
again. The collector must come back on afterwards, whatever happens, and stay off when the
caller had turned it off."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.engine import build_report
from analyzer.mirrors import Catalogues, MirrorConfig, load_catalogues, load_mirror_config
from analyzer.model import Route
from analyzer.reference import ImageRef
from analyzer.route import route_image
from analyzer.sources import read_sources

MANIFESTS = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _report_seeing(states: list[bool], fail: bool = False) -> None:
    def route(ref: ImageRef, config: MirrorConfig, catalogues: Catalogues) -> Route:
        states.append(gc.isenabled())
        if fail:
            raise RuntimeError("routing failed")
        return route_image(ref, config, catalogues)

    config = load_mirror_config(node_default=None)
    build_report(read_sources([str(MANIFESTS)]), config, load_catalogues(), route=route)


def test_routing_runs_with_the_collector_off_and_turns_it_back_on(collector_on: None) -> None:
    states: list[bool] = []
    _report_seeing(states)
    assert states and not any(states)  # off while every image was routed
    assert gc.isenabled()


def test_the_collector_comes_back_when_routing_fails(collector_on: None) -> None:
    with pytest.raises(RuntimeError, match="routing failed"):
        _report_seeing([], fail=True)
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off(collector_on: None) -> None:
    gc.disable()
    states: list[bool] = []
    _report_seeing(states)
    assert states and not any(states)
    assert not gc.isenabled()
