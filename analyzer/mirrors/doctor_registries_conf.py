"""``coverage doctor`` for CRI-O and Podman: the ``registries.conf`` traps that leave a mirror
silently unused or make every pull fail, each with file, line and the fix. Pinned on
containers/image df7e80d (v5.36; the same in v5.23) ``pkg/sysregistriesv2``:

- refused (error; ``loadConfigFile``/``postProcessRegistries``: every pull fails): v1
  (``[registries.search|insecure|block]``) and v2 keys in one file, v1 in a drop-in, a
  ``location`` or ``prefix`` with ``http(s)://`` (``parseLocation``), a wildcard with a path;
  and whatever else the reader refuses;
- never used (warning): a ``prefix`` with a tag or digest (``newImageSource`` looks up
  ``ref.Name()``, which has neither), a ``*`` anywhere but a leading ``*.``, a Docker Hub
  prefix that is not normalised (``docker.io/nginx``, ``index.docker.io``: names are
  ``docker.io/library/nginx``), the same prefix twice in a file (the first wins), an entry a
  later drop-in replaces whole (``updateWithConfigurationFrom``), a key BurntSushi/toml
  skips as unknown (``mirrors``, ``[[registry.mirrors]]``, ``pull_from_mirror`` ...), a file
  in ``registries.conf.d`` not named ``*.conf`` or in a sub-folder (``dropInConfigs``);
- mirrors a tag never uses (warning): ``mirror-by-digest-only = true`` or a mirror's
  ``pull-from-mirror = "digest-only"``, while manifests mostly pull by tag;
- CRI-O only (info): ``short-name-mode`` is not used (CRI-O sets the mode itself).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.mirrors.config import MirrorConfig
from analyzer.mirrors.errors import read_config_text
from analyzer.mirrors.registries_conf import V2_KEYS, RegistriesConfRuntime, v1_set
from analyzer.mirrors.registries_conf_lines import ConfLines, scan_conf_lines
from analyzer.mirrors.toml_lines import TOMLDecodeError, loads
from analyzer.model import ConfigError, Finding, Severity
from analyzer.nesting import TooDeep
from analyzer.redact import redact_url

REFUSED = "containers/image refuses the whole configuration: every pull fails"
_TOP_KEYS = frozenset({*V2_KEYS, "registries"})
_REGISTRY_KEYS = frozenset(
    # Registry embeds Endpoint: pull-from-mirror is a field (refused when set: _entry)
    {"prefix", "location", "insecure", "blocked", "mirror-by-digest-only", "mirror"}
    | {"pull-from-mirror"}
)
_MIRROR_KEYS = frozenset({"location", "insecure", "pull-from-mirror"})
_HUB_ALIASES = ("index.docker.io", "registry-1.docker.io")


def _finding(
    file: str, line: int | None, severity: Severity, code: str, message: str, fix: str
) -> Finding:
    return Finding(file, line, message, severity=severity, code=code, fix=fix)


def _guess(key: str, known: frozenset[str]) -> str:
    import difflib  # only when a key is unknown

    close = difflib.get_close_matches(key.replace("_", "-").lower(), sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"


def _unknown(
    path: str, table: Mapping[str, Any], known: frozenset[str], where: str, line: int | None
) -> Iterator[Finding]:
    for key in table:
        if key not in known and key.lower() not in known:  # BurntSushi folds case: used
            yield _finding(
                path,
                line,
                "warning",
                "unknown-key",
                f"{where}{key!r} is not a registries.conf key: containers/image skips it "
                "without a word",
                _guess(key, known),
            )


@dataclass(frozen=True)
class _Seen:
    """A ``[[registry]]`` as written, for what later files do to it."""

    prefix: str
    file: str
    line: int | None
    mirrors: tuple[str, ...]


def _v1_fix(v1: Mapping[str, Any]) -> str:
    """The v2 lines that say what the v1 tables say."""
    parts = []
    search = (v1.get("search") or {}).get("registries")
    if search is not None:
        parts.append(f"unqualified-search-registries = {_toml_list(search)}")
    for kind, key in (("insecure", "insecure"), ("block", "blocked")):
        for name in (v1.get(kind) or {}).get("registries") or []:
            parts.append(f'[[registry]] location = "{name}", {key} = true')
    return "write the v2 form and delete [registries.*]: " + "; ".join(parts)


def _toml_list(values: Any) -> str:
    items = values if isinstance(values, list) else []
    return "[" + ", ".join(f'"{v}"' for v in items) + "]"


def _no_scheme(value: str) -> str:
    return value.split("://", 1)[1] if "://" in value else value


def _prefix_findings(path: str, prefix: str, line: int | None) -> Iterator[Finding]:
    """A prefix that no image name can match, or that matches other names than it seems."""
    shown = redact_url(prefix)
    host, slash, rest = prefix.partition("/")
    if "*" in prefix and not (prefix.startswith("*.") and "*" not in prefix[1:]):
        yield _finding(
            path,
            line,
            "warning",
            "prefix-never-matches",
            f"prefix {shown!r}: a '*' only works as a leading '*.' (*.example.com); "
            "anywhere else it is a literal character no image name has",
            "write *.example.com for every subdomain, or the host itself",
        )
    elif "@" in prefix or (slash and ":" in rest.rsplit("/", 1)[-1]):
        name = re.split(r"[@]|:(?=[^/]*$)", prefix, maxsplit=1)[0] if slash else prefix
        yield _finding(
            path,
            line,
            "warning",
            "prefix-never-matches",
            f"prefix {shown!r} has a tag or digest: entries are looked up by the "
            "repository name alone, so it never matches",
            f'prefix = "{redact_url(name)}" (an entry covers every tag and digest of it)',
        )
    elif host in _HUB_ALIASES:
        yield _finding(
            path,
            line,
            "warning",
            "prefix-never-matches",
            f"prefix {shown!r}: Docker Hub names are normalised to docker.io/..., never {host}",
            f'prefix = "docker.io{slash}{rest}"',
        )
    elif host == "docker.io" and slash and "/" not in rest and rest != "library":
        # refMatchingPrefix matches at a '/' boundary: docker.io/app covers the account's
        # docker.io/app/x, but never the official image (named docker.io/library/app)
        yield _finding(
            path,
            line,
            "warning",
            "prefix-hub-account",
            f"prefix {shown!r} matches only the repositories of the Docker Hub account "
            f"{rest!r} (docker.io/{rest}/...), not the official image {rest!r}, which is "
            f"named docker.io/library/{rest}",
            f'if the official image is meant: prefix = "docker.io/library/{rest}"; '
            "for the account's repositories the entry is right as it is",
        )


def _scheme(path: str, where: str, value: str, line: int | None) -> Finding:
    shown = redact_url(value)
    http = value.startswith("http://")
    return _finding(
        path,
        line,
        "error",
        "scheme",
        f"{where} {shown!r} has a URI scheme: {REFUSED}",
        f'{where} = "{redact_url(_no_scheme(value))}"'
        + (" with insecure = true (plain HTTP)" if http else ""),
    )


def _registry(
    path: str, index: int, table: Mapping[str, Any], lines: ConfLines
) -> tuple[list[Finding], _Seen | None]:
    out: list[Finding] = []
    line = lines.registry(index)
    out += _unknown(path, table, _REGISTRY_KEYS, "[[registry]] ", line)
    location = table.get("location", "")
    prefix = table.get("prefix", "")
    if not isinstance(location, str) or not isinstance(prefix, str):
        return out, None  # the reader says which type is wrong
    for key, value in (("location", location), ("prefix", prefix)):
        if value.startswith(("http://", "https://")):
            out.append(_scheme(path, key, value, lines.registry(index, key)))
    effective = _no_scheme(prefix or location).rstrip("/")
    out += _prefix_findings(path, effective, lines.registry(index, "prefix" if prefix else ""))
    raw_mirrors = table.get("mirror", [])
    mirrors: list[str] = []
    for number, mirror in enumerate(raw_mirrors if isinstance(raw_mirrors, list) else []):
        if not isinstance(mirror, dict):
            continue
        at = lines.mirror(index, number)
        out += _unknown(path, mirror, _MIRROR_KEYS, "[[registry.mirror]] ", at)
        value = mirror.get("location", "")
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            out.append(
                _scheme(path, "mirror location", value, lines.mirror(index, number, "location"))
            )
        if isinstance(value, str):
            mirrors.append(value)
        if mirror.get("pull-from-mirror") == "digest-only":
            out.append(
                _digest_only(
                    path, lines.mirror(index, number, "pull-from-mirror"), effective, value
                )
            )
    if table.get("mirror-by-digest-only") is True and mirrors:
        out.append(
            _digest_only(path, lines.registry(index, "mirror-by-digest-only"), effective, None)
        )
    return out, _Seen(effective, path, line, tuple(mirrors))


def _digest_only(path: str, line: int | None, prefix: str, mirror: Any) -> Finding:
    which = f"mirror {redact_url(str(mirror))}" if mirror is not None else "the mirrors"
    setting = 'pull-from-mirror = "digest-only"' if mirror is not None else "mirror-by-digest-only"
    return _finding(
        path,
        line,
        "warning",
        "digest-only-mirror",
        f"{which} of {prefix} serve digest references only ({setting}): an image pulled by "
        "tag, as manifests mostly are, never uses them",
        f"remove {setting} (or pin the images by digest)",
    )


def _file(path: str, drop_in: bool, runtime: str | None) -> tuple[list[Finding], list[_Seen]]:
    text = read_config_text(path)
    if isinstance(text, ConfigError):
        return [], []  # the reader reports a file it cannot read
    try:
        doc = loads(text)
    except (TOMLDecodeError, TooDeep):
        return [], []  # the reader reports the syntax error, with its line
    lines = scan_conf_lines(text)
    out: list[Finding] = []
    v1 = doc.get("registries")
    v2 = sorted(key for key in V2_KEYS if key in doc)
    if v1_set(v1):
        assert isinstance(v1, dict)
        line = lines.top.key("registries")
        if drop_in:
            out.append(
                _finding(
                    path,
                    line,
                    "error",
                    "v1-drop-in",
                    f"a drop-in must use the v2 format, this one has [registries.*] (v1): "
                    f"{REFUSED}",
                    _v1_fix(v1),
                )
            )
        elif v2:
            out.append(
                _finding(
                    path,
                    line,
                    "error",
                    "v1-v2-mixed",
                    f"v1 [registries.*] tables and v2 keys ({', '.join(v2)}) in one file: "
                    f"{REFUSED}",
                    _v1_fix(v1),
                )
            )
    for key in doc:
        if key not in _TOP_KEYS:
            out += _unknown(path, {key: None}, _TOP_KEYS, "", lines.top.key(key))
    if runtime == "crio" and "short-name-mode" in doc:
        out.append(
            _finding(
                path,
                lines.top.key("short-name-mode"),
                "info",
                "crio-short-name-mode",
                "CRI-O does not use short-name-mode: it sets the mode itself (crio.conf "
                '[crio.image] short_name_mode, "enforcing" by default since CRI-O 1.34)',
                'set short_name_mode = "disabled" in crio.conf to try every search registry',
            )
        )
    seen: list[_Seen] = []
    first_of: dict[str, _Seen] = {}
    raw = doc.get("registry", [])
    for index, table in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(table, dict):
            continue
        findings, entry = _registry(path, index, table, lines)
        out += findings
        if entry is None:
            continue
        earlier = first_of.setdefault(entry.prefix, entry)
        if earlier is not entry:
            out.append(
                _finding(
                    path,
                    entry.line,
                    "warning",
                    "duplicate-prefix",
                    f"prefix {redact_url(entry.prefix)} is also at line {earlier.line}: the "
                    "first entry of a prefix in a file wins, this one is never used",
                    "merge the two entries (their mirrors in the order wanted)",
                )
            )
        else:
            seen.append(entry)
    return out, seen


def _replaced(entries: Sequence[_Seen]) -> Iterator[Finding]:
    """An entry a later file's entry with the same prefix replaces whole."""
    last: dict[str, _Seen] = {}
    for entry in entries:
        earlier = last.get(entry.prefix)
        last[entry.prefix] = entry
        if earlier is None:
            continue
        lost = [m for m in earlier.mirrors if m not in entry.mirrors]
        what = (
            f"its mirrors {', '.join(redact_url(m) for m in lost)} are not used"
            if lost
            else "nothing of it is used"
        )
        at = f"{entry.file}:{entry.line}" if entry.line else entry.file
        yield _finding(
            earlier.file,
            earlier.line,
            "warning",
            "replaced-by-drop-in",
            f"prefix {redact_url(entry.prefix)} is replaced whole by {at} (a later file's "
            f"entry with the same prefix replaces the earlier one): {what}",
            f"put every mirror wanted in {at}'s entry, or remove one of the two",
        )


