"""``with_runtime_options`` and ``RuntimeOptions.into``: the one way the runtime options of
``scan``, ``explain``, ``mirrors``, ``doctor``, ``request`` and ``mirrors init`` become one
value and reach ``ScanOptions``; a field either forgot would silently read no
registries.conf, k3s file or kind config."""

from __future__ import annotations

from dataclasses import fields

import pytest
import typer
from typer.testing import CliRunner

from analyzer.cli.options import RuntimeOptions, with_runtime_options
from analyzer.engine import ScanOptions

#: a value for every field (none its default)
EVERY = RuntimeOptions(
    runtime="crio",
    k3s_registries="registries.yaml",
    k3s_disable_default_endpoint=True,
    registries_conf="registries.conf",
    registries_conf_d="registries.conf.d",
    kind_config="kind.yaml",
    minikube_registry_mirrors=("https://a.example", "https://b.example"),
    minikube_profile="dev",
)


def test_every_runtime_option_reaches_the_scan_options() -> None:
    given = EVERY
    base = ScanOptions(paths=("a.yaml",), hosts_dirs=("certs.d",))
    scan = given.into(base)
    for option in fields(RuntimeOptions):
        assert getattr(scan, option.name) == getattr(given, option.name), option.name
        assert getattr(given, option.name) != getattr(base, option.name), option.name
    assert (scan.paths, scan.hosts_dirs) == (("a.yaml",), ("certs.d",))


def _captured(*args: str, runtime: bool = True) -> RuntimeOptions:
    """What a command decorated with ``with_runtime_options`` receives for ``args``."""
    got: list[RuntimeOptions] = []
    app = typer.Typer()

    @app.command()
    @with_runtime_options(runtime=runtime)
    def command(name: str = "x", *, runtime_files: RuntimeOptions) -> None:
        got.append(runtime_files)

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return got[0]


EVERY_FLAG = [
    "--runtime",
    "crio",
    "--k3s-registries",
    "registries.yaml",
    "--k3s-disable-default-endpoint",
    "--registries-conf",
    "registries.conf",
    "--registries-conf-d",
    "registries.conf.d",
    "--kind-config",
    "kind.yaml",
    "--minikube-registry-mirror",
    "https://a.example",
    "--minikube-registry-mirror",
    "https://b.example",
    "--minikube-profile",
    "dev",
]


def test_every_runtime_flag_reaches_the_one_value() -> None:
    assert _captured() == RuntimeOptions()
    assert _captured(*EVERY_FLAG) == EVERY
    named = [f for f in EVERY_FLAG if f.startswith("--")]
    assert _captured(*EVERY_FLAG).flags() == list(dict.fromkeys(named))


def test_without_runtime_the_command_keeps_its_own_flag() -> None:
    """``mirrors init``'s ``--runtime`` is what it writes: the decorator leaves it alone."""
    assert _captured("--kind-config", "k.yaml", runtime=False) == RuntimeOptions(
        kind_config="k.yaml"
    )
    app = typer.Typer()

    @app.command()
    @with_runtime_options(runtime=False)
    def command(*, runtime_files: RuntimeOptions) -> None:
        pass  # pragma: no cover - never run: --runtime is refused

    assert CliRunner().invoke(app, ["--runtime", "crio"]).exit_code == 2


def test_a_command_without_the_slot_is_a_mistake_found_at_import() -> None:
    with pytest.raises(TypeError, match="no runtime_files parameter"):
        with_runtime_options()(lambda name: None)
