"""The ``MirrorRuntime`` interface: ``MirrorConfig`` asks its runtimes in order, and a
host's ``rewrites`` change the repository it is asked for (route and catalogue)."""

from __future__ import annotations

from analyzer.mirrors import MirrorConfig, load_catalogues
from analyzer.mirrors.rewrite import expand_go_template, rewrite_path
from analyzer.model import ConfigError, Host, RegistryHosts
from analyzer.reference import ImageRef, parse_image
from analyzer.route import route_image

PULL_RESOLVE = frozenset({"pull", "resolve"})


class _OneRegistry:
    """A minimal runtime: one registry, one mirror (with optional rewrites)."""

    by_reference = False

    def __init__(
        self, registry: str, mirror: str, origin: str, rewrites: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.registry, self.mirror, self.origin, self.rewrites = registry, mirror, origin, rewrites
        self.errors: tuple[ConfigError, ...] = (ConfigError(f"{origin}.conf", 3, "odd"),)
        self.warnings: tuple[str, ...] = (f"{origin}: a warning",)

    def _hosts(self) -> RegistryHosts:
        mirror = Host("https", self.mirror, "/v2", PULL_RESOLVE, rewrites=self.rewrites)
        upstream = Host(
            "https", self.registry, "/v2", PULL_RESOLVE, is_server=True, is_upstream=True
        )
        return RegistryHosts(self.registry, (mirror, upstream), self.origin, f"{self.origin}.conf")

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        return self._hosts() if ref.domain == self.registry else None

    def configured(self) -> tuple[RegistryHosts, ...]:
        return (self._hosts(),)

    def configured_name(self, ref: ImageRef) -> str:
        return self.registry


def test_first_runtime_that_answers_wins_and_findings_are_gathered() -> None:
    first = _OneRegistry("quay.io", "first.example", "one")
    second = _OneRegistry("quay.io", "second.example", "two")
    config = MirrorConfig(description="test", runtimes=[first, second])
    assert config.hosts_for("quay.io").hosts[0].host == "first.example"
    assert config.hosts_for("ghcr.io").origin == "none"
    assert [e.file for e in config.errors] == ["one.conf", "two.conf"]
    assert config.warnings == ("one: a warning", "two: a warning")
    shadowed = config.configured()[1]
    assert any("never used" in w and "one" in w for w in shadowed.warnings)


def test_rewrite_changes_the_request_and_the_catalogue_check(tmp_path: object) -> None:
    runtime = _OneRegistry(
        "docker.io",
        "mirror.example",
        "k3s",
        (("^rancher/(.*)", "mirrorproject/rancher-images/$1"),),
    )
    config = MirrorConfig(description="test", runtimes=[runtime])
    lists = tmp_path / "list.txt"  # type: ignore[operator]
    lists.write_text("docker.io/mirrorproject/rancher-images/mirrored-pause\n")
    catalogues = load_catalogues([f"mirror.example={lists}"])
    route = route_image(parse_image("rancher/mirrored-pause:3.6"), config, catalogues)
    assert route.status == "mirrored", route.to_dict()
    assert route.attempts[0].detail == (
        "HEAD https://mirror.example/v2/mirrorproject/rancher-images/mirrored-pause/manifests/3.6"
        "?ns=docker.io"
    )
    # the name as written is not what the mirror is asked for: listed under it, it misses
    lists.write_text("docker.io/rancher/mirrored-pause\n")
    catalogues = load_catalogues([f"mirror.example={lists}"])
    route = route_image(parse_image("rancher/mirrored-pause:3.6"), config, catalogues)
    assert route.status == "fallback", route.to_dict()


def test_go_replacement_syntax() -> None:
    assert rewrite_path("rancher/pause", [("^rancher/(.*)", "x/$1")]).path == "x/pause"
    assert rewrite_path("rancher/pause", [("^rancher/(.*)", "x/${1}y")]).path == "x/pausey"
    # Go: "$1y" names the group "1y", which does not exist: it expands to ""
    assert rewrite_path("rancher/pause", [("^rancher/(.*)", "x/$1y")]).path == "x/"
    assert rewrite_path("a/b", [("^(?P<org>[^/]+)/", "$org-$$/")]).path == "a-$/b"
    import re

    match = re.match("(a)", "a")
    assert match is not None and expand_go_template(match, "$2") == ""


def test_rewrites_go_cannot_compile_are_skipped_with_a_warning() -> None:
    result = rewrite_path("rancher/pause", [("^(?=rancher)(.*)", "x/$1"), ("^rancher/", "y/")])
    assert result.path == "y/pause"
    assert any("look-around" in w for w in result.warnings)


def test_several_matching_rewrites_say_the_order_is_not_fixed() -> None:
    result = rewrite_path("rancher/pause", [("^rancher/", "a/"), ("pause$", "b")])
    assert result.path == "a/pause"
    assert any("Go map" in w for w in result.warnings)
    assert not rewrite_path("rancher/pause", [("^rancher/", "a/"), ("^nomatch", "b")]).warnings
