"""The frozen dataclasses whose ``__init__`` is written out (``init=False``, so that mypyc
compiles it): it takes the fields in order with their defaults, as the generated one did,
and the classes still replace, pickle, copy, compare and subclass as dataclasses."""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle

import pytest

from analyzer.model import Attempt, Route
from analyzer.reference import parse_image
from analyzer.report import ImageResult
from tests.compiled_build import compiled_paths


def _dataclass_init_false(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func) == "dataclass"
            and any(k.arg == "init" and ast.unparse(k.value) == "False" for k in decorator.keywords)
        ):
            return True
    return False


def _fields(node: ast.ClassDef) -> list[tuple[str, str | None]]:
    """(name, default as written) of each init field of the class body."""
    fields = []
    for item in node.body:
        if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name):
            continue
        default = ast.unparse(item.value) if item.value is not None else None
        if default is not None and default.startswith("field(") and "init=False" in default:
            continue
        fields.append((item.target.id, default))
    return fields


def _written_inits() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in compiled_paths():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and _dataclass_init_false(node):
                found.append((f"{path.stem}.{node.name}", node))
    return found


def test_the_route_classes_have_written_inits() -> None:
    names = {name for name, _ in _written_inits()}
    assert {
        "model.Attempt",
        "model.Route",
        "report.ImageResult",
        "pattern_index.PatternIndex",
    } <= names


@pytest.mark.parametrize(
    "name,node", _written_inits(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_written_init_takes_the_fields_in_order_with_their_defaults(
    name: str, node: ast.ClassDef
) -> None:
    init = next(
        (i for i in node.body if isinstance(i, ast.FunctionDef) and i.name == "__init__"), None
    )
    assert init is not None, f"{name}: init=False needs an __init__"
    # compiled, the class's constructor runs it: pickle and copy must call it with the fields
    assert "FrozenInit" in [ast.unparse(b) for b in node.bases], name
    args = init.args
    assert not args.kwonlyargs and args.vararg is None and args.kwarg is None, name
    params = [a.arg for a in args.args[1:]]
    defaults: list[str | None] = [None] * (len(params) - len(args.defaults)) + [
        ast.unparse(d) for d in args.defaults
    ]
    assert list(zip(params, defaults, strict=True)) == _fields(node), name
    # every field is set, each once (and the fields made later, each once)
    set_names = [
        call.args[1].value
        for call in ast.walk(init)
        if isinstance(call, ast.Call)
        and ast.unparse(call.func) == "object.__setattr__"
        and isinstance(call.args[1], ast.Constant)
    ]
    assert len(set(set_names)) == len(set_names) and set(params) <= set(set_names), name


SECRET_URL = "https://user:hunter2@mirror.example/v2"


def _route(**changes: object) -> Route:
    fields: dict[str, object] = {
        "image": "docker.io/library/nginx:1.25",
        "registry": "docker.io",
        "status": "fallback",
        "resolve_host": "https://registry-1.docker.io/v2",
        "content_host": "https://registry-1.docker.io/v2",
        "attempts": (Attempt("resolve", "https://m.example/v2", "served", f"HEAD {SECRET_URL}"),),
        "warnings": [f"see {SECRET_URL}"],
        "reason": f"asked {SECRET_URL}",
    }
    fields.update(changes)
    return Route(**fields)  # type: ignore[arg-type]


def test_the_written_inits_keep_the_redaction_and_the_defaults() -> None:
    route = _route()
    assert "hunter2" not in repr(route)
    assert type(route.warnings) is tuple and "hunter2" not in route.warnings[0]
    assert route.hosts_file is None and route.stands_for is None
    assert Attempt("content", "h", "served").detail is None
    bare = Route("x", None, "invalid", None, None)
    assert (bare.attempts, bare.warnings, bare.reason) == ((), (), None)


def test_the_written_inits_replace_pickle_copy_compare_and_hash() -> None:
    route = _route()
    result = ImageResult(parse_image("nginx:1.25"), route, ())
    for value in (route, route.attempts[0], result):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.copy(value) == value and copy.deepcopy(value) == value
        assert hash(copy.deepcopy(value)) == hash(value)
        # (Python 3.11's frozen slotted dataclasses raise TypeError, from their super())
        with pytest.raises((dataclasses.FrozenInstanceError, TypeError)):
            value.image = "other"  # type: ignore[misc,union-attr]
    changed = dataclasses.replace(route, status="mirrored", stands_for="quay.io/a/b:1")
    assert (changed.status, changed.stands_for, changed.attempts) == (
        "mirrored",
        "quay.io/a/b:1",
        route.attempts,
    )
    assert dataclasses.replace(result, ignored=True) == ImageResult(
        result.ref, route, (), ignored=True
    )
    assert result != ImageResult(result.ref, route, (), True)
    assert "ImageResult(ref=" in repr(result)


@dataclasses.dataclass(frozen=True)
class Noted(ImageResult):
    note: str = ""


def test_an_interpreted_dataclass_subclass_of_image_result_gets_its_own_init() -> None:
    route = _route()
    noted = Noted(parse_image("nginx"), route, (), note="hi")
    assert (noted.note, noted.route, noted.ignored) == ("hi", route, False)
    assert dataclasses.replace(noted, note="ho").note == "ho"
    assert pickle.loads(pickle.dumps(noted)) == noted
