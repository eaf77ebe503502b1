"""The modules mypyc compiles (``build_support/compiled_modules.txt``) behave as they do
interpreted: what mypyc would change is kept out of them, checked here in either mode.

The whole suite is the proof of the compiled build (run it after building in place); the
tests here catch, interpreted too, what would only break once compiled: a frozen dataclass
that cannot be unpickled or copied, a generator expression mypyc turns into a list (all
uses of a scan held at once), a spool file left open.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import gc
import importlib
import inspect
import pickle
from pathlib import Path

import pytest
from report_factory import full_report

from analyzer import scan
from analyzer.frozen import Frozen
from analyzer.mirrors.upstream import upstream_host
from analyzer.model import PULL_RESOLVE, Host, ImageUse, RegistryHosts
from analyzer.reference import ImageRef
from analyzer.report import Report
from analyzer.spool import KEEP, Spool, UseList
from tests.compiled_build import compiled_paths

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_every_listed_module_exists_once() -> None:
    paths = compiled_paths()
    assert paths and len(set(paths)) == len(paths)
    for path in paths:
        assert path.is_file() and path.suffix == ".py", path
        assert path.relative_to(ROOT).parts[0] == "analyzer", path


@pytest.mark.parametrize("path", compiled_paths(), ids=lambda p: module_name(p))
def test_every_frozen_dataclass_of_a_compiled_module_is_frozen_picklable(path: Path) -> None:
    """Compiled, a frozen dataclass not based on ``Frozen`` raises ``FrozenInstanceError``
    when it is unpickled or copied (mypyc's ``__setstate__`` assigns each field)."""
    module = importlib.import_module(module_name(path))
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ != module.__name__ or not dataclasses.is_dataclass(cls):
            continue
        if cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            assert issubclass(cls, Frozen), f"{cls.__qualname__} must be based on Frozen"


#: calls mypyc runs a generator expression argument of in place (any, all, sum, next) or
#: gathers whole anyway (the others): anywhere else it makes a list of it, and warns
_CONSUMERS = frozenset(
    {"any", "all", "sum", "next"}
    | {"tuple", "list", "set", "frozenset", "dict", "min", "max", "sorted"}
)
_CONSUMER_METHODS = frozenset({"join", "extend", "update"})


def _consumed(call: ast.Call, generator: ast.GeneratorExp) -> bool:
    if not call.args or call.args[0] is not generator:
        return False
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _CONSUMERS
    return isinstance(func, ast.Attribute) and func.attr in _CONSUMER_METHODS


@pytest.mark.parametrize("path", compiled_paths(), ids=lambda p: module_name(p))
def test_no_generator_expression_of_a_compiled_module_becomes_a_list(path: Path) -> None:
    """A generator expression kept or passed on (to ``Lazy``, ``Counter``, ``yield from``)
    is made a list by mypyc: a compiled ``scan -f json`` then held every use's dict."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    listed = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.GeneratorExp)
        and not (isinstance(parents[node], ast.Call) and _consumed(parents[node], node))
    ]
    assert listed == [], f"{path.name}: a generator function instead, at lines {listed}"


@pytest.mark.parametrize("path", compiled_paths(), ids=lambda p: module_name(p))
def test_no_compiled_module_uses_handoff(path: Path) -> None:
    """``Handoff`` hands a List's items over in its ``append`` override, which a compiled
    caller bypasses (it appends to the list's storage): the items would be kept, not
    handed over. Only the interpreted tree builders may use it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name | ast.alias)
        and (node.id if isinstance(node, ast.Name) else node.name) == "Handoff"
    ]
    assert named == [], f"{path.name}: Handoff at lines {named}"


@pytest.mark.parametrize("path", compiled_paths(), ids=lambda p: module_name(p))
def test_no_compiled_module_has_a_cached_property(path: Path) -> None:
    """mypyc compiles ``functools.cached_property`` into a plain property: the value is
    made again at every call (a host's URL: a new string in each attempt of each route)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    decorated = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("cached_property" in ast.unparse(d) for d in node.decorator_list)
    ]
    assert decorated == [], f"{path.name}: cached_property at lines {decorated}"


def test_a_routes_host_urls_are_made_once_per_host() -> None:
    host = Host("https", "docker.m.daocloud.io", "/v2", PULL_RESOLVE)
    hosts = RegistryHosts("docker.io", (host, upstream_host("docker.io")), "embedded")
    assert host.url == "https://docker.m.daocloud.io/v2" and host.url is host.url
    assert hosts.mirrors == (host,) and hosts.mirrors is hosts.mirrors
    report = scan([str(FIXTURES / "manifests")], hosts_dir=str(FIXTURES / "certs.d"))
    repeated = 0
    for image in report.images:
        route = image.route
        by_url = {attempt.host: attempt.host for attempt in route.attempts}
        repeated += len(route.attempts) - len(by_url)
        for url in [a.host for a in route.attempts] + [route.resolve_host, route.content_host]:
            assert url is None or url not in by_url or url is by_url[url], image.image
    assert repeated > 0  # hosts asked twice in a route (resolve, then fetch)


def test_a_report_pickles_and_copies_as_it_is() -> None:
    report = full_report()
    assert pickle.loads(pickle.dumps(report)) == report
    assert copy.deepcopy(report) == report and copy.copy(report) == report
    image = report.images[0]
    assert copy.copy(image) == image and copy.copy(image.route) == image.route


def test_a_scanned_report_pickles_with_its_spooled_uses(tmp_path: Path) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{n}}}\nspec:\n  containers:\n" + (
        "  - {{name: c, image: 'nginx:1.25'}}\n---\n"
    )
    (tmp_path / "pods.yaml").write_text("".join(pod.format(n=n) for n in range(50)))
    paths = [str(tmp_path), str(FIXTURES / "manifests")]
    report = scan(paths, hosts_dir=str(FIXTURES / "certs.d"))
    assert isinstance(report, Report) and report.source_errors == ()
    assert max(len(image.uses) for image in report.images) > KEEP  # some uses are spooled
    again = pickle.loads(pickle.dumps(report))
    assert again == report and again.to_dict() == report.to_dict()
    assert copy.deepcopy(report).to_dict() == report.to_dict()


def test_the_spool_file_is_closed_with_the_last_list_that_reads_it() -> None:
    spool = Spool()
    listed = UseList(spool)
    ref = ImageRef("docker.io", "library/nginx", "1.25", None)
    for line in range(1, KEEP + 3):
        listed.append(ImageUse("nginx:1.25", ref, "container", "pods.yaml", line, 0, "image"))
    file = spool._file
    assert file is not None and not file.closed
    del spool
    gc.collect()
    assert not file.closed and len(list(listed)) == KEEP + 2  # the list still reads it
    del listed
    gc.collect()
    assert file.closed
