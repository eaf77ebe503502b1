"""``RuntimeOptions.into``: the one place the runtime options of ``scan``, ``explain``,
``mirrors`` and ``doctor`` reach ``ScanOptions``; a field it forgot would silently read no
registries.conf, k3s file or kind config."""

from __future__ import annotations

from dataclasses import fields

from analyzer.cli.options import RuntimeOptions
from analyzer.engine import ScanOptions


def test_every_runtime_option_reaches_the_scan_options() -> None:
    given = RuntimeOptions(
        runtime="crio",
        k3s_registries="registries.yaml",
        k3s_disable_default_endpoint=True,
        registries_conf="registries.conf",
        registries_conf_d="registries.conf.d",
        kind_config="kind.yaml",
        minikube_registry_mirrors=("https://m.example.com",),
        minikube_profile="dev",
    )
    base = ScanOptions(paths=("a.yaml",), hosts_dirs=("certs.d",))
    scan = given.into(base)
    for option in fields(RuntimeOptions):
        assert getattr(scan, option.name) == getattr(given, option.name), option.name
        assert getattr(given, option.name) != getattr(base, option.name), option.name
    assert (scan.paths, scan.hosts_dirs) == (("a.yaml",), ("certs.d",))
