"""Hosts directory lookup (containerd ``HostDirFromRoot`` / CRI ``hostDirFromRoots``) and
``load_mirror_config`` with hosts roots."""

from __future__ import annotations

from pathlib import Path

from tls_material import make_pem, write_files

from analyzer.mirrors import load_mirror_config
from analyzer.mirrors.hosts_dir import candidates, port_directory, registry_of_directory

PEM = make_pem()


def write(root: Path, name: str, text: str | None) -> Path:
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    if text is not None:
        (directory / "hosts.toml").write_text(text)
    return directory


def mirror(url: str) -> str:
    return f'[host."{url}"]\n  capabilities = ["pull", "resolve"]\n'


def first_url(config_root: list[str], registry: str) -> str:
    config = load_mirror_config(hosts_dirs=config_root)
    return config.hosts_for(registry).hosts[0].url


def test_candidate_names_port_form_first_then_verbatim_then_default() -> None:
    assert candidates("myreg.io:5000") == ("myreg.io_5000_", "myreg.io:5000", "_default")
    assert candidates("docker.io") == ("docker.io", "_default")
    assert port_directory("[::1]:5000") == "[::1]_5000_"
    assert registry_of_directory("myreg.io_5000_") == "myreg.io:5000"


def test_port_underscore_dir_beats_colon_dir_s18(tmp_path: Path) -> None:
    write(tmp_path, "127.0.0.1_5000_", mirror("http://127.0.0.1:5001"))
    write(tmp_path, "127.0.0.1:5000", mirror("http://127.0.0.1:5002"))
    assert first_url([str(tmp_path)], "127.0.0.1:5000") == "http://127.0.0.1:5001/v2"


def test_specific_dir_beats_default_without_merging_s9c(tmp_path: Path) -> None:
    write(tmp_path, "_default", mirror("https://mirror1.example"))
    write(tmp_path, "docker.io", mirror("https://mirror2.example"))
    hosts = load_mirror_config(hosts_dirs=[str(tmp_path)]).hosts_for("docker.io")
    assert [h.url for h in hosts.hosts] == [
        "https://mirror2.example/v2",
        "https://registry-1.docker.io/v2",
    ]
    assert hosts.file == str(tmp_path / "docker.io" / "hosts.toml")


def test_default_dir_serves_other_registries_with_their_own_upstream_s9a_s9b(
    tmp_path: Path,
) -> None:
    write(tmp_path, "_default", mirror("https://mirror1.example"))
    hosts = load_mirror_config(hosts_dirs=[str(tmp_path)]).hosts_for("registry.example.test")
    assert [h.url for h in hosts.hosts] == [
        "https://mirror1.example/v2",
        "https://registry.example.test/v2",
    ]
    assert hosts.hosts[-1].is_upstream


def test_port_443_is_not_stripped(tmp_path: Path) -> None:
    write(tmp_path, "reg.example.com", mirror("https://m.example"))
    hosts = load_mirror_config(hosts_dirs=[str(tmp_path)]).hosts_for("reg.example.com:443")
    assert hosts.origin == "none"


