"""``--catalog HOST=SOURCE`` specs, the default catalogues, and the embedded data checks."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import pytest

from analyzer.mirrors import CatalogueError, EmbeddedDataError, allows_metadata, load_catalogues
from analyzer.mirrors.embedded import daocloud_domains, verify_allows
from analyzer.reference import parse_image

NGINX = parse_image("nginx")
QUAY = parse_image("quay.io/prometheus/node-exporter")


def test_host_without_catalogue_is_assumed_to_serve_everything() -> None:
    catalogue = load_catalogues().for_host("mirror.internal:5000")
    assert catalogue.kind == "assumed" and catalogue.assumed
    assert catalogue.holds(NGINX) and catalogue.holds(QUAY)
    assert "assumed" in catalogue.source


def test_daocloud_subdomain_host_defaults_to_embedded_allows_for_its_registry_only() -> None:
    catalogues = load_catalogues()
    docker = catalogues.for_host("docker.m.daocloud.io")
    assert docker.kind == "list" and not docker.assumed
    assert docker.entries == 1320
    assert docker.holds(NGINX)
    assert not docker.holds(QUAY)  # quay.io is allowed, but not through docker.m
    assert catalogues.for_host("quay.m.daocloud.io").holds(QUAY)
    assert "871a1e722147" in docker.source and "2026-08-21" in docker.source


def test_subdomain_host_reads_a_dotted_first_component_as_another_registry() -> None:
    """crproxy parses ``/v2/<first>/<rest>`` as registry ``<first>`` whenever ``<first>``
    has a dot and is a domain name (DaoCloud/crproxy @ 6e21fb9, utils.go
    ``ParseOriginPathInfo``: ``if !isDomainName(host) || !strings.Contains(host, ".")``
    is the only branch that uses the host's default registry). containerd asks
    ``gcr.m.daocloud.io`` for ``/v2/google.com/cloudsdktool/cloud-sdk/manifests/...``, the
    host checks ``google.com/cloudsdktool/cloud-sdk`` against its list (not there) and
    refuses, although the list's ``gcr.io/**`` holds the gcr.io image."""
    gcr = load_catalogues().for_host("gcr.m.daocloud.io")
    assert not gcr.holds(parse_image("gcr.io/google.com/cloudsdktool/cloud-sdk:latest"))
    assert not gcr.holds(parse_image("gcr.io/example.org"))  # /v2/example.org/manifests/x
    assert gcr.holds(parse_image("gcr.io/kaniko-project/executor:v1.23.2"))
    assert not gcr.holds(parse_image("gcr.io/v1.2/x"))  # "v1.2" is a domain name...
    assert gcr.holds(parse_image("gcr.io/1.2/x"))  # ...but all digits is not (isDomainName)
    # the path-prefix form names the registry first: no such confusion there
    assert (
        load_catalogues()
        .for_host("m.daocloud.io")
        .holds(parse_image("gcr.io/google.com/cloudsdktool/cloud-sdk:latest"))
    )


def test_path_prefix_host_serves_every_registry_of_the_list() -> None:
    catalogue = load_catalogues().for_host("m.daocloud.io")
    assert catalogue.holds(NGINX) and catalogue.holds(QUAY)


def test_all_and_none_sources() -> None:
    catalogues = load_catalogues(["proxy.example=all", "empty.example:5000=none"])
    assert catalogues.for_host("proxy.example").holds(QUAY)
    assert catalogues.for_host("proxy.example").kind == "all"
    assert not catalogues.for_host("empty.example:5000").holds(NGINX)
    assert catalogues.for_host("EMPTY.example:5000").kind == "none"


def test_host_is_normalised_port_443_and_url_forms() -> None:
    catalogues = load_catalogues(["https://Proxy.Example:443/v2=none"])
    assert catalogues.for_host("proxy.example").kind == "none"


def test_list_file_source_describes_file_and_restricts_daocloud_hosts(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("docker.io/library/nginx\nquay.io/prometheus/*\n")
    catalogues = load_catalogues([f"docker.m.daocloud.io={listing}", f"cache.example={listing}"])
    docker = catalogues.for_host("docker.m.daocloud.io")
    assert docker.holds(NGINX) and not docker.holds(QUAY)
    cache = catalogues.for_host("cache.example")
    assert cache.holds(QUAY) and not cache.holds(parse_image("redis"))
    assert str(listing) in cache.source and "2 patterns" in cache.source


def test_bad_lines_in_a_list_file_become_warnings(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("docker.io/library/nginx\nlist)\n")
    catalogues = load_catalogues([f"cache.example={listing}"])
    assert catalogues.warnings == (f"{listing}:2: not a host/path pattern: 'list)' (line skipped)",)


def test_list_without_any_pattern_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("\nnot a list\n")
    with pytest.raises(CatalogueError, match=re.escape(f"{listing}:2:")):
        load_catalogues([f"cache.example={listing}"])


def test_missing_file_is_an_error() -> None:
    with pytest.raises(CatalogueError, match="cannot read catalogue"):
        load_catalogues(["cache.example=/nonexistent/list.txt"])


def test_bad_spec_is_an_error() -> None:
    for spec in ("cache.example", "=all", "cache.example="):
        with pytest.raises(CatalogueError, match="HOST=SOURCE"):
            load_catalogues([spec])


def test_same_host_twice_is_an_error() -> None:
    with pytest.raises(CatalogueError, match="already has a catalogue"):
        load_catalogues(["a.example=all", "A.example=none"])


def test_url_source_goes_through_the_loader() -> None:
    seen: list[str] = []

    def loader(url: str) -> str:
        seen.append(url)
        return "docker.io/library/nginx\n"

    url = "https://example.test/allows.txt"
    catalogue = load_catalogues([f"cache.example={url}"], loader=loader).for_host("cache.example")
    assert seen == [url]
    assert catalogue.holds(NGINX) and not catalogue.holds(QUAY)
    assert url in catalogue.source


def test_url_source_without_loader_is_a_clear_error() -> None:
    expected = re.escape("https://example.test/a.txt: catalogue URLs")
    with pytest.raises(CatalogueError, match=expected):
        load_catalogues(["cache.example=https://example.test/a.txt"])


def test_loader_failure_is_one_line() -> None:
    def loader(url: str) -> str:
        raise OSError("offline and no cached copy")

    with pytest.raises(CatalogueError, match="cannot fetch catalogue: offline"):
        load_catalogues(["cache.example=https://example.test/a.txt"], loader=loader)


def test_embedded_allows_sha256_matches_its_metadata() -> None:
    data = resources.files("analyzer").joinpath("data").joinpath("allows.txt").read_bytes()
    meta = json.loads(
        resources.files("analyzer").joinpath("data").joinpath("allows.json").read_text()
    )
    assert hashlib.sha256(data).hexdigest() == meta["sha256"] == allows_metadata().sha256
    assert meta["commit"] == "871a1e7221478447b426438e1fe962211a0ba6e8"
    assert meta["date"] == "2026-08-21"


def test_corrupt_embedded_allows_is_a_clear_error() -> None:
    with pytest.raises(EmbeddedDataError, match=re.escape("analyzer/data/allows.txt has sha256")):
        verify_allows(b"docker.io/library/nginx\n", allows_metadata())


def test_domains_table_skips_ollama_models() -> None:
    rows = dict(daocloud_domains())
    assert rows["docker.io"] == "docker.m.daocloud.io"
    assert rows["registry.k8s.io"] == "k8s.m.daocloud.io"
    assert "registry.ollama.ai" not in rows
    assert len(rows) == 10


def test_catalog_host_given_as_a_url_with_userinfo_keys_by_host() -> None:
    catalogues = load_catalogues(["https://user:SECRETPW@m.example:443=none"])
    assert set(catalogues.explicit) == {"m.example"}
    assert catalogues.for_host("m.example").kind == "none"


def test_embedded_catalogue_count_agrees_with_the_entry_lines_of_allows_txt() -> None:
    source = load_catalogues().for_host("docker.m.daocloud.io").source
    # coverage catalog list counts 1321 entry lines: 1320 patterns + the skipped artefact
    assert "1320 patterns (1 line skipped: docker.io/* artefact)" in source


def test_list_file_count_names_every_skipped_line(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("docker.io/library/nginx\ndocker.io/nginx\nlist)\nquay.io/a/b\n")
    source = load_catalogues([f"cache.example={listing}"]).for_host("cache.example").source
    assert "2 patterns (1 line skipped: duplicate; 1 line skipped: not a pattern)" in source


def test_an_unknown_daocloud_subdomain_serves_nothing_not_everything() -> None:
    """``l5d.m.daocloud.io`` left DaoCloud's host list in 2024-09: DaoCloud maps each host
    it serves to one registry, so a host outside that list was "assumed to serve
    everything" and the gate passed images it never serves. Another operator's unknown host
    is still assumed (nothing is known of it)."""
    catalogues = load_catalogues()
    retired = catalogues.for_host("l5d.m.daocloud.io")
    assert retired.kind == "none" and not retired.assumed
    assert not retired.holds(parse_image("cr.l5d.io/linkerd/proxy:stable-2.14.10"))
    assert "not one of DaoCloud's mirror hosts" in retired.source
    assert catalogues.for_host("l5d.m.daocloud.io:443").kind == "none"
    assert catalogues.for_host("mirror.example").assumed
    assert load_catalogues(["l5d.m.daocloud.io=all"]).for_host("l5d.m.daocloud.io").kind == "all"
