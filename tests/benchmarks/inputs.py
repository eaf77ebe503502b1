"""Inputs the benchmarks generate on the fly, into a temporary folder (never committed).

Deterministic: the same sizes give the same files, so two runs compare the same work.
Images are distinct per Deployment and spread over several registries: names the embedded
DaoCloud list allows (children of its ``/*`` and ``/**`` prefixes, so they are distinct
too), names it does not, a few digests, and a registry with a port.
"""

from __future__ import annotations

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_ALLOWS = ROOT / "analyzer" / "data" / "allows.txt"
DOCS_PER_FILE = 1000

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: bench
  labels: {{app: app-{i}, tier: backend}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
        - name: app
          image: {image}
          ports:
            - containerPort: 8080
          resources:
            requests: {{cpu: 10m, memory: 32Mi}}
"""


def _allowed_prefixes() -> list[str]:
    """``host/prefix`` of every ``/*`` and ``/**`` line of the embedded list."""
    prefixes = []
    for line in EMBEDDED_ALLOWS.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.endswith("/*") and line != "docker.io/*":  # /* and /**
            prefixes.append(line.removesuffix("/**").removesuffix("/*"))
    return prefixes


def images(count: int, seed: int = 18) -> list[str]:
    """``count`` distinct image references (distinct repositories too)."""
    rng = random.Random(seed)
    prefixes = _allowed_prefixes()
    others = ["docker.io/acme", "quay.io/acme", "ghcr.io/acme", "registry.k8s.io/acme"]
    out = []
    for i in range(count):
        roll = i % 10
        if roll < 4:  # allowed by the embedded list
            name = f"{prefixes[i % len(prefixes)]}/app{i}"
        elif roll < 9:  # not in the list: falls back to the upstream
            name = f"{others[i % len(others)]}/app{i}"
        else:  # a registry with no mirror
            name = f"registry.internal.example:5000/team{i % 7}/app{i}"
        if rng.random() < 0.05:
            out.append(f"{name}@sha256:{rng.getrandbits(256):064x}")
        else:
            out.append(f"{name}:v{rng.randrange(1, 20)}.{rng.randrange(10)}")
    return out


def deployments(folder: Path, refs: list[str]) -> list[Path]:
    """One Deployment per image, ``DOCS_PER_FILE`` to a file."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for start in range(0, len(refs), DOCS_PER_FILE):
        chunk = refs[start : start + DOCS_PER_FILE]
        path = folder / f"deployments-{start // DOCS_PER_FILE:04d}.yaml"
        text = "---\n".join(
            DEPLOYMENT.format(i=start + n, image=image) for n, image in enumerate(chunk)
        )
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def big_allows(path: Path, extra: int, seed: int = 18) -> Path:
    """The embedded allows.txt plus ``extra`` generated patterns (exact names, ``/*`` and
    ``/**`` prefixes over several registries) that none of ``images()`` matches."""
    rng = random.Random(seed)
    lines = EMBEDDED_ALLOWS.read_text(encoding="utf-8").splitlines()
    hosts = ["docker.io", "quay.io", "ghcr.io", "registry.k8s.io", "gcr.io", "nvcr.io"]
    for i in range(extra):
        host = hosts[i % len(hosts)]
        base = f"{host}/org{rng.randrange(5000)}x/img{i}"
        lines.append(base + ("", "", "/*", "/**")[i % 4])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def embedded_allows_copy(path: Path) -> Path:
    path.write_text(EMBEDDED_ALLOWS.read_text(encoding="utf-8"), encoding="utf-8")
    return path


HOSTS_TOML = """\
server = "https://{registry}"

[host."https://mirror-{n}.example.net"]
  capabilities = ["pull", "resolve"]
"""


def hosts_dir(folder: Path, registries: int) -> list[str]:
    """A containerd hosts directory with ``registries`` registry directories, each a valid
    ``hosts.toml`` with one mirror; returns the registry names, in order."""
    names = [f"registry{n}.example.org" for n in range(registries)]
    for n, name in enumerate(names):
        directory = folder / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "hosts.toml").write_text(
            HOSTS_TOML.format(registry=name, n=n), encoding="utf-8"
        )
    return names


def images_on(registries: list[str], count: int) -> list[str]:
    """``count`` distinct images spread over ``registries``."""
    return [f"{registries[i % len(registries)]}/team/app{i}:1.{i % 10}" for i in range(count)]
