"""Route 10,000 images against the embedded DaoCloud configuration and full allows.txt.

Run: ``python3 tests/benchmarks/bench_route.py`` (prints timings; asserts nothing).
The images are a deterministic mix: names the list allows (exact entries, children of
``/*`` and ``/**`` prefixes), near misses, other registries, tags and digests.
"""

from __future__ import annotations

import os
import random
import tempfile
import time

from analyzer.mirrors import embedded_allows, load_catalogues, load_mirror_config
from analyzer.reference import ImageRef, parse_image
from analyzer.route import route_image

COUNT = 10_000


def sample_images(count: int, seed: int = 7) -> list[ImageRef]:
    rng = random.Random(seed)
    patterns = embedded_allows().patterns
    hosts = [
        "docker.io",
        "quay.io",
        "ghcr.io",
        "registry.k8s.io",
        "gcr.io",
        "example.com",
        "us.gcr.io",
        "nvcr.io",
        "localhost:5000",
    ]
    images: list[ImageRef] = []
    while len(images) < count:
        pattern = rng.choice(patterns)
        roll = rng.random()
        if roll < 0.5:
            base = f"{pattern.host}/{pattern.path}" if pattern.path else pattern.host
            suffix = {"exact": "", "one": "/app", "many": "/team/app"}[pattern.kind]
            name = base + suffix
        elif roll < 0.8:
            name = f"{rng.choice(hosts)}/org{rng.randrange(500)}/img{rng.randrange(50)}"
        else:
            name = f"lib{rng.randrange(300)}"
        ref = (
            f"{name}@sha256:{rng.randrange(16**8):064x}"
            if rng.random() < 0.1
            else (f"{name}:v{rng.randrange(20)}.{rng.randrange(10)}")
        )
        try:
            images.append(parse_image(ref))
        except ValueError:
            continue
    return images


def main() -> None:
    # the embedded list, never a list this user downloaded: every run measures the same data
    os.environ["IMAGE_COVERAGE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-route-")
    images = sample_images(COUNT)
    embedded_allows.cache_clear()  # time the real parse below
    start = time.perf_counter()
    config = load_mirror_config(node_default=None)
    catalogues = load_catalogues()
    catalogues.for_host("docker.m.daocloud.io")  # parse and index allows.txt once
    setup = time.perf_counter() - start

    start = time.perf_counter()
    statuses: dict[str, int] = {}
    for ref in images:
        route = route_image(ref, config, catalogues)
        statuses[route.status] = statuses.get(route.status, 0) + 1
    elapsed = time.perf_counter() - start
    print(f"setup (config + allows.txt parse/index): {setup * 1000:.1f} ms")
    print(
        f"routed {len(images)} images in {elapsed * 1000:.1f} ms "
        f"({elapsed / len(images) * 1e6:.1f} us/image)"
    )
    print("statuses:", ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())))


if __name__ == "__main__":
    main()