def test_roots_in_order_first_match_wins_default_in_earlier_root_beats_later(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write(first, "_default", mirror("https://catch-all.example"))
    write(second, "docker.io", mirror("https://hub.example"))
    assert first_url([f"{first}:{second}"], "docker.io") == "https://catch-all.example/v2"
    # the other order: the specific directory of the first root wins
    assert first_url([str(second), str(first)], "docker.io") == "https://hub.example/v2"


def test_dir_without_hosts_toml_means_upstream_only(tmp_path: Path) -> None:
    write(tmp_path, "docker.io", None)
    write(tmp_path, "_default", mirror("https://catch-all.example"))
    hosts = load_mirror_config(hosts_dirs=[str(tmp_path)]).hosts_for("docker.io")
    assert [h.url for h in hosts.hosts] == ["https://registry-1.docker.io/v2"]
    assert any("no hosts.toml" in w for w in hosts.warnings)


def test_no_directory_means_default_host_origin_none(tmp_path: Path) -> None:
    write(tmp_path, "quay.io", mirror("https://m.example"))
    hosts = load_mirror_config(hosts_dirs=[str(tmp_path)]).hosts_for("docker.io")
    assert hosts.origin == "none"
    assert [h.url for h in hosts.hosts] == ["https://registry-1.docker.io/v2"]


def test_config_errors_carry_file_and_line_even_for_unused_registries(tmp_path: Path) -> None:
    write(tmp_path, "quay.io", '[host."https://m.example"]\ncapabilities = ["mirror"]\n')
    config = load_mirror_config(hosts_dirs=[str(tmp_path)])
    (error,) = config.errors
    assert error.file == str(tmp_path / "quay.io" / "hosts.toml")
    assert error.line == 2
    assert [h.url for h in config.hosts_for("quay.io").hosts] == ["https://quay.io/v2"]


def test_missing_root_given_explicitly_is_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    config = load_mirror_config(hosts_dirs=[missing])
    (error,) = config.errors
    assert error.file == missing and "does not exist" in error.message
    assert config.hosts_for("docker.io").origin == "none"


def test_empty_root_path_is_an_error_not_silently_no_roots() -> None:
    config = load_mirror_config(hosts_dirs=[""])
    (error,) = config.errors
    assert "does not exist" in error.message and "empty path" in error.message


def test_registry_directory_given_as_root_is_an_error(tmp_path: Path) -> None:
    registry_dir = write(tmp_path, "docker.io", mirror("https://hub.example"))
    config = load_mirror_config(hosts_dirs=[str(registry_dir)])
    (error,) = config.errors
    assert error.file == str(registry_dir)
    assert "has a hosts.toml of its own: it is a registry directory; give its parent" in (
        error.message
    )
    # the parent is the right root
    assert not load_mirror_config(hosts_dirs=[str(tmp_path)]).errors


def test_file_given_as_root_is_an_error(tmp_path: Path) -> None:
    toml = write(tmp_path, "docker.io", mirror("https://hub.example")) / "hosts.toml"
    (error,) = load_mirror_config(hosts_dirs=[str(toml)]).errors
    assert error.file == str(toml) and "is not a directory" in error.message


def test_root_without_registry_directories_is_a_warning(tmp_path: Path) -> None:
    config = load_mirror_config(hosts_dirs=[str(tmp_path)])
    assert not config.errors
    assert any("has no registry directory" in w for w in config.warnings)


def test_missing_node_default_is_not_an_error(tmp_path: Path) -> None:
    config = load_mirror_config(node_default=str(tmp_path / "absent"))
    assert not config.errors and config.description.startswith("embedded")


def test_configured_lists_every_dir_and_marks_shadowed_ones(tmp_path: Path) -> None:
    write(tmp_path, "127.0.0.1_5000_", mirror("http://127.0.0.1:5001"))
    write(tmp_path, "127.0.0.1:5000", mirror("http://127.0.0.1:5002"))
    write(tmp_path, "_default", mirror("https://catch-all.example"))
    configured = {rh.file: rh for rh in load_mirror_config(hosts_dirs=[str(tmp_path)]).configured()}
    shadowed = configured[str(tmp_path / "127.0.0.1:5000" / "hosts.toml")]
    assert any("never used" in w for w in shadowed.warnings)
    default = configured[str(tmp_path / "_default" / "hosts.toml")]
    assert default.registry == "_default"
    assert default.hosts[-1].url == "https://<registry>/v2"


def test_node_default_used_when_no_option_given(tmp_path: Path) -> None:
    write(tmp_path, "docker.io", mirror("https://node-mirror.example"))
    config = load_mirror_config(node_default=str(tmp_path))
    assert config.hosts_for("docker.io").hosts[0].url == "https://node-mirror.example/v2"
    assert str(tmp_path) in config.description


def test_embedded_daocloud_defaults_when_node_has_no_hosts_dir(tmp_path: Path) -> None:
    config = load_mirror_config(node_default=str(tmp_path / "absent"))
    assert config.description.startswith("embedded DaoCloud defaults (no ")
    hosts = config.hosts_for("docker.io")
    assert hosts.origin == "embedded"
    assert [h.url for h in hosts.hosts] == [
        "https://docker.m.daocloud.io/v2",
        "https://registry-1.docker.io/v2",
    ]
    assert hosts.hosts[0].capabilities == frozenset({"pull", "resolve"})
    assert config.hosts_for("registry.k8s.io").hosts[0].host == "k8s.m.daocloud.io"
    # Ollama models are not container images: no mirror for registry.ollama.ai
    assert config.hosts_for("registry.ollama.ai").origin == "none"
    assert {rh.registry for rh in config.configured()} >= {"docker.io", "quay.io", "nvcr.io"}


def test_missing_ca_file_is_an_error_with_file_line_and_path(tmp_path: Path) -> None:
    directory = write(
        tmp_path,
        "docker.io",
        '[host."https://m.example"]\n  capabilities = ["pull", "resolve"]\n  ca = "certs/ca.crt"\n',
    )
    config = load_mirror_config(hosts_dirs=[str(tmp_path)])
    (error,) = config.errors
    assert (error.file, error.line) == (str(directory / "hosts.toml"), 3)
    assert f"unable to read CA cert {directory / 'certs' / 'ca.crt'}" in error.message
    hosts = config.hosts_for("docker.io")
    assert hosts.fatal is not None and "certs/ca.crt" in hosts.fatal
    # relative to the hosts.toml directory: once a real certificate is there, all is well
    write_files(directory / "certs", {"ca.crt": PEM.ca})
    fixed = load_mirror_config(hosts_dirs=[str(tmp_path)])
    assert not fixed.errors and fixed.hosts_for("docker.io").fatal is None


def test_missing_client_pair_file_at_root_level_is_fatal_too(tmp_path: Path) -> None:
    directory = write(
        tmp_path,
        "quay.io",
        'client = [["c.cert", "c.key"], ["d.pem", ""]]\n[host."https://m.example"]\n',
    )
    write_files(directory, {"c.cert": PEM.cert, "d.pem": PEM.cert + PEM.key})
    (error,) = load_mirror_config(hosts_dirs=[str(tmp_path)]).errors
    assert error.line == 1 and error.message.startswith(
        f"root: client: unable to read CERT file {directory / 'c.key'}"
    )


def test_missing_ca_in_a_rejected_file_is_not_fatal(tmp_path: Path) -> None:
    # containerd ignores a rejected file (certs.d fallback): it never reads the ca
    write(
        tmp_path,
        "docker.io",
        '[host."https://m.example"]\n  capabilities = ["mirror"]\n  ca = "/nonexistent/ca.crt"\n',
    )
    config = load_mirror_config(hosts_dirs=[str(tmp_path)])
    assert config.hosts_for("docker.io").fatal is None
    assert [e.line for e in config.errors] == [2]


# -- a scan reads only the directories its registries may use ---------------------------------


def test_only_the_candidates_of_the_registries_in_use_are_read(tmp_path: Path) -> None:
    write(tmp_path, "quay.io", '[host."https://m.example"]\ncapabilities = ["mirror"]\n')
    write(tmp_path, "ghcr.io", mirror("https://ghcr-cache.example"))
    write(tmp_path, "myreg_5000_", mirror("https://port-cache.example"))
    write(tmp_path, "_default", mirror("https://any-cache.example"))
    config = load_mirror_config(hosts_dirs=[str(tmp_path)], registries=["myreg:5000"])
    assert config.errors == ()  # quay.io's broken file is not read
    assert "(2 directories read, 2 others not read: no image uses them, coverage doctor" in (
        config.description
    )
    port_hosts = config.hosts_for("myreg:5000").hosts
    assert port_hosts[0].url == "https://port-cache.example/v2"
    assert sorted(rh.registry for rh in config.configured()) == ["_default", "myreg:5000"]
    # a lookup outside them still follows containerd's rules: the directory is read then
    assert config.hosts_for("ghcr.io").hosts[0].url == "https://ghcr-cache.example/v2"
    assert [h.url for h in config.hosts_for("quay.io").hosts] == ["https://quay.io/v2"]
    # everything, as coverage doctor and coverage mirrors read it
    everything = load_mirror_config(hosts_dirs=[str(tmp_path)])
    assert len(everything.errors) == 1
    assert "(4 directories)" in everything.description


def test_a_candidate_that_cannot_be_used_still_blocks_the_registry(tmp_path: Path) -> None:
    write(tmp_path, "_default", mirror("https://any-cache.example"))
    (tmp_path / "quay.io").write_text("a file named like a registry directory\n")
    (tmp_path / "ghcr.io" / "hosts.toml").mkdir(parents=True)  # a directory, not a file
    write(tmp_path, "docker.io", '[host."https://m.example"]\ncapabilities = ["mirror"]\n')
    config = load_mirror_config(hosts_dirs=[str(tmp_path)], registries=["quay.io", "ghcr.io"])
    assert config.hosts_for("quay.io").fatal is not None
    assert config.hosts_for("ghcr.io").fatal is not None
    assert all("docker.io" not in e.file for e in config.errors)  # not a candidate: not read
    assert "1 other not read: no image uses it" in config.description
