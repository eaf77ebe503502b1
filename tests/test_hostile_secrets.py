"""Issue 12, secrets: a password written into any URL is never printed nor stored.

One redaction function (``analyzer.redact``) sits at the boundary of every URL the tool shows
or keeps; these property tests write passwords in every spelling the issue found leaking
(``HTTPS://``, `` https://``, ``https:/``, ``ftp://``, no scheme, ``/ # ? @`` inside the
password) and look for any piece of the password in everything the commands print or store.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.redact import redact_text, redact_url

MANIFEST = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
    "spec:\n  containers:\n  - name: c\n    image: nginx:1.25\n"
)
LIST = b"docker.io/library/nginx\nquay.io/prometheus/*\n"
PREFIXES = ("https://", "HTTPS://", " https://", "https:/", "ftp://", "http://", "", "hTTpS:\\\\")
SEPARATORS = "/#?@:"
# each piece of a password starts with "Zq" so that finding it in an output is a leak,
# never a coincidence with the tool's own words
PIECE = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXY!$&*+,;=~%", min_size=1, max_size=6).map(
    lambda text: "Zq" + text
)


@st.composite
def passwords(draw: st.DrawFn, separators: str = SEPARATORS) -> tuple[str, list[str]]:
    pieces = draw(st.lists(PIECE, min_size=1, max_size=3))
    glue = draw(st.lists(st.sampled_from(separators), min_size=len(pieces), max_size=len(pieces)))
    password = "".join(p + g for p, g in zip(pieces, glue, strict=True))[:-1]
    return password, pieces


def leaked(pieces: list[str], *texts: str) -> list[str]:
    return [p for p in pieces if any(p in text for text in texts)]


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.stdout + result.stderr


@given(st.sampled_from(PREFIXES), passwords(), st.sampled_from(("", ":5000")))
def test_redact_url_hides_every_spelling(
    prefix: str, secret: tuple[str, list[str]], port: str
) -> None:
    password, pieces = secret
    url = f"{prefix}bob:{password}@m.example{port}/v2"
    shown = redact_url(url)
    assert not leaked(pieces, shown), shown
    assert shown.endswith(f"***@m.example{port}/v2")
    message = f"cannot parse URL {url!r}: port {pieces[0]!r} is not a number; see {url}"
    assert not leaked(pieces, redact_text(message, (url,)))


def test_redact_leaves_urls_without_userinfo_alone() -> None:
    for url in ("https://m.example/v2", "m.example:5000", "https://h/v2/library/nginx"):
        assert redact_url(url) == url
    assert redact_text("nginx@sha256:abc at https://h/v2") == "nginx@sha256:abc at https://h/v2"


#: the pattern ``redact_text`` replaced matches of (quadratic when no "@" followed)
_URL_WORD = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*:[/\\]+)[^\s'\"<>`]*@")
TEXT_PIECES = ["a", "Z", "1", "+", ".", "-", ":", "/", "\\", "@", " ", "\n", "\u00a0", "'", '"']
TEXT_PIECES += ["<", "`", "https", "://", "x@y", "\u00e9", "_", "#"]


@given(st.lists(st.sampled_from(TEXT_PIECES), max_size=16).map("".join))
def test_redact_text_hides_what_the_pattern_hid(text: str) -> None:
    expected = _URL_WORD.sub(lambda m: f"{m.group(1)}***@", text)
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", ["@ " + "a:/" * 20_000, "@ " + "a" * 60_000, "a:" * 30_000 + "@"])
def test_redact_text_takes_linear_time(text: str) -> None:
    # the pattern's search rescanned the rest of a word from each letter: 8 s for a 60 KB
    # object name in a warning
    started = time.monotonic()
    redact_text(text)
    assert time.monotonic() - started < 1.0


def write_config(kind: str, folder: Path, url: str) -> list[str]:
    """A mirror configuration of ``kind`` whose one mirror is ``url``; its options."""
    if kind == "hosts.toml":
        (folder / "certs.d/docker.io").mkdir(parents=True, exist_ok=True)
        (folder / "certs.d/docker.io/hosts.toml").write_text(
            f'server = "https://registry-1.docker.io"\n[host."{url}"]\n'
            '  capabilities = ["pull", "resolve"]\n'
        )
        return ["--hosts-dir", str(folder / "certs.d")]
    if kind == "registries.yaml":
        (folder / "registries.yaml").write_text(
            f'mirrors:\n  docker.io:\n    endpoint:\n      - "{url}"\n'
        )
        return ["--k3s-registries", str(folder / "registries.yaml")]
    (folder / "registries.conf").write_text(
        '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n'
        f'[[registry.mirror]]\nlocation = "{url}"\n'
    )
    return ["--registries-conf", str(folder / "registries.conf")]


# A raw "@" in a password followed by "/", "?" or "#" is read by Go (and containerd) as the
# end of the user info: the piece after it *is* the host containerd contacts, so the
# end-to-end test leaves "@" out (the unit test above keeps it).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["hosts.toml", "registries.yaml", "registries.conf"]),
    st.sampled_from(PREFIXES),
    passwords("/#?:"),
)
def test_mirror_url_passwords_reach_no_output(
    tmp_path_factory: pytest.TempPathFactory, kind: str, prefix: str, secret: tuple[str, list[str]]
) -> None:
    password, pieces = secret
    folder = tmp_path_factory.mktemp("config")
    url = f"{prefix}bob:{password}@mirror.example"
    config = write_config(kind, folder, url)
    manifest = folder / "pod.yaml"
    manifest.write_text(MANIFEST)
    outputs = [
        run("mirrors", *config),
        run("mirrors", *config, "-f", "json"),
        run("explain", "nginx:1.25", *config),
        run("explain", "nginx:1.25", *config, "-f", "json"),
        run("scan", str(manifest), *config, "-f", "json"),
        run("scan", str(manifest), *config),
        run("doctor", *config) if kind != "registries.conf" else "",
    ]
    assert not leaked(pieces, *outputs), url


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=10)
@given(passwords())
def test_catalogue_url_passwords_reach_no_output_and_no_cache_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: tuple[str, list[str]]
) -> None:
    password, pieces = secret
    cache = tmp_path / "cache"
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(cache))
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(MANIFEST)
    quoted = password.replace("%", "%25").replace("/", "%2F").replace("#", "%23")
    quoted = quoted.replace("?", "%3F").replace("@", "%40").replace(":", "%3A")
    good = f"https://bob:{quoted}@lists.example.test/list.txt"
    bad = f"https://bob:{password}@lists.example.test/missing.txt"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        # requests keeps the user info in the URL it hands to the adapter
        mock.get(re.compile(r"https://.*lists\.example\.test/list\.txt"), body=LIST)
        mock.get(re.compile(r"https://.*lists\.example\.test/missing\.txt"), status=404)
        outputs = [
            run("scan", str(manifest), "--catalog", f"m.example={good}", "-f", "json"),
            run("scan", str(manifest), "--catalog", f"m.example={bad}", "-f", "json"),
            run("mirrors", "--catalog", f"m.example={good}"),
            run("explain", "nginx", "--catalog", f"docker.m.daocloud.io={bad}"),
            run("catalog", "update", "--source", good, "--name", "l"),
            run("catalog", "update", "--source", bad, "--name", "l"),
            run("catalog", "update", "--source", f"ftp://bob:{password}@x.example/l"),
            run("catalog", "list"),
            run("catalog", "list", "-f", "json"),
        ]
    stored = [p.read_text(errors="replace") for p in cache.rglob("*") if p.is_file()]
    names = [p.name for p in cache.rglob("*")]
    assert not leaked(pieces, *outputs, *stored, *names)
    assert not leaked([quoted], *outputs, *stored)
    listed = {item["name"]: item for item in json.loads(run("catalog", "list", "-f", "json"))}
    assert listed["l"]["source"] == "https://***@lists.example.test/list.txt"


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("mirror.example:5000", "mirror.example:5000"),
        ("[::1]:5000", "[::1]:5000"),
        ("bob:pa", "***"),
        # found by the secrets property run: a password with colons, cut at its '/'
        ("bob:zq;:zq;", "***"),
    ],
)
def test_a_host_that_is_really_user_and_password_is_hidden(host: str, shown: str) -> None:
    from analyzer.redact import redact_host

    assert redact_host(host) == shown
