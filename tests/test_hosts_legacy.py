"""The older forms: containerd ``config.toml`` (``config_path`` and the deprecated CRI
``registry.mirrors``) and Docker's ``daemon.json`` ``registry-mirrors``."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.mirrors import load_catalogues, load_mirror_config
from analyzer.mirrors.legacy_cri import legacy_hosts, parse_containerd_config
from analyzer.mirrors.versions import parse_version
from analyzer.reference import parse_image
from analyzer.route import route_image

V2 = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n'


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_legacy_mirrors_get_pull_resolve_and_upstream_appended_cri_legacy() -> None:
    hosts, problems, _ = legacy_hosts("docker.io", ("http://127.0.0.1:5001", "mirror2.example"))
    assert not problems
    assert [h.url for h in hosts] == [
        "http://127.0.0.1:5001/v2",
        "https://mirror2.example/v2",
        "https://registry-1.docker.io/v2",
    ]
    assert all(h.capabilities == frozenset({"pull", "resolve"}) for h in hosts)
    assert hosts[-1].is_upstream and not hosts[0].is_upstream


def test_legacy_endpoint_without_scheme_on_localhost_gets_http() -> None:
    hosts, _, _ = legacy_hosts("docker.io", ("localhost:5000",))
    assert hosts[0].url == "http://localhost:5000/v2"


def test_legacy_upstream_not_appended_when_an_endpoint_is_the_registry() -> None:
    hosts, _, _ = legacy_hosts("quay.io", ("https://cache.example", "https://quay.io"))
    assert [h.url for h in hosts] == ["https://cache.example/v2", "https://quay.io/v2"]


def test_legacy_path_used_as_written_without_v2_cri_legacy_path() -> None:
    hosts, problems, _ = legacy_hosts(
        "docker.io",
        (
            "http://p.example:5020/custom",
            "http://p.example:5020/custom/v2",
            "https://slash.example/",
        ),
    )
    assert [h.url for h in hosts[:3]] == [
        "http://p.example:5020/custom",
        "http://p.example:5020/custom/v2",
        "https://slash.example",
    ]  # path.Join("/", "/", repo): no /v2 after a lone slash
    assert all(h.override_path for h in hosts[:3])
    # the same warning as a hosts.toml host with override_path and no /v2, once per host
    assert len(problems) == 2
    assert "legacy CRI endpoint" in problems[0] and "outside the Registry API" in problems[0]
    assert problems[1].startswith("https://slash.example/: ")


def test_legacy_wildcard_applies_to_registries_without_their_own_entry_cri_legacy_star(
    tmp_path: Path,
) -> None:
    config_file = write(
        tmp_path / "config.toml",
        V2
        + (
            '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."*"]\n'
            '  endpoint = ["https://star.example"]\n'
            '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
            '  endpoint = ["https://hub.example"]\n'
        ),
    )
    config = load_mirror_config(containerd_config=config_file)
    assert config.hosts_for("registry.example.test").hosts[0].url == "https://star.example/v2"
    assert config.hosts_for("docker.io").hosts[0].url == "https://hub.example/v2"
    assert config.hosts_for("docker.io").origin == "containerd-config"
    assert any("deprecated" in w for w in config.warnings)


def test_config_path_read_from_v2_and_v3_plugin_sections(tmp_path: Path) -> None:
    hosts_root = tmp_path / "certs.d" / "docker.io"
    hosts_root.mkdir(parents=True)
    (hosts_root / "hosts.toml").write_text('[host."https://hub.example"]\n')
    for header in (
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n',
        'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n',
    ):
        config_file = write(
            tmp_path / "config.toml",
            header + f'config_path = "/nonexistent:{tmp_path / "certs.d"}"\n',
        )
        config = load_mirror_config(containerd_config=config_file)
        hosts = config.hosts_for("docker.io")
        assert hosts.hosts[0].url == "https://hub.example/v2"
        assert hosts.origin == "containerd-config"


def test_mirrors_and_config_path_together_is_an_error_cri_both() -> None:
    parsed = parse_containerd_config(
        V2 + 'config_path = "/etc/containerd/certs.d"\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.mirrors.'
        '"docker.io"]\n  endpoint = ["https://m.example"]\n',
        "config.toml",
    )
    (error,) = parsed.errors
    assert "cannot be set when `config_path` is provided" in error.message
    assert error.line == 4
    assert parsed.mirrors == {}


def test_malformed_containerd_config_is_an_error_with_line(tmp_path: Path) -> None:
    config_file = write(tmp_path / "config.toml", "version = 2\n[plugins\n")
    config = load_mirror_config(containerd_config=config_file)
    assert config.errors[0].file == config_file and config.errors[0].line == 2


def test_unreadable_containerd_config_is_an_error_not_a_raise(tmp_path: Path) -> None:
    config = load_mirror_config(containerd_config=str(tmp_path / "missing.toml"))
    assert "cannot read" in config.errors[0].message


def test_daemon_json_mirrors_apply_to_docker_hub_only(tmp_path: Path) -> None:
    daemon = write(
        tmp_path / "daemon.json", '{\n  "registry-mirrors": ["https://hub-mirror.example"]\n}\n'
    )
    config = load_mirror_config(docker_daemon=daemon)
    hub = config.hosts_for("docker.io")
    assert hub.origin == "docker-daemon"
    assert [h.url for h in hub.hosts] == [
        "https://hub-mirror.example/v2",
        "https://registry-1.docker.io/v2",
    ]
    assert config.hosts_for("quay.io").origin == "none"


def test_daemon_json_bad_mirror_is_an_error_with_line(tmp_path: Path) -> None:
    daemon = write(
        tmp_path / "daemon.json", '{\n  "registry-mirrors": [\n    "ftp://x.example"\n  ]\n}\n'
    )
    config = load_mirror_config(docker_daemon=daemon)
    (error,) = config.errors
    assert error.line == 3 and "http" in error.message


def test_daemon_json_syntax_error_has_line(tmp_path: Path) -> None:
    daemon = write(tmp_path / "daemon.json", '{\n  "registry-mirrors": [,]\n}\n')
    config = load_mirror_config(docker_daemon=daemon)
    assert config.errors[0].line == 2


def test_config_path_root_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    config_file = write(tmp_path / "config.toml", V2 + f'config_path = "{tmp_path / "missing"}"\n')
    (error,) = load_mirror_config(containerd_config=config_file).errors
    assert error.file == str(tmp_path / "missing")
    assert "does not exist" in error.message and f"{config_file}:3" in error.message


def test_config_path_list_with_one_missing_root_only_warns(tmp_path: Path) -> None:
    (tmp_path / "certs.d" / "docker.io").mkdir(parents=True)
    config_file = write(
        tmp_path / "config.toml",
        V2 + f'config_path = "{tmp_path / "certs.d"}:{tmp_path / "absent"}"\n',
    )
    config = load_mirror_config(containerd_config=config_file)
    assert not config.errors
    assert any(
        w.startswith(f"{tmp_path / 'absent'}: hosts directory does not exist")
        for w in config.warnings
    )


def test_legacy_endpoint_userinfo_is_dropped_and_never_printed() -> None:
    hosts, problems, fatal = legacy_hosts(
        "docker.io",
        ("https://user:SECRETPW@m.example", "user:SECRETPW@localhost:5000/custom"),
    )
    assert [h.url for h in hosts] == [
        "https://m.example/v2",
        "http://localhost:5000/custom",
        "https://registry-1.docker.io/v2",
    ]
    assert any(
        p.startswith("legacy CRI endpoint https://***@m.example has a user name") for p in problems
    )
    assert fatal is None
    assert not any("SECRETPW" in p for p in problems)
    _, _, fatal = legacy_hosts("docker.io", ("https://u:SECRETPW@bad.example:x",))
    assert fatal is not None and "cannot parse endpoint 'https://***@bad.example:x'" in fatal
    assert "SECRETPW" not in fatal


def test_daemon_json_mirror_with_userinfo_is_refused_without_printing_it(tmp_path: Path) -> None:
    daemon = write(
        tmp_path / "daemon.json",
        '{"registry-mirrors": ["https://user:SECRETPW@hub-mirror.example"]}',
    )
    config = load_mirror_config(docker_daemon=daemon)
    (error,) = config.errors
    assert "username/password not allowed" in error.message
    assert "https://***@hub-mirror.example" in error.message
    assert "SECRETPW" not in str(error)


def test_config_path_with_several_roots_warns_about_the_2x_transfer_service_bug(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    (second / "docker.io").mkdir(parents=True)
    (second / "docker.io" / "hosts.toml").write_text('[host."https://hub.example"]\n')
    first.mkdir()
    config_file = write(tmp_path / "config.toml", V2 + f'config_path = "{first}:{second}"\n')
    config = load_mirror_config(containerd_config=config_file)
    (warning,) = [w for w in config.warnings if "12808" in w]
    assert warning.startswith(f"{config_file}:3: config_path lists 2 directories")
    assert "reads it as ONE directory" in warning and "each directory in order" in warning
    # the analysis still follows the documented behaviour
    assert config.hosts_for("docker.io").hosts[0].url == "https://hub.example/v2"
    single = write(tmp_path / "single.toml", V2 + f'config_path = "{second}"\n')
    assert not [w for w in load_mirror_config(containerd_config=single).warnings if "12808" in w]


_NO_VERSION_MIRRORS = (
    '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n'
    '  endpoint = ["https://m.example"]\n'
)


@pytest.mark.parametrize(
    ("text", "version", "mirrored", "error"),
    [
        # no `version = 2`: containerd 1.x keys sections by plugin ID and skips this one
        (_NO_VERSION_MIRRORS, "1.6", False, "is not read by containerd 1.6"),
        ("version = 1\n" + _NO_VERSION_MIRRORS, "1.7", False, "is not read by containerd 1.7"),
        (_NO_VERSION_MIRRORS.replace('"io.containerd.grpc.v1.cri"', "cri"), "1.6", True, None),
        ("version = 2\n" + _NO_VERSION_MIRRORS, "1.6", True, None),
        # version 2 with a section named by ID: ValidateV2 stops containerd from starting
        (
            "version = 2\n" + _NO_VERSION_MIRRORS.replace('"io.containerd.grpc.v1.cri"', "cri"),
            "1.6",
            False,
            'invalid plugin key URI "cri"',
        ),
        # containerd 2.x migrates old files: not modelled, every section is read
        (_NO_VERSION_MIRRORS, "2.1", True, None),
    ],
    ids=["no-version", "version-1", "no-version-by-id", "version-2", "version-2-by-id", "2.x"],
)
def test_the_cri_section_read_follows_the_config_version(
    tmp_path: Path, text: str, version: str, mirrored: bool, error: str | None
) -> None:
    """services/server/config/config.go (v1.6.20) ``Decode`` and ``ValidateV2``; proven
    against the real 1.6.20 in tests/integration/test_containerd_config_version.py."""
    config_file = write(tmp_path / "config.toml", text)
    config = load_mirror_config(
        containerd_config=config_file, node_default=None, containerd_version=version
    )
    route = route_image(parse_image("nginx:1"), config, load_catalogues([]))
    assert (route.status == "mirrored") is mirrored
    messages = [e.message for e in config.errors]
    assert any(error in m for m in messages) if error else not messages


def test_tls_configs_and_config_path_together_is_an_error() -> None:
    """ValidatePluginConfig (pkg/cri/config/config.go, v1.6.20): any configs.<host>.tls table
    with config_path stops the CRI plugin (tests/integration/test_containerd_config_version.py).
    containerd 2.x's ValidateImageConfig (internal/cri/config/config.go v2.0.0) has no such
    rule: there the same file is fine."""
    text = (
        V2 + 'config_path = "/etc/containerd/certs.d"\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."quay.io".auth]\n'
        '  username = "u"\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."quay.io".tls]\n'
    )
    assert not parse_containerd_config(text, "config.toml", parse_version("2.0")).errors
    parsed = parse_containerd_config(text, "config.toml", parse_version("1.6"))
    (error,) = parsed.errors
    assert "`configs.tls` cannot be set when `config_path` is provided" in error.message
    assert error.line == 6
    auth_only = parse_containerd_config(
        V2 + 'config_path = "/etc/containerd/certs.d"\n'
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."quay.io".auth]\n'
        '  username = "u"\n',
        "config.toml",
        parse_version("1.6"),
    )
    assert not auth_only.errors


_CRI = '[plugins."io.containerd.grpc.v1.cri"'


@pytest.mark.parametrize(
    ("imported", "mirrored"),
    [
        # any CRI setting in an import replaces the main file's CRI section whole
        (f'version = 2\n{_CRI}]\n  sandbox_image = "pause:3"\n', False),
        # another plugin's section leaves the CRI section alone
        (
            'version = 2\n[plugins."io.containerd.gc.v1.scheduler"]\n  pause_threshold = 0.02\n',
            True,
        ),
    ],
    ids=["cri-section", "other-plugin"],
)
def test_imports_replace_plugin_sections_whole(
    tmp_path: Path, imported: str, mirrored: bool
) -> None:
    """mergeConfig (services/server/config/config.go, v1.6.20); proven against the real 1.6.20
    in tests/integration/test_containerd_config_version.py."""
    (tmp_path / "conf.d").mkdir()
    write(tmp_path / "conf.d" / "x.toml", imported)
    main = write(
        tmp_path / "config.toml",
        'version = 2\nimports = ["conf.d/x.toml"]\n'
        f'{_CRI}.registry.mirrors."docker.io"]\n  endpoint = ["https://m.example"]\n',
    )
    config = load_mirror_config(containerd_config=main, node_default=None, containerd_version="1.6")
    route = route_image(parse_image("nginx:1"), config, load_catalogues([]))
    assert (route.status == "mirrored") is mirrored
    assert any("replaced whole" in w for w in config.warnings) is not mirrored
    # containerd 2.x's mergeConfig (v2.0.0) no longer replaces plugin sections: mergo merges
    # them key by key, so the main file's registry settings stay
    v2 = load_mirror_config(containerd_config=main, node_default=None, containerd_version="2.0")
    assert route_image(parse_image("nginx:1"), v2, load_catalogues([])).status == "mirrored"
    assert not any("replaced whole" in w for w in v2.warnings)


def test_imports_under_containerd_2_merge_tables_and_warn_on_arrays(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    write(
        tmp_path / "conf.d" / "x.toml",
        f'version = 2\n{_CRI}.registry.mirrors."docker.io"]\n  endpoint = ["https://n.example"]\n'
        f'{_CRI}.registry.mirrors."quay.io"]\n  endpoint = ["https://q.example"]\n',
    )
    main = write(
        tmp_path / "config.toml",
        'version = 2\nimports = ["conf.d/x.toml"]\n'
        f'{_CRI}.registry.mirrors."docker.io"]\n  endpoint = ["https://m.example"]\n',
    )
    config = load_mirror_config(containerd_config=main, node_default=None, containerd_version="2.0")
    hosts = {
        name: [h.host for h in config.hosts_for(name).hosts] for name in ("docker.io", "quay.io")
    }
    assert hosts["docker.io"][0] == "n.example" and hosts["quay.io"][0] == "q.example"
    assert any("may join the two arrays" in w for w in config.warnings)


def test_imports_chain_cycle_and_missing_file(tmp_path: Path) -> None:
    """Imports are loaded breadth-first, each once (a cycle ends); a missing one stops
    containerd; the registry section of an imported file is used, with its own file name."""
    (tmp_path / "d").mkdir()
    write(tmp_path / "d" / "a.toml", 'version = 2\nimports = ["b.toml", "../config.toml"]\n')
    write(
        tmp_path / "d" / "b.toml",
        f'{_CRI}.registry.mirrors."docker.io"]\n  endpoint = ["https://m.example"]\n',
    )
    main = write(tmp_path / "config.toml", 'version = 2\nimports = ["d/a.toml"]\n')
    config = load_mirror_config(containerd_config=main, node_default=None, containerd_version="1.6")
    route = route_image(parse_image("nginx:1"), config, load_catalogues([]))
    assert route.status == "mirrored" and not config.errors
    assert route.hosts_file == str(tmp_path / "d" / "b.toml")
    missing = write(tmp_path / "m.toml", 'version = 2\nimports = ["nowhere.toml"]\n')
    broken = load_mirror_config(
        containerd_config=missing, node_default=None, containerd_version="1.6"
    )
    assert any("containerd does not start" in e.message for e in broken.errors)


@pytest.mark.parametrize(
    ("text", "version", "why"),
    [
        # pkg/cri/config/config.go ValidatePluginConfig (1.6.20; 2.x ValidateImageConfig)
        (
            V2 + 'config_path = "/etc/containerd/certs.d"\n'
            f'{_CRI}.registry.mirrors."docker.io"]\n  endpoint = ["https://m.example"]\n',
            "2.0",
            "its CRI plugin does not load: `mirrors` and `config_path` are both set",
        ),
        (
            V2 + 'config_path = "/etc/containerd/certs.d"\n'
            f'{_CRI}.registry.configs."quay.io".tls]\n  insecure_skip_verify = true\n',
            "1.6",
            "its CRI plugin does not load: `configs.quay.io.tls` and `config_path`",
        ),
        # services/server/config/config.go ValidateV2 (1.6.20): containerd does not start
        (
            'version = 2\n[plugins.cri.registry.mirrors."docker.io"]\n'
            '  endpoint = ["https://m.example"]\n',
            "1.6",
            'config.toml: invalid plugin key URI "cri"',
        ),
        # LoadConfig: an import that cannot be loaded stops containerd
        ('version = 2\nimports = ["nowhere.toml"]\n', "1.6", "imported"),
    ],
    ids=["mirrors-and-config-path", "tls-and-config-path", "short-plugin-key", "missing-import"],
)
def test_a_node_whose_containerd_does_not_start_blocks_every_image(
    tmp_path: Path, text: str, version: str, why: str
) -> None:
    """Every image is blocked, with the reason, whatever the hosts directory or mirrors say
    (they were read as if the file worked: "mirrored" on a node that pulls nothing)."""
    hosts = tmp_path / "certs.d" / "docker.io"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text('[host."https://m.example"]\n')
    main = write(tmp_path / "config.toml", text)
    config = load_mirror_config(
        containerd_config=main,
        hosts_dirs=[str(tmp_path / "certs.d")],
        node_default=None,
        containerd_version=version,
    )
    assert config.errors
    catalogues = load_catalogues(["m.example=all"])
    for image in ("nginx:1", "quay.io/a/b:1"):
        route = route_image(parse_image(image), config, catalogues)
        assert route.status == "blocked", (image, route)
        assert why in (route.reason or ""), route.reason
