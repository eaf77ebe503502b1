"""User extraction rules in the settings file, and ``coverage images --explain-rules``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = """\
apiVersion: dev.example.com/v1
kind: Workspace
metadata: {name: team-a}
spec:
  tools:
    editor:
      repository: ghcr.io/acme
      image: editor
      version: "4.2"
    shell:
      image: docker.io/library/bash:5.2
    linter:
      image: linter
      repository: ghcr.io/acme
---
apiVersion: other.example.com/v1
kind: Workspace
metadata: {name: elsewhere}
spec:
  tools:
    editor: {repository: ghcr.io/other, image: editor, version: "1"}
"""
RULES = """\
[[rules]]
kind = "Workspace"
group = "dev.example.com"
path = "spec.tools.*.image"
repository = "repository"
tag = "version"
"""


def run(tmp_path: Path, *args: str) -> tuple[int, dict[str, object], str]:
    (tmp_path / "workspace.yaml").write_text(WORKSPACE)
    (tmp_path / "image-coverage.toml").write_text(RULES)
    result = CliRunner().invoke(
        app,
        [
            "images",
            str(tmp_path / "workspace.yaml"),
            "--config",
            str(tmp_path / "image-coverage.toml"),
            *args,
        ],
    )
    payload = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.exit_code, payload, result.stdout


def test_a_user_rule_composes_images_and_explain_rules_names_it(tmp_path: Path) -> None:
    code, payload, _ = run(tmp_path, "--format", "json", "--explain-rules")
    assert code == 0
    uses = payload["uses"]
    assert isinstance(uses, list)
    rows = [(use["name"], use["class"], use["image"] or use["raw"], use["rule"]) for use in uses]
    settings = tmp_path / "image-coverage.toml"
    rule = f"rule 1 of {settings}: Workspace (dev.example.com) spec.tools.*.image"
    shape = "shape search: an image key of a custom resource"
    assert rows == [
        ("team-a", "crd", "ghcr.io/acme/editor:4.2", rule),
        ("team-a", "crd", "docker.io/library/bash:5.2", rule),
        ("team-a", "unresolved", "ghcr.io/acme/linter", rule),
        # another group: the rule does not apply, the shape search composes it itself
        ("elsewhere", "crd", "ghcr.io/other/editor:1", shape),
    ]


def test_explain_rules_adds_a_rule_column(tmp_path: Path) -> None:
    code, _, out = run(tmp_path, "--format", "table", "--explain-rules")
    assert code == 0
    header = out.splitlines()[0].split()
    assert header[:6] == ["IMAGE", "CLASS", "WHERE", "OBJECT", "CONTAINER", "RULE"]
    assert "rule 1 of" in out


def test_without_explain_rules_json_has_no_rule_field(tmp_path: Path) -> None:
    _, payload, _ = run(tmp_path, "--format", "json")
    uses = payload["uses"]
    assert isinstance(uses, list) and "rule" not in uses[0]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('rules = "x"', "'rules' must be an array of tables"),
        ('[[rules]]\nkind = "A"', "'path' is required"),
        ('[[rules]]\nkind = "A"\npath = "spec..image"', "is not dotted keys"),
        ('[[rules]]\nkind = "A"\npath = "spec.images[]"', "must end with the key"),
        ('[[rules]]\nkind = "A"\npath = "spec.image"\ntags = "v"', "unknown key(s) tags"),
        ('[[rules]]\nkind = 3\npath = "spec.image"', "'kind' must be a non-empty string"),
    ],
)
def test_bad_rules_are_one_line_errors(tmp_path: Path, rules: str, message: str) -> None:
    path = tmp_path / "image-coverage.toml"
    path.write_text(rules + "\n")
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(path)
    result = CliRunner().invoke(app, ["images", str(tmp_path), "--config", str(path)])
    assert result.exit_code == 2 and message in result.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_scan_of_a_kustomize_overlay_routes_the_overridden_images() -> None:
    overlay = ROOT / "fixtures" / "kustomize" / "overlays" / "prod"
    result = CliRunner().invoke(app, ["scan", str(overlay), "--format", "json"])
    report = json.loads(result.stdout)
    assert sorted(image["image"] for image in report["images"]) == [
        "ghcr.io/acme/api:2.1.0",
        "ghcr.io/acme/migrate@sha256:"
        "8d4d0f6f0ac0b8c5a6b1d0e3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4",
        "registry.example.com/mirror/nginx:1.27.2",
    ]
    assert report["summary"]["images"] == 3
