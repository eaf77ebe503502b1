"""minikube's ``--registry-mirror`` as the rules it turns into, per container runtime.

Read from kubernetes/minikube at commit eb25dbc (v1.38.1+):

- ``cmd/minikube/cmd/start.go`` ``validateRegistryMirror``: each value must parse, with
  scheme ``http`` or ``https`` and an empty path (``https://host/`` is refused), else
  ``minikube start`` exits;
- ``pkg/minikube/machine/start.go`` ``engineOptions`` puts the list in the Docker engine
  options only, and the provisioners write it as ``dockerd --registry-mirror`` flags
  (``pkg/libmachine/provision/systemd.go``, ``boot2docker.go``): Docker Engine's rules,
  Docker Hub only (``docker_daemon.py``);
- ``pkg/minikube/cruntime`` gives containerd and CRI-O no mirror: containerd reads
  ``/etc/containerd/certs.d`` where the node image's ``docker.io/hosts.toml`` names only
  ``server = "https://registry-1.docker.io"`` (``deploy/kicbase/containerd_docker_io_hosts.toml``),
  and CRI-O's ``registries.conf`` is not touched. kubernetes/minikube#18361 (open) asks for
  it. So with those runtimes the mirror is never used: a doctor error.

A profile (``~/.minikube/profiles/<name>/config.json``) keeps ``RegistryMirror`` and
``KubernetesConfig.ContainerRuntime`` (``pkg/minikube/config/types.go``); an empty runtime
is minikube's default, ``docker`` (``defaultRuntime``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.mirrors.docker_daemon import DockerDaemonConfig, mirror_problem
from analyzer.mirrors.errors import read_config_text
from analyzer.mirrors.go_url import GoURLError, go_url_parse
from analyzer.mirrors.url_userinfo import redacted
from analyzer.model import ConfigError, Finding
from analyzer.nesting import TooDeep, deepest_json

FLAG = "--minikube-registry-mirror"
DEFAULT_RUNTIME = "docker"
RUNTIMES = ("docker", "containerd", "crio", "cri-o")


@dataclass(frozen=True)
class MinikubeMirrors:
    """minikube's registry mirrors and the runtime they are given to."""

    source: str  # the profile's config.json, or the flag
    runtime: str
    mirrors: tuple[str, ...] = ()
    errors: tuple[ConfigError, ...] = ()
    line: int | None = None  # of RegistryMirror in the profile

    @property
    def daemon(self) -> DockerDaemonConfig | None:
        """The dockerd configuration minikube writes (docker runtime only)."""
        if self.runtime != "docker":
            return None
        accepted, errors = [], []
        for mirror in self.mirrors:
            problem = _minikube_problem(mirror) or mirror_problem(mirror)
            if problem:
                errors.append(
                    ConfigError(self.source, self.line, f"registry mirror {problem} ({_REFUSED})")
                )
            else:
                accepted.append(mirror)
        return DockerDaemonConfig(self.source, tuple(accepted), (*self.errors, *errors))

    def findings(self) -> tuple[Finding, ...]:
        """A mirror given to a runtime minikube does not give it to."""
        if self.runtime == "docker" or not self.mirrors:
            return ()
        return (
            Finding(
                self.source,
                self.line,
                f"registry mirror {', '.join(redacted(m) for m in self.mirrors)} is never used: "
                f"minikube passes --registry-mirror to dockerd only, and the {self.runtime} "
                "runtime gets no mirror (kubernetes/minikube#18361): Docker Hub images come "
                "from registry-1.docker.io",
                severity="error",
                code="minikube-mirror-unused",
                fix=(
                    "start minikube with --container-runtime=docker, or write the node's "
                    "/etc/containerd/certs.d/docker.io/hosts.toml (minikube ssh) and check it "
                    "with --hosts-dir"
                    if self.runtime == "containerd"
                    else "start minikube with --container-runtime=docker, or add the mirror "
                    "to the node's /etc/containers/registries.conf (minikube ssh)"
                ),
            ),
        )


_REFUSED = "minikube start refuses it"


def _minikube_problem(mirror: str) -> str | None:
    """``validateRegistryMirror``: Go's ``url.Parse``, scheme http(s), empty path."""
    shown = redacted(mirror)
    try:
        parts = go_url_parse(mirror)
    except GoURLError:
        return f"{shown!r} is not a URL"
    if parts.scheme not in ("http", "https"):
        return f"{shown!r} must start with http:// or https://"
    if parts.path != "":
        return f"{shown!r} must have no path (not even a trailing '/')"
    return None


def from_flags(mirrors: Sequence[str], runtime: str | None = None) -> MinikubeMirrors:
    """``minikube start --registry-mirror`` values, for ``runtime`` (default docker)."""
    return MinikubeMirrors(FLAG, _runtime(runtime), tuple(mirrors))


def _runtime(name: str | None) -> str:
    name = (name or DEFAULT_RUNTIME).lower()
    return "crio" if name == "cri-o" else name


def read_profile(path: str) -> MinikubeMirrors:
    """A profile's ``config.json``; a file that cannot be used gives ``errors``."""
    text = read_config_text(path)
    if isinstance(text, ConfigError):
        return MinikubeMirrors(path, DEFAULT_RUNTIME, errors=(text,))
    try:
        deepest_json(text)
        doc = json.loads(text)
    except TooDeep as exc:
        return MinikubeMirrors(
            path, DEFAULT_RUNTIME, errors=(ConfigError(path, exc.line, str(exc)),)
        )
    except json.JSONDecodeError as exc:
        error = ConfigError(path, exc.lineno, f"not valid JSON: {exc.msg}")
        return MinikubeMirrors(path, DEFAULT_RUNTIME, errors=(error,))
    line = _line_of(text, '"RegistryMirror"')
    if not isinstance(doc, dict):
        return MinikubeMirrors(path, DEFAULT_RUNTIME, errors=(ConfigError(path, 1, _NOT_PROFILE),))
    mirrors = doc.get("RegistryMirror")
    kubernetes = doc.get("KubernetesConfig")
    runtime = kubernetes.get("ContainerRuntime") if isinstance(kubernetes, dict) else None
    errors = []
    if mirrors is None:
        mirrors = []
    if not isinstance(mirrors, list) or not all(isinstance(m, str) for m in mirrors):
        errors.append(ConfigError(path, line, "RegistryMirror must be an array of strings"))
        mirrors = []
    if runtime is not None and (not isinstance(runtime, str) or _runtime(runtime) not in RUNTIMES):
        errors.append(
            ConfigError(
                path,
                _line_of(text, '"ContainerRuntime"'),
                f"KubernetesConfig.ContainerRuntime {runtime!r} is not docker, containerd or crio",
            )
        )
        runtime = None
    if "KubernetesConfig" not in doc and "RegistryMirror" not in doc:
        errors.append(ConfigError(path, 1, _NOT_PROFILE))
    return MinikubeMirrors(path, _runtime(runtime), tuple(mirrors), tuple(errors), line)


_NOT_PROFILE = "not a minikube profile config.json (no RegistryMirror, no KubernetesConfig)"


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None
