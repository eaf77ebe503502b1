"""Kustomize and Helm sources, rendered with the real tools before they are read.

A folder holding ``kustomization.yaml`` (``.yml``, ``Kustomization``) means what
``kustomize build`` makes of it: its ``images:`` overrides, patches and bases applied. It
is rendered with ``kustomize build DIR`` or, without that binary, ``kubectl kustomize
DIR``. A folder holding ``Chart.yaml`` is rendered with ``helm template DIR`` and the
``--helm-arg`` values (``--values=prod.yaml``, ``--set=image.tag=1.2``). The output is read
like a file named after the folder; lines point into the rendered output, and ``source``
names the command (Helm's own ``# Source:`` comments name the template instead).

The tools run as subprocesses, without a shell, with a timeout; a failure is one line
(the tool's last line of error output). Without the tool the folder is an error that says
how to render it first: a folder that yields nothing must never pass a gate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, replace

from analyzer.model import ImageUse, SourceError

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CHART_FILE = "Chart.yaml"
_ERROR_CHARS = 300


@dataclass(frozen=True)
class RenderOptions:
    """How sources are rendered: extra ``helm template`` arguments, and the time allowed."""

    helm_args: tuple[str, ...] = ()
    timeout: float = 120.0


@dataclass(frozen=True)
class RenderFolder:
    """A folder that is rendered, not walked: ``tool`` is ``kustomize`` or ``helm``."""

    path: str
    tool: str


@dataclass(frozen=True)
class Rendered:
    output: bytes
    command: str  # as shown to people: "kubectl kustomize overlays/prod"


def renderable(folder: str) -> RenderFolder | None:
    """The folder as a kustomization or a Helm chart, or None for a plain folder."""
    if any(os.path.isfile(os.path.join(folder, name)) for name in KUSTOMIZATION_FILES):
        return RenderFolder(folder, "kustomize")
    if os.path.isfile(os.path.join(folder, CHART_FILE)):
        return RenderFolder(folder, "helm")
    return None


def command(folder: RenderFolder, options: RenderOptions) -> list[str] | None:
    """The command that renders ``folder`` with what is on PATH, or None."""
    if folder.tool == "helm":
        helm = shutil.which("helm")
        return [helm, "template", folder.path, *options.helm_args] if helm else None
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build", folder.path]
    kubectl = shutil.which("kubectl")
    return [kubectl, "kustomize", folder.path] if kubectl else None


def render(folder: RenderFolder, options: RenderOptions) -> Rendered | SourceError:
    """The rendered output, or a one-line error naming the folder."""
    argv = command(folder, options)
    if argv is None:
        return SourceError(folder.path, None, _render_first(folder))
    shown = " ".join([os.path.basename(argv[0]), *argv[1:]])
    try:
        done = subprocess.run(  # an argument list: no shell
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=options.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return SourceError(
            folder.path, None, f"{shown} did not finish within {options.timeout:g} s"
        )
    except OSError as exc:
        return SourceError(folder.path, None, f"{shown} could not run: {exc.strerror or exc}")
    if done.returncode != 0:
        return SourceError(
            folder.path, None, f"{shown} failed (exit {done.returncode}): {_last_line(done.stderr)}"
        )
    if not done.stdout.strip():
        return SourceError(folder.path, None, f"{shown} rendered nothing")
    return Rendered(done.stdout, shown)


def _render_first(folder: RenderFolder) -> str:
    if folder.tool == "helm":
        return (
            "a Helm chart (Chart.yaml) and helm is not on PATH: render it first "
            f"(helm template NAME {folder.path} -f VALUES > rendered.yaml) and scan the output"
        )
    return (
        "a kustomization folder and neither kustomize nor kubectl is on PATH: render it first "
        f"(kubectl kustomize {folder.path} > rendered.yaml) and scan the output"
    )


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    last = next((line for line in reversed(lines) if line), "no error output")
    return last if len(last) <= _ERROR_CHARS else last[: _ERROR_CHARS - 1] + "…"


def with_source(use: ImageUse, rendered: Rendered) -> ImageUse:
    """A use read from rendered output: its source names the command when Helm's own
    ``# Source:`` comment does not name a template."""
    return use if use.source is not None else replace(use, source=rendered.command)
