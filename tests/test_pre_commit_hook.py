"""The pre-commit hook names every changed YAML or JSON file: most are no manifest (CI
workflows, ``.pre-commit-config.yaml``, Helm values). ``--skip-non-manifests`` skips a named
file that reads cleanly and holds no Kubernetes object, as a folder's walk does; a file
that does not parse, and standard input, still are errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from analyzer.cli import app

ROOT = Path(__file__).parent.parent
runner = CliRunner()
WORKFLOW = "name: CI\non: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
    '  containers: [{name: a, image: "ghcr.io/fluxcd/source-controller:v1.4.1"}]\n'
)


def _scan(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["scan", "--hosts-dir", str(ROOT / "fixtures/certs.d"), *args])
    return result.exit_code, result.stdout + result.stderr


def test_the_changed_files_hook_skips_files_that_are_no_manifest() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    entry = next(h["entry"] for h in hooks if h["id"] == "image-coverage")
    assert entry.split() == ["image-coverage", "scan", "--skip-non-manifests"]


def test_skip_non_manifests(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yaml"
    workflow.write_text(WORKFLOW)
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD)
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [\n")
    code, out = _scan(str(workflow))
    assert code == 2 and "holds no Kubernetes object" in out  # without the flag
    code, out = _scan("--skip-non-manifests", str(workflow))
    assert code == 0 and "0 files read, 1 skipped" in out, out
    code, out = _scan("--skip-non-manifests", str(workflow), str(pod))
    assert code == 1 and "1 image fallback" in out, out  # the manifest is still judged
    code, out = _scan("--skip-non-manifests", str(workflow), str(broken))
    assert code == 2 and "broken.yaml" in out, out
    code, out = _scan("--skip-non-manifests", str(tmp_path / "empty-folder-missing"))
    assert code == 2, out
