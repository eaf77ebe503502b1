"""The mirror options shared by the commands that route images, and one helper that turns
them into ``(MirrorConfig, Catalogues)``.

Declare them in a command as ``hosts_dir: Optional[list[str]] = options.HOSTS_DIR`` etc.,
then call ``mirror_setup(...)``; it raises ``analyzer.mirrors.CatalogueError`` (a
``ValueError``) for a ``--catalog`` that cannot be used, never for configuration files
(their problems are ``MirrorConfig.errors``). The runtime options (``--runtime``,
``--k3s-registries``...) come as one value: a command decorated with
``@with_runtime_options()`` declares ``runtime_files: RuntimeOptions`` and gets them in it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Optional, TypeVar, cast

import typer

from analyzer.cli.output import say

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.engine import ScanOptions
    from analyzer.mirrors import Catalogues, MirrorConfig


@dataclass(frozen=True)
class RuntimeOptions:
    """``--runtime`` and the runtime file options, as one value."""

    runtime: str | None = None
    k3s_registries: str | None = None
    k3s_disable_default_endpoint: bool = False
    registries_conf: str | None = None
    registries_conf_d: str | None = None
    kind_config: str | None = None
    minikube_registry_mirrors: tuple[str, ...] = ()
    minikube_profile: str | None = None

    @property
    def given(self) -> bool:
        return bool(
            self.runtime
            or self.k3s_registries
            or self.registries_conf
            or self.registries_conf_d
            or self.kind_config
            or self.minikube_registry_mirrors
            or self.minikube_profile
        )

    def flags(self) -> list[str]:
        """The options given, by name."""
        values = (
            ("--runtime", self.runtime),
            ("--k3s-registries", self.k3s_registries),
            ("--k3s-disable-default-endpoint", self.k3s_disable_default_endpoint),
            ("--registries-conf", self.registries_conf),
            ("--registries-conf-d", self.registries_conf_d),
            ("--kind-config", self.kind_config),
            ("--minikube-registry-mirror", self.minikube_registry_mirrors),
            ("--minikube-profile", self.minikube_profile),
        )
        return [flag for flag, value in values if value]

    def into(self, scan: ScanOptions) -> ScanOptions:
        """``scan`` with these options (the fields of ``ScanOptions`` of the same names)."""
        return replace(
            scan,
            runtime=self.runtime,
            k3s_registries=self.k3s_registries,
            k3s_disable_default_endpoint=self.k3s_disable_default_endpoint,
            registries_conf=self.registries_conf,
            registries_conf_d=self.registries_conf_d,
            kind_config=self.kind_config,
            minikube_registry_mirrors=self.minikube_registry_mirrors,
            minikube_profile=self.minikube_profile,
        )


HOSTS_DIR = typer.Option(
    None,
    "--hosts-dir",
    help=(
        "containerd hosts directory (config_path); repeatable, and each value may be a "
        "':'-separated list of roots. [default: /etc/containerd/certs.d if it exists, "
        "else the embedded DaoCloud mirror set]"
    ),
    show_default=False,
)
CONTAINERD_CONFIG = typer.Option(
    None,
    "--containerd-config",
    help="containerd config.toml: its config_path, or its legacy CRI registry.mirrors.",
)
DOCKER_DAEMON = typer.Option(
    None,
    "--docker-daemon",
    help="Docker's daemon.json: its registry-mirrors (Docker Hub only).",
)
CONTAINERD_VERSION = typer.Option(
    None,
    "--containerd-version",
    help=(
        "The containerd release whose rules to follow: 1.6, 1.7, 2.0, 2.1, ... (or "
        "1.7.32). [default: this machine's containerd when its hosts directory is read, "
        "else the newest]"
    ),
    show_default=False,
)
RUNTIME = typer.Option(
    None,
    "--runtime",
    help=(
        "Whose rules and files: containerd, k3s, rke2, crio, podman or docker. Without file "
        "options it reads that runtime's usual files on this machine."
    ),
)
K3S_REGISTRIES = typer.Option(
    None,
    "--k3s-registries",
    help="k3s/RKE2 registries.yaml: routes follow the hosts.toml files k3s writes from it.",
)
K3S_DISABLE_DEFAULT = typer.Option(
    False,
    "--k3s-disable-default-endpoint",
    help="k3s/RKE2 started with --disable-default-registry-endpoint (no upstream fallback).",
)
REGISTRIES_CONF = typer.Option(
    None,
    "--registries-conf",
    help="CRI-O/Podman registries.conf (containers/image rules).",
)
REGISTRIES_CONF_D = typer.Option(
    None,
    "--registries-conf-d",
    help="CRI-O/Podman registries.conf.d folder: its *.conf drop-ins, in name order.",
)
KIND_CONFIG = typer.Option(
    None,
    "--kind-config",
    help=(
        "A kind cluster config: the containerd config.toml its containerdConfigPatches give "
        "the nodes (config_path found here through extraMounts, or legacy mirrors)."
    ),
)
MINIKUBE_REGISTRY_MIRROR = typer.Option(
    None,
    "--minikube-registry-mirror",
    help="A minikube start --registry-mirror URL (repeatable): dockerd's Docker Hub mirrors.",
)
MINIKUBE_PROFILE = typer.Option(
    None,
    "--minikube-profile",
    help=(
        "A minikube profile's config.json (~/.minikube/profiles/NAME/config.json): its "
        "RegistryMirror and ContainerRuntime."
    ),
)
#: the runtime options as a command declares them: (parameter, option, type)
_RUNTIME_PARAMETERS: tuple[tuple[str, Any, Any], ...] = (
    ("runtime", RUNTIME, Optional[str]),  # noqa: UP045 - typer needs Optional here
    ("k3s_registries", K3S_REGISTRIES, Optional[str]),  # noqa: UP045
    ("k3s_disable_default_endpoint", K3S_DISABLE_DEFAULT, bool),
    ("registries_conf", REGISTRIES_CONF, Optional[str]),  # noqa: UP045
    ("registries_conf_d", REGISTRIES_CONF_D, Optional[str]),  # noqa: UP045
    ("kind_config", KIND_CONFIG, Optional[str]),  # noqa: UP045
    ("minikube_registry_mirror", MINIKUBE_REGISTRY_MIRROR, Optional[list[str]]),  # noqa: UP045
    ("minikube_profile", MINIKUBE_PROFILE, Optional[str]),  # noqa: UP045
)
_Command = TypeVar("_Command", bound=Callable[..., Any])


def with_runtime_options(*, runtime: bool = True) -> Callable[[_Command], _Command]:
    """Give a typer command the runtime options, with ``scan``'s names and help texts, in
    place of its keyword-only parameter ``runtime_files: RuntimeOptions``, which receives
    them as one value. ``runtime=False`` leaves out ``--runtime`` (a command whose own
    ``--runtime`` means something else: ``mirrors init``)."""
    wanted = _RUNTIME_PARAMETERS if runtime else _RUNTIME_PARAMETERS[1:]
    names = [name for name, _, _ in wanted]

    def decorate(command: _Command) -> _Command:
        signature = inspect.signature(command, eval_str=True)
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=opt, annotation=kind)
            for name, opt, kind in wanted
        ]
        parameters: list[inspect.Parameter] = []
        for parameter in signature.parameters.values():
            is_slot = parameter.name == "runtime_files"
            parameters.extend(added if is_slot else [parameter])
        if len(parameters) != len(signature.parameters) + len(added) - 1:
            raise TypeError(f"{command.__name__} declares no runtime_files parameter")

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name, None) for name in names}
            files = RuntimeOptions(
                runtime=given.get("runtime"),
                k3s_registries=given["k3s_registries"],
                k3s_disable_default_endpoint=bool(given["k3s_disable_default_endpoint"]),
                registries_conf=given["registries_conf"],
                registries_conf_d=given["registries_conf_d"],
                kind_config=given["kind_config"],
                minikube_registry_mirrors=tuple(given["minikube_registry_mirror"] or ()),
                minikube_profile=given["minikube_profile"],
            )
            return command(*args, runtime_files=files, **kwargs)

        new = signature.replace(parameters=parameters)
        wrapper.__signature__ = new  # type: ignore[attr-defined]  # what typer reads
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return cast(_Command, wrapper)

    return decorate


CATALOG = typer.Option(
    None,
    "--catalog",
    help=(
        "What a mirror host holds, HOST=SOURCE (repeatable). SOURCE: a list file "
        "(allows.txt or mirror.txt format), 'all' (pull-through proxy), 'none', 'daocloud' "
        "(the embedded allows.txt) or an http(s) URL. Hosts without one are assumed to serve "
        "everything."
    ),
)

HELM_ARG = typer.Option(
    None,
    "--helm-arg",
    help=(
        "An argument for 'helm template' when a path is a Helm chart folder (repeatable, "
        "one argument each, e.g. --helm-arg=--values=prod.yaml --helm-arg=--set=image.tag=1.2)."
    ),
)
CONFIG = typer.Option(
    None,
    "--config",
    help="Settings file (default: image-coverage.toml or pyproject.toml "
    "with [tool.image-coverage], found upward).",
)


def mirror_setup(
    *,
    hosts_dir: Sequence[str] | None = None,
    containerd_config: str | None = None,
    docker_daemon: str | None = None,
    catalog: Sequence[str] | None = None,
    loader: Callable[[str], str] | None = None,
    warn: Callable[[str], None] | None = None,
    containerd_version: str | None = None,
    runtime: RuntimeOptions | None = None,
    registries: Sequence[str] | None = None,
) -> tuple[MirrorConfig, Catalogues]:
    """The configuration in effect and the catalogues from the shared options
    (``analyzer.engine.setup``, the one place that builds them); with ``registries``, only
    the hosts directories those may use are read (``explain``)."""
    from analyzer.engine import ScanOptions, setup

    options = (runtime or RuntimeOptions()).into(
        ScanOptions(
            hosts_dirs=tuple(hosts_dir or ()),
            containerd_config=containerd_config,
            docker_daemon=docker_daemon,
            catalogs=tuple(catalog or ()),
            containerd_version=containerd_version,
        )
    )
    chosen = setup(options, loader=loader, warn=warn, registries=registries)
    return chosen.config, chosen.catalogues


def mirror_setup_or_exit(
    command: str,
    *,
    hosts_dir: Sequence[str] | None = None,
    containerd_config: str | None = None,
    docker_daemon: str | None = None,
    catalog: Sequence[str] | None = None,
    containerd_version: str | None = None,
    runtime: RuntimeOptions | None = None,
    registries: Sequence[str] | None = None,
) -> tuple[MirrorConfig, Catalogues]:
    """``mirror_setup`` for one command: notes go to stderr as ``coverage COMMAND: ...``, and
    a ``--catalog`` that cannot be used ends the command with a one-line usage error (2)."""
    from analyzer.cli.app import usage_error
    from analyzer.mirrors import CatalogueError
    from analyzer.mirrors.errors import OptionError

    try:
        return mirror_setup(
            hosts_dir=hosts_dir,
            containerd_config=containerd_config,
            docker_daemon=docker_daemon,
            catalog=catalog,
            warn=lambda note: say(f"coverage {command}: {note}", err=True),
            containerd_version=containerd_version,
            runtime=runtime,
            registries=registries,
        )
    except (CatalogueError, OptionError) as exc:
        raise usage_error(command, str(exc)) from None
