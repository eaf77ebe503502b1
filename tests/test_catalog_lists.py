"""DaoCloud list formats: allows.txt globs and every era of mirror.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.mirrors import embedded_allows, parse_allows, parse_list, parse_mirror_txt
from analyzer.mirrors.errors import CatalogueError
from analyzer.mirrors.patterns import PatternSet
from analyzer.reference import parse_image

DATA = Path(__file__).parent / "data" / "mirrors"


def holds(text: str, image: str, *, fmt: str = "allows") -> bool:
    parsed = parse_allows(text, "t") if fmt == "allows" else parse_mirror_txt(text, "t")
    return parsed.holds(parse_image(image))


def test_exact_name_matches_only_that_repository() -> None:
    text = "quay.io/ceph/ceph\n"
    assert holds(text, "quay.io/ceph/ceph:v18")
    assert not holds(text, "quay.io/ceph/ceph-csi")
    assert not holds(text, "quay.io/ceph/ceph/sub")


def test_one_star_is_exactly_one_more_segment() -> None:
    text = "quay.io/prometheus/*\n"
    assert holds(text, "quay.io/prometheus/node-exporter")
    assert not holds(text, "quay.io/prometheus/a/b")


def test_double_star_is_one_or_more_segments() -> None:
    text = "ghcr.io/kube-vip/**\nregistry.k8s.io/**\n"
    assert holds(text, "ghcr.io/kube-vip/kube-vip")
    assert holds(text, "ghcr.io/kube-vip/a/b/c")
    assert holds(text, "registry.k8s.io/pause")
    assert holds(text, "registry.k8s.io/sig-storage/csi-provisioner")


def test_a_pattern_never_matches_its_own_prefix() -> None:
    parsed = parse_allows("quay.io/prometheus/*\nghcr.io/kube-vip/**\n", "t")
    assert not parsed.holds(parse_image("quay.io/prometheus"))
    assert not parsed.holds(parse_image("ghcr.io/kube-vip"))


def test_docker_hub_library_and_short_names_are_the_same() -> None:
    assert holds("docker.io/library/nginx\n", "nginx:1.25")
    assert holds("docker.io/library/nginx\n", "docker.io/nginx")
    assert holds("docker.io/nginx\n", "docker.io/library/nginx", fmt="mirror")
    assert holds("index.docker.io/library/nginx\n", "nginx", fmt="mirror")
    assert PatternSet.from_lines(["docker.io/nginx"], source="t").matches(parse_image("nginx"))


def test_allows_lines_are_matched_as_written_on_docker_hub() -> None:
    """The server matches ``<host>/<name>`` with wzshiming/hostmatcher v0.0.3 after crproxy
    has turned ``docker.io`` + ``nginx`` into ``library/nginx`` (DaoCloud/crproxy @ 6e21fb9,
    cmd/crproxy/main.go:185-193 ``WithPathInfoModifyFunc``, then crproxy.go:557-566 and
    main.go:265-270 ``Match(info.Host + "/" + info.Name)``). ``pathExactMatch`` compares the
    path as written (pathmatcher.go), and a host matches itself and its subdomains only
    (hostmatcher.go ``domainMatch``). So ``docker.io/nginx`` never lets ``nginx`` through
    (DaoCloud's upload job adds that short form beside each ``docker.io/library/x`` line for
    that reason: .github/workflows/update-allows-list.yml), and ``index.docker.io`` is a host
    of its own: ``docker.io`` is not one of its subdomains."""
    assert not holds("docker.io/nginx\n", "nginx")
    assert not holds("docker.io/nginx\n", "docker.io/library/nginx:1.25")
    assert not holds("index.docker.io/library/nginx\n", "nginx")
    assert not holds("index.docker.io/library/*\n", "redis")
    assert holds("docker.io/library/nginx\n", "nginx")
    assert parse_allows("docker.io/nginx\n", "t").keys == ("docker.io/nginx",)
    # registry-1.docker.io is a subdomain of docker.io: "registry-1.docker.io/nginx" (no
    # library/ added for that host) matches the short line
    assert holds("docker.io/nginx\n", "registry-1.docker.io/nginx")


def test_docker_io_star_is_a_formatter_artefact_not_all_of_docker_hub() -> None:
    parsed = parse_allows("docker.io/*\ndocker.io/library/nginx\n", "allows.txt")
    assert not parsed.holds(parse_image("redis"))
    assert not parsed.holds(parse_image("someone/thing"))
    assert parsed.holds(parse_image("nginx"))
    assert parsed.notes and "allows.txt:1" in parsed.notes[0]


def test_hosts_match_as_hostmatcher_matches_them() -> None:
    """wzshiming/hostmatcher v0.0.3 (the matcher DaoCloud/crproxy uses): a line's host
    ``h`` becomes ``domainMatch{host: ".h"}`` and matches a name that is ``h`` or ends in
    ``.h`` (hostmatcher.go ``newHostMatcher``/``domainMatch.match``), whatever ``h`` is, a
    single label too; a host that ``net.ParseIP`` reads is an ``ipMatch``, compared to IP
    requests only (matcher.go ``matchHostAndPath``)."""
    assert holds("localhost/**\n", "a.localhost/x")
    assert holds("localhost:5000/**\n", "foo.localhost:5000/x")
    assert not holds("localhost:5000/**\n", "foo.localhost:5001/x")
    assert holds("localhost/**\n", "foo.localhost:5001/x")  # a line without a port: any
    # an IP address has no parent domains, and an IP line never matches a name
    assert not holds("0.0.1/**\n", "127.0.0.1/x")
    assert not holds("0.0.1/**\n", "127.0.0.1:5000/x")
    assert not holds("10.0.0.1/**\n", "x.10.0.0.1/x")
    assert holds("0.1/**\n", "x.10.0.0.1/x")  # "0.1" is no IP: a domain suffix
    assert holds("127.0.0.1/**\n", "127.0.0.1:5000/x")
    assert holds("127.0.0.1:5000/**\n", "127.0.0.1:5000/x")


def test_lines_the_upload_job_greps_out_hold_nothing() -> None:
    """DaoCloud's upload job sends ``grep -v 'docker.io/\\*'`` of allows.txt to the server
    (DaoCloud/public-image-mirror @ 871a1e72, .github/workflows/update-allows-list.yml,
    "Update list"): a regular expression, unanchored, "." any character. It drops
    ``docker.io/**`` and any line with ``docker?io/*`` in it, not only ``docker.io/*``."""
    text = "docker.io/**\nghcr.io/acme/docker-io/*\nquay.io/acme/dockerxio/**\nquay.io/a/*\n"
    parsed = parse_allows(text, "allows.txt")
    assert not parsed.holds(parse_image("redis"))
    assert not parsed.holds(parse_image("someone/thing"))
    assert not parsed.holds(parse_image("ghcr.io/acme/docker-io/x"))
    assert not parsed.holds(parse_image("quay.io/acme/dockerxio/x/y"))
    assert parsed.holds(parse_image("quay.io/a/b"))
    assert parsed.keys == ("quay.io/a/*",)
    assert [note.split(":")[1] for note in parsed.notes] == ["1", "2", "3"]
    # the general route (a CRLF list) drops the same lines
    assert parse_allows(text.replace("\n", "\r\n"), "allows.txt").keys == ("quay.io/a/*",)
    # a user's own patterns (--ignore) are not uploaded anywhere
    assert PatternSet.from_lines(["docker.io/**"], source="t").matches(parse_image("redis"))


def test_host_is_case_insensitive_and_matches_subdomains() -> None:
    text = "gcr.io/**\nDocker.IO/library/nginx\n"
    assert holds(text, "us.gcr.io/k8s-artifacts-prod/pause")
    assert holds(text, "k8s.gcr.io/pause")
    assert holds(text, "GCR.IO/x/y")
    assert holds(text, "nginx")
    assert not holds(text, "notgcr.io/x/y")
    assert not holds(text, "quay.io/x/y")


def test_path_part_is_case_sensitive_through_normalisation() -> None:
    parsed = parse_allows("quay.io/Upper/x\n", "allows.txt")
    assert parsed.problems and "allows.txt:1" in parsed.problems[0]


def test_junk_lines_are_skipped_with_file_and_line_and_the_rest_counts() -> None:
    parsed = parse_allows("quay.io/a/b\nlist)\n\n  quay.io/c/*  \n", "allows.txt")
    assert [str(p) for p in parsed.patterns] == ["quay.io/a/b", "quay.io/c/*"]
    assert parsed.problems == ("allows.txt:2: not a host/path pattern: 'list)'",)


def test_allows_has_no_tags() -> None:
    parsed = parse_allows("quay.io/a/b:latest\n", "allows.txt")
    assert not parsed.patterns and "no tags" in parsed.problems[0]


def test_embedded_allows_snapshot() -> None:
    allows = embedded_allows()
    assert len(allows.patterns) == 1320  # 1321 lines less the docker.io/* artefact
    assert not allows.problems
    assert allows.holds(parse_image("nginx"))
    assert allows.holds(parse_image("quay.io/prometheus/node-exporter:v1.8.0"))
    assert not allows.holds(parse_image("ghcr.io/nobody/nothing"))


def test_mirror_txt_2023_duplicate_short_names_counted_once() -> None:
    text = (DATA / "mirror-2023-07.txt").read_text()
    parsed = parse_mirror_txt(text, "mirror-2023-07.txt")
    assert parsed.lines == 667
    assert parsed.duplicates == 29  # docker.io/<name> and docker.io/library/<name> pairs
    assert len(parsed.patterns) == 638
    assert not parsed.problems
    assert parsed.holds(parse_image("alpine:3.19"))
    assert parsed.holds(parse_image("docker.io/bitnami/kafka"))
    assert not parsed.holds(parse_image("docker.io/bitnami/unknown-thing"))
    assert parse_list(text, "x").format == "mirror.txt"


def test_mirror_txt_trailing_spaces_comments_and_blank_lines() -> None:
    parsed = parse_mirror_txt("# comment\n\nquay.io/strimzi/operator   \n", "mirror.txt")
    assert [str(p) for p in parsed.patterns] == ["quay.io/strimzi/operator"]


def test_mirror_txt_literal_tag_suffix_matches_that_tag_only() -> None:
    text = "docker.io/library/alpine:latest\n"
    assert holds(text, "alpine", fmt="mirror")  # untagged means latest
    assert holds(text, "alpine:latest", fmt="mirror")
    assert not holds(text, "alpine:3.19", fmt="mirror")


def test_mirror_txt_regex_tag_suffix_is_matched_against_the_tag() -> None:
    text = "docker.io/library/alpine:^([a-z]+-)?[a-z]*[0-9]+(\\.[0-9]+){1,2}$\n"
    assert holds(text, "alpine:3.19", fmt="mirror")
    assert holds(text, "alpine:v3.19.1", fmt="mirror")
    assert not holds(text, "alpine:edge", fmt="mirror")
    assert not holds(text, "alpine", fmt="mirror")


def test_mirror_txt_glob_like_tag() -> None:
    text = "nvcr.io/nvidia/mellanox/doca-driver:24.04.*\n"
    assert holds(text, "nvcr.io/nvidia/mellanox/doca-driver:24.04.0.6", fmt="mirror")
    assert not holds(text, "nvcr.io/nvidia/mellanox/doca-driver:24.10.0", fmt="mirror")


def test_a_digest_only_reference_is_not_held_by_tag_restricted_entries() -> None:
    digest = "@sha256:" + "a" * 64
    assert not holds("docker.io/library/alpine:latest\n", "alpine" + digest, fmt="mirror")
    assert holds("docker.io/library/alpine:latest\n", "alpine:latest" + digest, fmt="mirror")
    assert holds("docker.io/library/alpine\n", "alpine" + digest, fmt="mirror")


def test_broken_mirror_txt_lines_are_reported() -> None:
    parsed = parse_mirror_txt(":^(a)$\ndocker.io/library/alpine^(x)$\nquay.io/x/*\n", "m.txt")
    assert not parsed.patterns
    assert [p.split(":")[1] for p in parsed.problems] == ["1", "2", "3"]


def test_parse_list_detects_allows_by_its_globs() -> None:
    assert parse_list("quay.io/a/b\nquay.io/c/**\n", "x").format == "allows.txt"
    assert parse_list("quay.io/a/b:latest\n", "x").format == "mirror.txt"


def test_pattern_set_accepts_short_docker_hub_names() -> None:
    patterns = PatternSet.from_lines(["nginx", "bitnami/*", "quay.io/x/**"], source="--ignore")
    assert patterns.matches(parse_image("nginx:1"))
    assert patterns.matches(parse_image("bitnami/redis"))
    assert patterns.matches(parse_image("quay.io/x/y/z"))
    assert not patterns.matches(parse_image("redis"))
    with pytest.raises(CatalogueError, match="--ignore:1"):
        PatternSet.from_lines(["Bad/Name"], source="--ignore")
