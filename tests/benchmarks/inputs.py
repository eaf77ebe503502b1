"""Inputs the benchmarks generate on the fly, into a temporary folder (never committed).

Deterministic: the same sizes give the same files, so two runs compare the same work.
Images are distinct per Deployment and spread over several registries: names the embedded
DaoCloud list allows (children of its ``/*`` and ``/**`` prefixes, so they are distinct
too), names it does not, a few digests, and a registry with a port.
"""

from __future__ import annotations

import json
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


def _pod(i: int, containers: int, rng: random.Random) -> dict[str, object]:
    """A Pod as ``kubectl get pods -o json`` shows it: spec, status, managed fields."""
    name = f"app-{i // 3}-{rng.getrandbits(40):010x}"
    specs, statuses = [], []
    for c in range(containers):
        image = f"registry.k8s.io/team{i % 13}/app{i % 97}-c{c}:v1.{i % 20}"
        specs.append(
            {
                "name": f"c{c}",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "args": ["--port=8080", f"--name={name}", "--log-format=json"],
                "env": [
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "GREETING", "value": 'say "hi"\tthen\\leave \u00e9\u4e2d'},
                ],
                "ports": [{"containerPort": 8080 + c, "name": "http", "protocol": "TCP"}],
                "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "10m"}},
                "terminationMessagePath": "/dev/termination-log",
                "volumeMounts": [
                    {
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        "name": "kube-api-access",
                        "readOnly": True,
                    }
                ],
            }
        )
        statuses.append(
            {
                "containerID": f"containerd://{rng.getrandbits(256):064x}",
                "image": image,
                "imageID": f"{image.split(':')[0]}@sha256:{rng.getrandbits(256):064x}",
                "lastState": {},
                "name": f"c{c}",
                "ready": True,
                "restartCount": i % 3,
                "started": True,
                "state": {"running": {"startedAt": "2026-11-29T10:00:00Z"}},
            }
        )
    applied = json.dumps({"kind": "Pod", "metadata": {"name": name}}, separators=(",", ":"))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied + "\n"},
            "creationTimestamp": "2026-11-29T10:00:00Z",
            "labels": {"app": f"app-{i // 3}", "pod-template-hash": f"{rng.getrandbits(32):x}"},
            "name": name,
            "namespace": f"ns{i % 17}",
            "resourceVersion": str(1000 + i),
            "uid": f"{rng.getrandbits(128):032x}",
        },
        "spec": {
            "containers": specs,
            "dnsPolicy": "ClusterFirst",
            "nodeName": f"node-{i % 5}",
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                }
            ],
        },
        "status": {
            "containerStatuses": statuses,
            "phase": "Running",
            "podIP": f"10.0.{i % 250}.{i % 200}",
            "qosClass": "Burstable",
            "startTime": "2026-11-29T10:00:00Z",
        },
    }


def pods_list_json(path: Path, pods: int, containers: int = 3, seed: int = 18) -> Path:
    """A ``kubectl get pods -A -o json`` List of ``pods`` Pods, ``containers`` each
    (indented by 4, as kubectl writes it)."""
    rng = random.Random(seed)
    listed = {
        "apiVersion": "v1",
        "items": [_pod(i, containers, rng) for i in range(pods)],
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(listed, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
