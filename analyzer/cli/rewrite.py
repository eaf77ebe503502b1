"""``coverage rewrite PATH...``: references in a mirror's form, for nodes that cannot change.

``--format kustomize`` (default) and ``json`` read manifests; ``--format helm`` reads chart
values files. Exit codes: 0 the output was produced (whatever stays as it is); 2 a usage
error or an input that could not be read (the output is still written). The settings file
(``--config``, or found upward) gives the extraction rules, ``helm-arg``, ``catalog`` and
``paths`` where the options do not.
"""

from __future__ import annotations

from typing import Optional

import typer

from analyzer.cli import fix_inputs, options, settings_flags
from analyzer.cli.app import app, usage_error
from analyzer.cli.output import say
from analyzer.nesting import TooDeep, deepest_yaml


@app.command("rewrite")
def rewrite_command(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045 - typer needs Optional here
        None,
        help="Manifest files or folders ('-' for stdin); values.yaml files with --format helm.",
        show_default=False,
    ),
    fmt: str = typer.Option("kustomize", "--format", "-f", help="kustomize, helm or json."),
    style: str = typer.Option(
        "path",
        "--style",
        help="path: m.daocloud.io/<registry>/<path>; subdomain: <x>.m.daocloud.io/<path>.",
    ),
    catalog: Optional[list[str]] = options.CATALOG,  # noqa: UP045
    config: Optional[str] = options.CONFIG,  # noqa: UP045
    helm_arg: Optional[list[str]] = options.HELM_ARG,  # noqa: UP045
) -> None:
    """Image references in DaoCloud's own form, only for images it holds."""
    from analyzer.fixes.rewrite import STYLES, plan_rewrites
    from analyzer.fixes.rewrite_formats import FORMATS, render_json, render_kustomize

    if fmt not in FORMATS:
        raise usage_error("rewrite", f"unknown --format {fmt!r} (choose from {', '.join(FORMATS)})")
    if style not in STYLES:
        raise usage_error("rewrite", f"unknown --style {style!r} (choose from {', '.join(STYLES)})")
    settings = settings_flags.load("rewrite", config)
    if not paths and fmt != "helm":
        paths = list(settings.paths)
    if not paths:
        raise usage_error("rewrite", "give at least one manifest file or folder ('-' for stdin)")
    _, catalogues = options.mirror_setup_or_exit(
        "rewrite", hosts_dir=None, catalog=catalog or settings.catalog
    )
    if fmt == "helm":
        raise typer.Exit(_helm(paths, catalogues, style))
    reading = fix_inputs.Reading.chosen(settings, helm_arg)
    sources, bad = fix_inputs.read_inputs(paths, (), "rewrite", reading)
    plan = plan_rewrites(sources.uses, catalogues, style=style, kustomize=fmt == "kustomize")
    say((render_json if fmt == "json" else render_kustomize)(plan), nl=False)
    if bad:
        raise typer.Exit(2)


def _helm(paths: list[str], catalogues: object, style: str) -> int:
    import yaml

    from analyzer.fixes.helm_values import helm_sets, image_fields
    from analyzer.fixes.rewrite_formats import render_helm
    from analyzer.mirrors import Catalogues

    assert isinstance(catalogues, Catalogues)
    sets: list[str] = []
    kept = []
    status = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            deepest_yaml(text)
            tree = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError) as exc:
            say(f"coverage rewrite: {path}: cannot read: {exc}", err=True)
            status = 2
            continue
        except TooDeep as exc:
            typer.echo(f"coverage rewrite: {path}:{exc.line}: {exc}", err=True)
            status = 2
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark is not None else path
            problem = getattr(exc, "problem", None) or "not YAML"
            say(f"coverage rewrite: {where}: not a values file: {problem}", err=True)
            status = 2
            continue
        got_sets, got_kept = helm_sets(list(image_fields(tree)), catalogues, style, path)
        sets += got_sets
        kept += got_kept
    say(render_helm(sets, kept), nl=False)
    return status
