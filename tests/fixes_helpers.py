"""Small builders shared by the tests of ``analyzer.fixes`` and its commands."""

from __future__ import annotations

from pathlib import Path


def write_manifest(path: Path, images: list[str]) -> Path:
    """A Deployment with one container per image."""
    containers = "".join(
        f"        - name: c{i}\n          image: {image}\n" for i, image in enumerate(images)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: ns\n"
        "spec:\n  template:\n    spec:\n      containers:\n" + containers
    )
    return path


def write_hosts(root: Path, files: dict[str, str]) -> Path:
    """A hosts directory: ``{registry directory: hosts.toml text}``."""
    for name, text in files.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "hosts.toml").write_text(text)
    return root


def mirror_for(registry: str, url: str) -> str:
    return f'server = "https://{registry}"\n[host."{url}"]\n  capabilities = ["pull", "resolve"]\n'
