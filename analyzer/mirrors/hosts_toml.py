"""One ``hosts.toml``, read the way containerd 2.x reads it (``remotes/docker/config/hosts.go``).

- hosts are the ``[host."URL"]`` table headers in file order (``getSortedHosts``); the
  ``server`` (root keys) is always appended last, and with no ``server`` it is the
  registry's default host, with all capabilities and ``/v2`` whatever the root keys say;
- a syntax error, a wrong type, an unknown capability or a bad ``dial_timeout`` makes
  containerd ignore the whole file: the registry is then served by its default host only.
  We do the same and report a ``ConfigError`` with file, line and reason;
- unknown keys are ignored.

Where containerd 1.6/1.7 behave differently the file gets a warning (never a different
answer): hosts written inline (``[host]`` + ``"URL" = {...}``, or dotted keys) are used by
1.6/1.7 and ignored by 2.x; a file with no ``[host]`` table at all is ignored by 1.6 and by
1.7 before 1.7.32; the ``referrers`` capability makes containerd before 2.2 reject the file.
Header values are never kept: only their names.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.mirrors import go_toml_v1
from analyzer.mirrors.go_url import GoURLError, go_url_parse, with_default_scheme
from analyzer.mirrors.toml_fields import (
    HOST_FIELDS,
    ROOT_FIELDS,
    field_key,
    go_lower,
    spelling_warnings,
    struct_fields,
)
from analyzer.mirrors.toml_lines import (
    KeyPath,
    TOMLDecodeError,
    TomlLayout,
    loads,
    scan_layout,
    syntax_error_line,
)
from analyzer.mirrors.upstream import is_real_upstream, upstream_host
from analyzer.mirrors.url_userinfo import (
    credentials_warning,
    redact,
    redacted,
    userinfo,
)
from analyzer.mirrors.versions import NEWEST, ContainerdVersion
from analyzer.model import ALL_CAPABILITIES, ConfigError, Host

#: capabilities containerd 2.x accepts (``referrers`` from 2.2), lower-cased
KNOWN_CAPABILITIES: frozenset[str] = frozenset({"pull", "resolve", "push", "referrers"})
_GO_DURATION_RE = re.compile(r"[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)")

_BOM = "\ufeff"
# go-toml v2 has no byte-order-mark handling (pelletier/go-toml#250 fixed v1 only; #1118,
# adding it to v2, was closed unmerged): the first key starts with an invalid character
_BOM_REJECTED = (
    "the file starts with a UTF-8 byte order mark: containerd 2.x (go-toml v2) cannot parse "
    "it and ignores the whole file (1.6/1.7 skip the mark); save it without one"
)
_BOM_SKIPPED = (
    "the file starts with a {} byte order mark: containerd 1.6/1.7 skip it, containerd 2.x "
    "ignores the whole file; save it as UTF-8 without one"
)

#: ends the message of a problem that makes containerd fail every pull (hosts_dir.py)
FATAL_CONSEQUENCE = ": containerd fails every pull for this registry, with no fallback"
#: a file this user cannot read (regular_file.UNREADABLE_HERE): containerd, as root, may
UNCHECKED_CONSEQUENCE = (
    ": what containerd, running as root, does with it is not known here, so every pull for "
    "this registry counts as blocked (run the analyser as root to check it)"
)

_V16_NO_HOST_TABLE = (
    "containerd 1.6 and 1.7 before 1.7.32 ignore this file because it has no [host] table "
    "(they use the upstream only); add an empty [host] table to be safe"
)


@dataclass(frozen=True)
class TlsFile:
    """A ``ca`` or ``client`` file named in a ``hosts.toml``, as written (relative paths are
    relative to the file's directory)."""

    key: str  # "ca" or "client"
    path: str
    line: int | None
    owner: str  # '[host."URL"]' or "root"
    key_path: str | None = None  # a client pair's key file (None: read from ``path``)


@dataclass(frozen=True)
class HostsFile:
    """What one ``hosts.toml`` gives containerd.

    ``mirrors`` are the ``[host."URL"]`` entries in order; ``server`` is the root-level
    ``server`` (``None``: the image's registry's default host). A file with ``errors`` is
    ignored by containerd (``mirrors`` empty, ``server`` None).
    """

    path: str
    mirrors: tuple[Host, ...] = ()
    server: Host | None = None
    server_header_names: tuple[str, ...] = ()
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()
    tls_files: tuple[TlsFile, ...] = ()
    fatal: tuple[ConfigError, ...] = ()

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    def hosts_for(self, registry: str) -> tuple[Host, ...]:
        """The ordered hosts for ``registry``: mirrors, then the server (always last)."""
        if self.server is None:
            last = replace(upstream_host(registry), header_names=self.server_header_names)
        else:
            last = replace(self.server, is_upstream=_is_upstream(registry, self.server))
        mirrors = tuple(replace(h, is_upstream=_is_upstream(registry, h)) for h in self.mirrors)
        return (*mirrors, last)


def _is_upstream(registry: str, host: Host) -> bool:
    return host.unusable is None and is_real_upstream(registry, host.host)


@dataclass
class _Problems:
    """Collects the reasons containerd would reject the file, with their lines."""

    path: str
    layout: TomlLayout
    version: ContainerdVersion = NEWEST
    errors: list[ConfigError] = field(default_factory=list)

    def add(self, where: Sequence[str], message: str) -> None:
        self.errors.append(ConfigError(self.path, self.layout.line_of(where), message))


def _describe(where: KeyPath) -> str:
    if len(where) >= 2 and go_lower(where[0]) == "host":
        rest = ".".join(where[2:])
        return f'[{where[0]}."{redacted(where[1])}"]' + (f" {rest}" if rest else "")
    return ".".join(where) if where else "root"


def _type_name(value: Any) -> str:
    names = {
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "float",
        list: "array",
        dict: "table",
    }
    return names.get(type(value), type(value).__name__)


def _check_string_list(value: Any, where: KeyPath, key: str, problems: _Problems) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(
            (*where, key),
            f"{_describe(where)}: {key} must be a string or an array "
            f"of strings, not {_type_name(value)}",
        )


def _check_client(value: Any, where: KeyPath, problems: _Problems) -> None:
    ok = isinstance(value, str) or (
        isinstance(value, list)
        and all(
            isinstance(v, str)
            or (isinstance(v, list) and len(v) == 2 and all(isinstance(s, str) for s in v))
            for v in value
        )
    )
    if not ok:
        problems.add(
            (*where, "client"),
            f"{_describe(where)}: client must be a string, an "
            "array of strings or an array of [cert, key] pairs",
        )


def _capabilities(
    value: Any, where: KeyPath, problems: _Problems, warnings: list[str], semantic: bool
) -> frozenset[str]:
    if value is None:
        return ALL_CAPABILITIES
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(
            (*where, "capabilities"),
            f"{_describe(where)}: capabilities must be an "
            f"array of strings, not {_type_name(value)}",
        )
        return frozenset()
    if not value:
        return ALL_CAPABILITIES  # an empty list means all, like an omitted one
    caps = frozenset(v.lower() for v in value)
    if not semantic:
        return caps
    # parseHostConfig: "referrers" is known from v2.2 (remotes/docker/config/hosts.go)
    referrers = problems.version.at_least(2, 2)
    known = KNOWN_CAPABILITIES if referrers else KNOWN_CAPABILITIES - {"referrers"}
    for unknown in sorted(caps - known):
        problems.add(
            (*where, "capabilities"),
            f"{_describe(where)}: unknown capability {unknown!r} (containerd "
            f"{problems.version} knows {', '.join(sorted(known))})",
        )
    if "referrers" in caps and referrers:
        warnings.append(
            f"{_describe(where)}: containerd before 2.2 rejects the capability "
            "'referrers' and ignores the whole file"
        )
    return caps


def _boolean(table: dict[str, Any], key: str, where: KeyPath, problems: _Problems) -> bool:
    """A boolean key (false when absent); another type is a problem that rejects the file."""
    value = table.get(key, False)
    if isinstance(value, bool):
        return value
    problems.add(
        (*where, key), f"{_describe(where)}: {key} must be a boolean, not {_type_name(value)}"
    )
    return False


def _host_settings(
    table: dict[str, Any],
    where: KeyPath,
    problems: _Problems,
    warnings: list[str],
    *,
    semantic: bool = True,
) -> tuple[frozenset[str], bool, bool, tuple[str, ...]]:
    """Validate one host table (or the root); return capabilities, override_path,
    skip_verify and header names.

    ``semantic=False`` checks only what go-toml's ``Unmarshal`` checks (the types of the
    struct fields), not what ``parseHostConfig`` checks (capability names, ``ca``/``client``
    shapes, header values, durations): 2.x never calls ``parseHostConfig`` on inline hosts.
    Keys are matched to fields as ``problems.version``'s TOML decoder does (toml_fields.py).
    """
    table = struct_fields(table, HOST_FIELDS, problems.version)
    caps = _capabilities(table.get("capabilities"), where, problems, warnings, semantic)
    override_path = _boolean(table, "override_path", where, problems)
    skip_verify = _boolean(table, "skip_verify", where, problems)
    header = table.get("header")
    if header is not None and not isinstance(header, dict):
        problems.add(
            (*where, "header"),
            f"{_describe(where)}: header must be a table, not {_type_name(header)}",
        )
        header = None
    header_names = tuple(sorted(header)) if header else ()
    # dial_timeout is a hostFileConfig field from v2.1 (hosts.go); before, an unknown key
    dial_timeout = table.get("dial_timeout") if problems.version.at_least(2, 1) else None
    if dial_timeout is not None and not isinstance(dial_timeout, str):
        problems.add(
            (*where, "dial_timeout"),
            f"{_describe(where)}: dial_timeout must be a string, not {_type_name(dial_timeout)}",
        )
        dial_timeout = None
    if not semantic:
        return caps, override_path, skip_verify, header_names
    if "ca" in table:
        _check_string_list(table["ca"], where, "ca", problems)
    if "client" in table:
        _check_client(table["client"], where, problems)
    for name, value in (header or {}).items():
        if not (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            # the name only: header values are often credentials
            problems.add(
                (*where, "header", name),
                f"{_describe(where)}: header {name!r} must be a string or an array of strings",
            )
    if dial_timeout and not _GO_DURATION_RE.fullmatch(dial_timeout):
        problems.add(
            (*where, "dial_timeout"),
            f"{_describe(where)}: dial_timeout must be a "
            f'Go duration such as "30s", not {dial_timeout!r}',
        )
    return caps, override_path, skip_verify, header_names


def _clean(path: str) -> str:
    """Go's ``path.Clean`` for an absolute URL path."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def url_path(raw_path: str, override_path: bool) -> str:
    """``parseHostConfig``: ``/v2`` appended unless the path ends in ``/v2`` or
    ``override_path``; no path and ``override_path`` gives an empty prefix."""
    if raw_path:
        cleaned = _clean(raw_path)
        if not cleaned.endswith("/v2") and not override_path:
            cleaned = _clean(cleaned + "/v2")
        return "" if cleaned == "/" else cleaned
    return "" if override_path else "/v2"


def split_url(url: str) -> tuple[str, str, str] | str:
    """``(scheme, host[:port], path)`` of a host URL as ``parseHostConfig`` reads it
    (``https://`` put in front of text that does not start with ``http``, then Go's
    ``url.Parse``), or the reason ``url.Parse`` refuses it. A user name or password in the URL
    is dropped (containerd keeps ``u.Host``)."""
    try:
        parts = go_url_parse(with_default_scheme(url))
    except GoURLError as exc:
        return f"cannot parse URL {redacted(url)!r}: {redact(str(exc), (url,))}"
    # "HTTPS://user:pw@h" becomes "https://HTTPS://user:pw@h" as in containerd: the
    # password lands in the path, which is shown; hide it there
    return parts.scheme, parts.host, redact(parts.path, (url,))


def request_problem(url: str) -> str | None:
    """Why every request to a host written ``url`` fails (Go's HTTP client), or None."""
    prefixed = with_default_scheme(url)
    try:
        parsed = go_url_parse(prefixed)
    except GoURLError:
        return None
    if prefixed != url and "://" in url:
        # "HTTP://m:5000" becomes https://HTTP://m:5000: the host is "HTTP:" (port 443), a
        # scheme read as a host name, which no resolver answers
        return f"its host is {parsed.host!r}, the scheme {url.partition(':')[0]!r} read as a name"
    return parsed.request_problem()


def no_scheme_warning(url: str) -> str | None:
    """The warning for a host URL written without ``http://`` or ``https://``."""
    if url.startswith("http"):
        return None
    shown = redacted(url)
    return f"{shown!r} has no scheme: containerd uses https://{shown}"


def outside_registry_api(path: str) -> bool:
    """Does a URL prefix put containerd's requests outside the Registry API? It does when
    no segment of the path is ``v2`` (``/custom``, or no path with ``override_path``):
    ``/custom/<repository>/manifests/...`` is a 404 on any registry (oracle S10c, CRI
    ``legacy_path``). ``/custom/v2`` (the API under a prefix) and ``/v2/project`` (a
    proxy-cache project) are inside it."""
    return "v2" not in path.split("/")


def outside_api_warning(written: str, host: Host, why: str) -> str | None:
    """The warning for a host whose path containerd uses as written (``why`` says what made
    it so: ``override_path = true``, a legacy CRI endpoint), or None when the path ends in
    ``/v2``. ``written`` is the URL as the file writes it."""
    path = host.path
    if path.endswith("/v2"):
        return None
    url, base = redacted(written), host.url
    if outside_registry_api(path):
        return (
            f"{url}: {why} and the path {path or '/'!r} has no /v2: containerd asks "
            f"{base}/<repository>/manifests/... outside the Registry API; a registry "
            "answers 404 there and containerd moves on to the next host, so this host "
            "is counted as serving nothing"
        )
    return (
        f"{url}: {why} and the path {path!r} does not end in /v2: containerd asks "
        f"{base}/<repository>/manifests/..., i.e. repositories under "
        f"{path.split('/v2/', 1)[-1]!r} on that host (a proxy-cache project); its "
        "catalogue must match that"
    )


def _tls_paths(key: str, value: Any) -> list[tuple[str, str | None]]:
    """The files of a ``ca`` or ``client`` value as ``(path, key path)`` (``parseHostConfig``:
    a string, a list of strings, or ``[cert, key]`` pairs; an empty key reads the key from
    the certificate file)."""
    if isinstance(value, str):
        return [(value, None)]
    paths: list[tuple[str, str | None]] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            paths.append((item, None))
        elif key == "client" and isinstance(item, list) and len(item) == 2:
            cert, private = item
            if isinstance(cert, str) and isinstance(private, str):
                paths.append((cert, private or None))
    return paths


def _tls_files(
    table: dict[str, Any], where: KeyPath, layout: TomlLayout, version: ContainerdVersion
) -> list[TlsFile]:
    """The ``ca`` and ``client`` files of one host table, or of the root."""
    table = struct_fields(table, ("ca", "client"), version)
    return [
        TlsFile(key, path, layout.line_of((*where, key)), _describe(where), key_path)
        for key in ("ca", "client")
        for path, key_path in _tls_paths(key, table.get(key))
    ]


def _v1_host_order(host_lines: dict[str, int | None], warnings: list[str]) -> list[str]:
    """``getSortedHosts`` (hosts.go v1.6.20 and v1.7): every key of the ``host`` table sorted
    by its go-toml v1 position (go_toml_v1.py): a table or dotted key by its first line, an
    inline table as line 0, so before all others; equal lines come in Go's map order, which
    varies from pull to pull (they are listed here in file order)."""
    order = sorted(host_lines, key=lambda url: host_lines[url] or 0)
    lines = [host_lines[url] or 0 for url in order]
    tied = [url for url in order if lines.count(host_lines[url] or 0) > 1]
    if tied:
        names = ", ".join(f'"{redacted(url)}"' for url in tied)
        warnings.append(
            f"hosts {names} start on the same line (inline tables have none): containerd "
            "1.6/1.7 try them in a random order (Go map order), which varies from pull to "
            'pull; write each as a [host."URL"] table'
        )
    return order


def _v1_sort_panic(
    host_lines: dict[str, int | None], path: str, layout: TomlLayout, version: ContainerdVersion
) -> ConfigError | None:
    """``getSortedHosts`` (hosts.go v1.6.20, the same in 1.7.x) compares the ``host`` entries
    with ``.(*toml.Tree)``: with two entries or more, one that is not a table (a string, an
    array of tables) makes containerd panic before the file is checked. ``ctr`` crashes, and
    a CRI pull crashes the containerd daemon itself (observed on 1.6.20)."""
    bad = [url for url, line in host_lines.items() if line is None]
    if len(host_lines) < 2 or not bad:
        return None
    return ConfigError(
        path,
        layout.line_of(("host", bad[0])),
        f"host.{redacted(bad[0])!r} is not a table: containerd {version} panics sorting the "
        "hosts (getSortedHosts): ctr crashes, and a CRI pull crashes the containerd daemon"
        + FATAL_CONSEQUENCE,
    )


def _v1_crash_warning(text: str, path: str, layout: TomlLayout) -> list[str]:
    """For 2.x: does this file make containerd 1.6/1.7 panic (``_v1_sort_panic``)?"""
    try:
        host_lines = go_toml_v1.load(text).host_lines
    except go_toml_v1.GoTomlV1Error:
        return []
    crash = _v1_sort_panic(host_lines, path, layout, ContainerdVersion(1, 7))
    if crash is None:
        return []
    return [crash.message.replace("containerd 1.7", "containerd 1.6/1.7")]


def _host_order(layout: TomlLayout) -> list[str]:
    """``getSortedHosts`` (2.x, ``core/remotes/docker/config/hosts.go`` at main 301026e58: go-toml
    v2's ``unstable.Parser`` over the top-level ``Table`` expressions whose first key part is
    ``host`` exactly): ``[host."URL"...]`` headers in order; a header for the same host as the
    previous one (e.g. ``[host."URL".header]``) does not add it again. Dotted keys and inline
    tables are not table expressions, so their hosts are never used."""
    order: list[str] = []
    previous: str | None = None
    for header in layout.headers:
        parts = header.path
        if len(parts) < 2 or parts[0] != "host" or parts[1] == previous:
            continue
        previous = parts[1]
        order.append(parts[1])
    return order


def _build_host(
    url: str,
    table: dict[str, Any],
    where: KeyPath,
    problems: _Problems,
    warnings: list[str],
    *,
    is_server: bool,
) -> Host | None:
    caps, override_path, skip_verify, header_names = _host_settings(
        table, where, problems, warnings
    )
    parts = split_url(url)
    if isinstance(parts, str):
        problems.add(where if where else ("server",), f"{_describe(where)}: {parts}")
        return None
    return _make_host(
        url, parts, (caps, override_path, skip_verify, header_names), is_server, warnings
    )


def _make_host(
    url: str,
    parts: tuple[str, str, str],
    settings: tuple[frozenset[str], bool, bool, tuple[str, ...]],
    is_server: bool,
    warnings: list[str],
) -> Host:
    """The ``Host`` of a parsed URL and its table's settings (``_host_settings``)."""
    scheme, host_name, raw_path = parts
    caps, override_path, skip_verify, header_names = settings
    host = Host(
        scheme=scheme,
        host=host_name,
        path=url_path(raw_path, override_path),
        capabilities=caps,
        is_server=is_server,
        override_path=override_path,
        header_names=header_names,
        skip_verify=skip_verify,
        unusable=request_problem(url),
    )
    _url_warnings(url, host, warnings)
    return host


def _url_warnings(url: str, host: Host, warnings: list[str]) -> None:
    """What a host URL makes containerd do that its author may not expect."""
    for warning in (
        no_scheme_warning(url),
        outside_api_warning(url, host, "override_path = true"),
        None
        if host.unusable is None
        else (
            f"{redacted(url)!r}: containerd accepts this URL (Go's url.Parse) but every "
            f"request to it fails ({host.unusable}): it serves nothing and the next host "
            "is tried"
        ),
    ):
        if warning:
            warnings.append(warning)


def decode_hosts_toml(data: bytes, path: str, version: ContainerdVersion = NEWEST) -> HostsFile:
    """Read the bytes of one ``hosts.toml`` as containerd ``version`` does: 1.6/1.7 (go-toml
    v1 ``LoadBytes``) drop a UTF-32, UTF-8 or UTF-16 byte order mark and read the rest as
    UTF-8 with invalid bytes replaced; 2.x reads UTF-8 only."""
    if version.is_v1:
        text, bom = go_toml_v1.decode_bytes(data)
        return parse_hosts_toml(text, path, version, bom=bom)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        error = ConfigError(path, line, "not UTF-8 text: containerd ignores the whole file")
        return HostsFile(path=path, errors=(error,))
    return parse_hosts_toml(text, path, version)


def parse_hosts_toml(
    text: str, path: str, version: ContainerdVersion = NEWEST, *, bom: str | None = None
) -> HostsFile:
    """Read one ``hosts.toml`` text as containerd ``version`` does; ``path`` names it in
    errors; ``bom`` names the byte order mark go-toml v1 dropped from the bytes."""
    warnings: list[str] = []
    if text.startswith(_BOM):
        if not version.is_v1:
            return HostsFile(path=path, errors=(ConfigError(path, 1, _BOM_REJECTED),))
        # go-toml v1 LoadBytes (toml.go, v1.9.5) drops a leading byte order mark
        text, bom = text[1:], "UTF-8"
    if bom:
        warnings.append(_BOM_SKIPPED.format(bom))
    host_lines: dict[str, int | None] = {}
    if version.is_v1:
        try:
            v1 = go_toml_v1.load(text)
        except go_toml_v1.GoTomlV1Error as exc:
            return _v1_syntax_error(exc, text, path)
        doc, host_lines = v1.doc, v1.host_lines
    else:
        try:
            doc = loads(text)
        except TOMLDecodeError as exc:
            return _syntax_error(exc, text, path)
    layout = scan_layout(text)
    crash = _v1_sort_panic(host_lines, path, layout, version)
    if crash is not None:
        return HostsFile(path=path, warnings=tuple(warnings), fatal=(crash,))
    if not version.is_v1:
        warnings += _v1_crash_warning(text, path, layout)
    problems = _Problems(path, layout, version)
    if not isinstance(doc.get("host"), dict) and not (version.at_least(1, 7, 32)):
        # getSortedHosts (hosts.go v1.6.20, v1.7 before 1.7.32): root.Get("host") must be a
        # tree, else "invalid `host` tree" and the whole file is ignored
        problems.add(
            ("host",),
            f"no [host] table: containerd {version} ignores the whole file "
            "(invalid `host` tree; 1.7.32 and 2.x use it); add an empty [host] table",
        )

    server_key = field_key(doc, "server", version)
    server_url = doc[server_key] if server_key else ""
    if not isinstance(server_url, str):
        problems.add(("server",), f"server must be a string, not {_type_name(server_url)}")
        server_url = ""
    host_tables = doc.get("host", {})
    if not isinstance(host_tables, dict):
        problems.add(("host",), f"host must be a table, not {_type_name(host_tables)}")
        host_tables = {}

    header_urls = _host_order(layout)
    ordered = header_urls if not version.is_v1 else _v1_host_order(host_lines, warnings)
    mirrors = _mirror_hosts(ordered, header_urls, host_tables, version, problems, warnings)
    _unused_hosts(host_tables, set(ordered), path, layout, problems, warnings)
    _other_host_spellings(doc, problems, warnings)

    root_settings = _host_settings(doc, (), problems, warnings)
    warnings += _spelling_warnings(doc, host_tables)
    server = _server_host(server_url, root_settings, problems, warnings)
    if server_url and "host" not in doc and version.at_least(1, 7, 32):
        warnings.append(_V16_NO_HOST_TABLE)

    tls_files = [
        f
        for url in dict.fromkeys(ordered)
        if isinstance(host_tables.get(url), dict)
        for f in _tls_files(host_tables[url], ("host", url), layout, version)
    ]
    tls_files.extend(_tls_files(doc, (), layout, version))
    warnings += _credential_warnings([*ordered, server_url], server_url)
    # a safety net: no message carries a password, whatever wrote it
    urls = [*host_tables, server_url]
    warnings = [redact(w, urls) for w in warnings]
    if problems.errors:
        errors = tuple(
            replace(e, message=redact(e.message, urls) + ": containerd ignores the whole file")
            for e in problems.errors
        )
        return HostsFile(path=path, errors=errors, warnings=tuple(warnings))
    return HostsFile(
        path=path,
        mirrors=tuple(mirrors),
        server=server,
        server_header_names=root_settings[3],
        warnings=tuple(warnings),
        tls_files=tuple(tls_files),
    )


def _syntax_error(exc: TOMLDecodeError, text: str, path: str) -> HostsFile:
    reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
    error = ConfigError(
        path,
        syntax_error_line(exc, text),
        f"not valid TOML ({reason}): containerd ignores the whole file",
    )
    return HostsFile(path=path, errors=(error,))


def _v1_syntax_error(exc: go_toml_v1.GoTomlV1Error, text: str, path: str) -> HostsFile:
    utf16 = " (the file looks UTF-16 encoded: containerd reads UTF-8)" if "\x00" in text else ""
    message = (
        f"not valid TOML for go-toml v1 ({exc.message}){utf16}: containerd ignores the whole file"
    )
    return HostsFile(path=path, errors=(ConfigError(path, exc.line, message),))


def _mirror_hosts(
    ordered: list[str],
    header_urls: list[str],
    host_tables: dict[str, Any],
    version: ContainerdVersion,
    problems: _Problems,
    warnings: list[str],
) -> list[Host]:
    """The ``[host."URL"]`` hosts containerd uses, in its order."""
    mirrors: list[Host] = []
    seen: set[str] = set()
    for url in ordered:
        table = host_tables.get(url, {})
        if not isinstance(table, dict):
            problems.add(
                ("host", url),
                f"{_describe(('host', url))} must be a table, not {_type_name(table)}",
            )
            continue
        if url in seen:
            warnings.append(
                f"{_describe(('host', url))} is listed again because another host "
                "table comes between its headers: containerd 2.x tries it twice"
            )
        seen.add(url)
        if version.is_v1 and url not in header_urls:
            warnings.append(
                f'host "{redacted(url)}" is written inline (not as a '
                f"{_describe(('host', url))} table): containerd {version} uses it, "
                "containerd 2.x ignores it; write it as a table"
            )
        host = _build_host(url, table, ("host", url), problems, warnings, is_server=False)
        if host is not None:
            mirrors.append(host)
    return mirrors


def _unused_hosts(
    host_tables: dict[str, Any],
    seen: set[str],
    path: str,
    layout: TomlLayout,
    problems: _Problems,
    warnings: list[str],
) -> None:
    """Hosts written inline, which containerd 2.x type-checks but never uses."""
    for url, table in host_tables.items():
        if url in seen:
            continue
        if not isinstance(table, dict):
            problems.add(
                ("host", url),
                f"{_describe(('host', url))} must be a table, not {_type_name(table)}",
            )
            continue
        # 2.x's Unmarshal still type-checks it, but never uses it
        _host_settings(table, ("host", url), problems, warnings, semantic=False)
        old = _Problems(path, layout, ContainerdVersion(1, 7))
        _host_settings(table, ("host", url), old, [])
        rejected = "".join(
            f"; containerd 1.6/1.7 reject the whole file: {e}" for e in old.errors[:1]
        )
        warnings.append(
            f'host "{redacted(url)}" is written inline (not as a {_describe(("host", url))} '
            "table): containerd 2.x ignores it, containerd 1.6/1.7 use it; write it as a "
            f"table{rejected}"
        )


def _other_host_spellings(doc: dict[str, Any], problems: _Problems, warnings: list[str]) -> None:
    """A root key spelt ``HOST`` or ``Host``: hosts are ordered only from ``host`` spelt
    exactly so (``getSortedHosts``: ``root.Get("host")`` in v1.6.20/v1.7, the table headers'
    ``parts[0] != "host"`` in 2.x), so its hosts are never used; the TOML decoder still
    type-checks it where it fills the ``host`` field: go-toml v1 when ``host`` is absent and
    it is ``HOST`` (toml_fields.py), go-toml v2 for any spelling."""
    version = problems.version
    for key in [k for k in doc if k != "host" and go_lower(k) == "host"]:
        warnings.append(
            f"{key!r} is not spelt 'host': containerd reads hosts only from [host.\"URL\"] "
            "tables spelt in lower case, so the hosts under it are never used"
        )
        tables = doc[key]
        if version.is_v1 and field_key(doc, "host", version) != key:
            continue
        if not isinstance(tables, dict):
            problems.add((key,), f"{key} must be a table, not {_type_name(tables)}")
            continue
        for url, table in tables.items():
            if isinstance(table, dict):
                _host_settings(table, (key, url), problems, [], semantic=False)
            else:
                problems.add(
                    (key, url), f"{_describe((key, url))} must be a table, not {_type_name(table)}"
                )


def _server_host(
    server_url: str, root_settings: Any, problems: _Problems, warnings: list[str]
) -> Host | None:
    if not server_url:
        return None
    parts = split_url(server_url)
    if isinstance(parts, str):
        problems.add(("server",), parts)
        return None
    if not parts[1]:
        # ConfigureHosts (hosts.go, v1.6.20 and 2.x) fills in a last host whose name
        # is empty: the registry's own host, path /v2, every capability
        warnings.append(
            f"server {redacted(server_url)!r} has no host: containerd uses the "
            "registry's own host in its place (with all capabilities)"
        )
        return None
    return _make_host(server_url, parts, root_settings, True, warnings)


def _credential_warnings(urls: list[str], server_url: str) -> list[str]:
    return [
        credentials_warning(
            f'server "{redacted(url)}"' if url == server_url else _describe(("host", url))
        )
        for url in dict.fromkeys(urls)
        if url and userinfo(url)
    ]


def _spelling_warnings(doc: dict[str, Any], host_tables: dict[str, Any]) -> list[str]:
    """Keys spelt so that containerd 1.6/1.7 and 2.x fill different fields (toml_fields.py)."""
    warnings = spelling_warnings(doc, ROOT_FIELDS, "root")
    for url, table in host_tables.items():
        if isinstance(table, dict):
            warnings += spelling_warnings(table, HOST_FIELDS, _describe(("host", url)))
    return warnings