def _directory(directory: str) -> Iterator[Finding]:
    try:
        with os.scandir(directory) as found:
            names = sorted((e.name, e.is_dir()) for e in found)
    except OSError:
        return  # the reader reports a directory it cannot list
    for name, is_dir in names:
        where = os.path.join(directory, name)
        if is_dir:
            yield _finding(
                where,
                None,
                "warning",
                "drop-in-not-read",
                "registries.conf.d is not read recursively: files in this folder are ignored",
                f"move its *.conf files up into {directory}",
            )
        elif not name.endswith(".conf"):
            yield _finding(
                where,
                None,
                "warning",
                "drop-in-not-read",
                f"only *.conf files in registries.conf.d are read: {name} is ignored",
                f"rename it to {name.rsplit('.', 1)[0] if '.' in name else name}.conf "
                "if it is meant to apply",
            )


def diagnose_registries_conf(config: MirrorConfig) -> tuple[Finding, ...]:
    """Every trap in the ``registries.conf`` files ``config`` read (none: no such file)."""
    conf = next((r for r in config.runtimes if isinstance(r, RegistriesConfRuntime)), None)
    if conf is None:
        return ()
    runtime = config.short_names.runtime if config.short_names is not None else None
    findings: list[Finding] = []
    entries: list[_Seen] = []
    for path in conf.paths:
        found, seen = _file(path, _is_drop_in(path, conf), runtime)
        findings += found
        entries += seen
    findings += _replaced(entries)
    for directory in conf.drop_in_dirs:
        findings += _directory(directory)
    explained = {f.file for f in findings if f.severity == "error"}
    for error in conf.errors:
        if error.file not in explained:
            findings.append(_finding(error.file, error.line, "error", "refused", error.message, ""))
    return tuple(findings)


def _is_drop_in(path: str, conf: RegistriesConfRuntime) -> bool:
    return any(os.path.dirname(path) == os.path.normpath(d) for d in conf.drop_in_dirs)


def explained_errors(
    errors: Sequence[ConfigError], findings: Sequence[Finding]
) -> tuple[ConfigError, ...]:
    """The configuration errors a registries.conf finding already reports (as an error
    with its fix): the doctor shows those as findings, not as files it could not read."""
    files = {f.file for f in findings if f.severity == "error"}
    return tuple(e for e in errors if e.file in files)
