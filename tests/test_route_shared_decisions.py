"""The route of an image is decided once per registry's hosts and combination of what each
catalogue says (``analyzer.route._Facts``), then the image's own names are filled in: in a
scan of many images, each must still get the route it gets alone, with nothing kept from
the images routed before it (the repository a ``registries.conf`` prefix or a k3s rewrite
depends on, a tag or a digest, capabilities, ``override_path``, a mirror's password)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import route as route_module
from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.config import MirrorConfig
from analyzer.reference import parse_image
from analyzer.route import route_image

DIGEST = "@sha256:" + "1" * 64
IMAGES = [
    f"{registry}/{path}{suffix}"
    for registry in ("docker.io", "registry.example.com", "ghcr.io")
    for path in ("library/nginx", "team-a/app", "team-b/app", "team-a/sub/app", "held/x")
    for suffix in (":1", DIGEST, ":2" + DIGEST)
] + ["nginx:1", "alpine" + DIGEST]

K3S = """\
mirrors:
  docker.io:
    endpoint: ["https://m1.example", "https://user:secret@m2.example/v2/proxy"]
    rewrite:
      "^library/(.*)": "held/$1"
      "^team-(a|b)/(.*)": "team-a/$2"
  registry.example.com:
    endpoint: ["https://m1.example"]
    rewrite:
      "^(.*)/app$": "held/$1"
"""

REGISTRIES_CONF = """\
unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "m1.example"
[[registry.mirror]]
location = "m2.example"
pull-from-mirror = "digest-only"
[[registry]]
prefix = "docker.io/library"
location = "docker.io/library"
[[registry.mirror]]
location = "m2.example/lib"
pull-from-mirror = "tag-only"
[[registry]]
prefix = "registry.example.com/team-a"
location = "m1.example/a"
mirror-by-digest-only = true
[[registry]]
prefix = "registry.example.com/team-b"
location = "registry.example.com/team-b"
blocked = true
[[registry]]
prefix = "*.example.com"
location = "wild.example"
[[registry.mirror]]
location = "m2.example"
"""

HOSTS = {
    "docker.io": """\
server = "https://registry-1.docker.io"
[host."https://m2.example"]
  capabilities = ["pull"]
[host."https://user:secret@m1.example"]
  capabilities = ["pull", "resolve"]
[host."https://m3.example/custom"]
  capabilities = ["pull", "resolve"]
  override_path = true
""",
    "_default": """\
[host."https://m1.example"]
  capabilities = ["pull", "resolve"]
[host."https://m2.example"]
  capabilities = ["resolve"]
""",
}


def _config(kind: str, root: Path) -> MirrorConfig:
    if kind == "k3s":
        (root / "registries.yaml").write_text(K3S)
        return load_mirror_config(k3s_registries=str(root / "registries.yaml"))
    if kind == "registries-conf":
        (root / "registries.conf").write_text(REGISTRIES_CONF)
        return load_mirror_config(registries_conf=str(root / "registries.conf"))
    for registry, text in HOSTS.items():
        (root / "hosts" / registry).mkdir(parents=True, exist_ok=True)
        (root / "hosts" / registry / "hosts.toml").write_text(text)
    return load_mirror_config(hosts_dirs=[str(root / "hosts")], node_default=None)


@pytest.mark.parametrize("kind", ["k3s", "registries-conf", "hosts-dir"])
def test_each_image_of_a_scan_gets_the_route_it_gets_alone(kind: str, tmp_path: Path) -> None:
    # each host holds some of the repositories (as written, and as a k3s rewrite asks)
    (tmp_path / "m1.txt").write_text(
        "docker.io/held/nginx\ndocker.io/team-a/app\ndocker.io/library/nginx:1\nghcr.io/**\n"
    )
    (tmp_path / "m2.txt").write_text(
        "docker.io/held/*\ndocker.io/team-a/sub/*\nregistry.example.com/held/*\n"
    )
    specs = [f"m1.example={tmp_path / 'm1.txt'}", f"m2.example={tmp_path / 'm2.txt'}"]
    config, catalogues = _config(kind, tmp_path), load_catalogues(specs)
    together = [route_image(parse_image(image), config, catalogues) for image in IMAGES]
    assert len({r.status for r in together}) >= 3  # the images meet different decisions
    for image, shared in zip(IMAGES, together, strict=True):
        route_module._FACTS.clear()
        alone = route_image(parse_image(image), _config(kind, tmp_path), load_catalogues(specs))
        assert shared == alone, image
        assert "secret" not in repr(shared)
