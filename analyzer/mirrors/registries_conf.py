"""CRI-O and Podman: ``registries.conf`` (v2) and ``registries.conf.d/*.conf``, read the way
containers/image does (``pkg/sysregistriesv2/system_registries_v2.go``, and
``docker/docker_image_src.go``/``docker_client.go`` for how sources are used):

- ``[[registry]]``: ``prefix`` (default: ``location``; ``*.example.com`` matches
  subdomains at any depth, not ``example.com``), ``location``, ``insecure``, ``blocked``,
  ``mirror-by-digest-only`` and ``[[registry.mirror]]`` (``location``, ``insecure``,
  ``pull-from-mirror = all | digest-only | tag-only``);
- ``FindRegistry``: the longest ``prefix`` (by length; among equal lengths the first in
  sorted order) matching the reference's name at a ``/``, ``:`` or ``@`` boundary, after
  Docker Hub normalisation (``docker.io/library/nginx``);
- ``PullSourcesFromReference``: the mirrors in order (``pull-from-mirror`` and
  ``mirror-by-digest-only`` filter them by tag or digest reference), then the primary; each
  source's reference is its ``location`` + what follows the matched prefix (a wildcard
  entry with no ``location`` keeps the reference), so a remapped ``location`` has no
  upstream fallback;
- a source is blocked when the entry its *own* reference matches is ``blocked``;
- drop-ins in name order, after the main file: an entry with the same prefix replaces
  the earlier one whole (mirrors included); within one file the first of a prefix wins;
- a configuration error (v1 and v2 mixed, a v1 drop-in, both ``mirror-by-digest-only``
  and a per-mirror ``pull-from-mirror``, an unknown ``pull-from-mirror``, a ``location``
  with ``http(s)://``, a badly written wildcard...) makes containers/image refuse the whole
  configuration: every pull fails.

Python's ``tomllib`` and BurntSushi/toml (used by containers/image) both implement TOML
1.0; a value of the wrong type is an error here, as Go's decoder rejects it too, and
unknown keys are ignored by both.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.mirrors.registries_conf_lines import scan_conf_lines
from analyzer.mirrors.registries_conf_types import (
    ROOT,
    KeyConflict,
    KeyPath,
    TypeProblem,
    canonical_keys,
)
from analyzer.mirrors.registries_conf_types import check as check_types
from analyzer.mirrors.short_names import Alias, AliasError, check_alias
from analyzer.mirrors.toml_lines import loads as toml_loads
from analyzer.mirrors.toml_lines import scan_layout
from analyzer.mirrors.upstream import DOCKER_HUB, DOCKER_HUB_HOST, is_real_upstream
from analyzer.model import ConfigError, Host, RegistryHosts
from analyzer.redact import redact_text, redact_url
from analyzer.reference import ImageRef, InvalidImageReference, is_registry_domain, parse_image

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PULL_RESOLVE = frozenset({"pull", "resolve"})
PULL_FROM_MIRROR = ("all", "digest-only", "tag-only")
_UNUSABLE = "containers/image refuses the whole configuration: every pull fails"
_RANDOM = "taken here as a configuration every pull fails with, until one spelling is left"


@dataclass(frozen=True)
class Mirror:
    location: str
    insecure: bool = False
    pull_from_mirror: str = ""


@dataclass(frozen=True)
class Entry:
    """One ``[[registry]]`` after ``postProcessRegistries``."""

    prefix: str
    location: str
    file: str
    insecure: bool = False
    blocked: bool = False
    mirror_by_digest_only: bool = False
    mirrors: tuple[Mirror, ...] = ()


@dataclass(frozen=True)
class ConfFile:
    """One file: its entries (sorted and unique by prefix) and its other settings."""

    path: str
    entries: tuple[Entry, ...] = ()
    search: tuple[str, ...] | None = None
    short_name_mode: str | None = None
    aliases: Mapping[str, str | None] = field(default_factory=dict)


class ConfError(ValueError):
    """A file containers/image refuses (the message names why; ``line`` where, if known,
    else ``place``: the key path it is about, whose line ``parse_conf`` finds)."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        *,
        consequence: str = "",
        place: KeyPath = (),
    ) -> None:
        super().__init__(message)
        self.line = line
        self.consequence = consequence or _UNUSABLE  # what it means for every pull
        self.place = place


def _bool(table: Mapping[str, Any], key: str, where: str, place: KeyPath) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfError(f"{where}: {key} must be true or false", place=(*place, key))
    return value


def _string(table: Mapping[str, Any], key: str, where: str, place: KeyPath) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ConfError(f"{where}: {key} must be a string", place=(*place, key))
    return value


def _location(table: Mapping[str, Any], key: str, where: str, place: KeyPath) -> str:
    """``parse_location`` of a string field, the error naming the entry and the key."""
    try:
        return parse_location(_string(table, key, where, place))
    except ConfError as exc:
        if exc.place:
            raise
        raise ConfError(f"{where}: {key}: {exc}", place=(*place, key)) from None


def parse_location(value: str) -> str:
    """``parseLocation``: trailing ``/`` removed; a URI scheme is an error."""
    trimmed = value.rstrip("/")
    if trimmed.startswith(("http://", "https://")):
        shown = redact_url(value)  # a password in the location is never printed
        raise ConfError(f"invalid location {shown!r}: URI schemes are not supported")
    return trimmed


def _entry(table: Any, index: int, path: str) -> Entry:
    where = f"[[registry]] #{index + 1}"
    at: KeyPath = ("registry", index)
    if not isinstance(table, dict):
        raise ConfError(f"{where} must be a table", place=at)
    location = _location(table, "location", where, at)
    prefix = _location(table, "prefix", where, at)
    if not prefix:
        if not location:
            raise ConfError(f"{where}: both location and prefix are unset", place=at)
        prefix = location
    elif not prefix.startswith("*.") and not location:
        raise ConfError(
            f"{where}: location is unset and prefix is not in the format *.example.com",
            place=(*at, "prefix"),
        )
    if prefix.startswith("*.") and any(c in prefix for c in "/@:"):
        raise ConfError(
            f"{where}: wildcarded prefix {prefix!r} must be like *.example.com",
            place=(*at, "prefix"),
        )
    if table.get("pull-from-mirror"):
        raise ConfError(
            f"{where}: pull-from-mirror must not be set for a non-mirror registry",
            place=(*at, "pull-from-mirror"),
        )
    by_digest = _bool(table, "mirror-by-digest-only", where, at)
    raw_mirrors = table.get("mirror", [])
    if not isinstance(raw_mirrors, list):
        raise ConfError(
            f"{where}: mirror must be an array of tables ([[registry.mirror]])",
            place=(*at, "mirror"),
        )
    mirrors = []
    for number, raw in enumerate(raw_mirrors, start=1):
        mirror_where = f"{where} mirror #{number}"
        mirror_at: KeyPath = (*at, "mirror", number - 1)
        if not isinstance(raw, dict):
            raise ConfError(f"{mirror_where} must be a table", place=mirror_at)
        mirror_location = _location(raw, "location", mirror_where, mirror_at)
        if not mirror_location:
            raise ConfError(f"{mirror_where}: mirror location is unset", place=mirror_at)
        usage = _string(raw, "pull-from-mirror", mirror_where, mirror_at)
        if by_digest and usage:
            raise ConfError(
                f"{mirror_where}: cannot set mirror-by-digest-only for the registry ({prefix}) "
                f"and pull-from-mirror for a mirror ({mirror_location}) at the same time",
                place=(*mirror_at, "pull-from-mirror"),
            )
        if usage and usage not in PULL_FROM_MIRROR:
            raise ConfError(
                f"{mirror_where}: unsupported pull-from-mirror value {usage!r}",
                place=(*mirror_at, "pull-from-mirror"),
            )
        insecure = _bool(raw, "insecure", mirror_where, mirror_at)
        mirrors.append(Mirror(mirror_location, insecure, usage))
    return Entry(
        prefix,
        location,
        path,
        _bool(table, "insecure", where, at),
        _bool(table, "blocked", where, at),
        by_digest,
        tuple(mirrors),
    )


def _v1_entries(v1: Any, path: str) -> tuple[list[Entry], list[str] | None]:
    """``ConvertToV2``: ``[registries.block]`` and ``[registries.insecure]`` become entries."""
    if not isinstance(v1, dict):
        raise ConfError("[registries] must be a table", place=("registries",))
    order: list[str] = []
    flags: dict[str, dict[str, bool]] = {}
    for kind in ("block", "insecure"):
        for location in (v1.get(kind) or {}).get("registries") or []:
            try:
                name = parse_location(location)  # a string: registries_conf_types checked it
            except ConfError as exc:
                place = ("registries", kind, "registries")
                raise ConfError(f"[registries.{kind}]: {exc}", place=place) from None
            if name not in flags:
                order.append(name)
                flags[name] = {}
            flags[name][kind] = True
    entries = [
        Entry(
            name,
            name,
            path,
            insecure=flags[name].get("insecure", False),
            blocked=flags[name].get("block", False),
        )
        for name in order
    ]
    search = (v1.get("search") or {}).get("registries")
    return entries, list(search) if search is not None else None


def parse_conf(text: str, path: str, *, drop_in: bool) -> ConfFile:
    """One file, ``loadConfigFile`` + ``postProcessRegistries``. Raises ``ConfError``, with
    the line of what it is about (found by a scan of ``text``: tomllib gives no positions)."""
    try:
        doc = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfError(f"not valid TOML: {exc}") from None
    try:
        return _parse_doc(doc, path, drop_in=drop_in)
    except TypeProblem as exc:
        line = _line_at(text, exc.keys)
        raise ConfError(f"{exc} (Go's TOML decoder refuses it)", line) from None
    except ConfError as exc:
        if exc.line is None and exc.place:
            exc.line = _line_at(text, exc.place)
        raise


def _line_at(text: str, place: KeyPath) -> int | None:
    """The line of a key path: a table of an array (``registry``, 1, ...) by the scan of
    ``registries_conf_lines``, any other by ``toml_lines`` (else its top-level key)."""
    keys = tuple(k for k in place if isinstance(k, str))
    if len(keys) == len(place):
        found = scan_layout(text).line_of(keys)
        if found is not None:
            return found
    return scan_conf_lines(text).line_of(place)


def _parse_doc(doc: dict[str, Any], path: str, *, drop_in: bool) -> ConfFile:
    check_types(doc, ROOT)
    try:
        doc = canonical_keys(doc, ROOT)  # `Blocked = true` blocks: Go matches keys in any case
    except KeyConflict as exc:
        raise ConfError(str(exc), consequence=_RANDOM, place=exc.keys) from None
    v1 = doc.get("registries")
    if v1_set(v1):
        if drop_in:
            raise ConfError("registry must be in v2 format but is in v1", place=("registries",))
        if V2_KEYS & doc.keys():
            raise ConfError("mixing sysregistry v1/v2 is not supported", place=("registries",))
        entries, search = _v1_entries(v1, path)
    else:
        raw = doc.get("registry", [])
        if not isinstance(raw, list):
            raise ConfError(
                "registry must be an array of tables ([[registry]])", place=("registry",)
            )
        entries = [_entry(table, index, path) for index, table in enumerate(raw)]
        search = doc.get("unqualified-search-registries")
    _check_conflicts(entries)
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.prefix, entry)  # the first of a prefix wins within a file
    mode = doc.get("short-name-mode")
    if mode is not None and mode not in ("", "disabled", "enforcing", "permissive"):
        raise ConfError(f"invalid short-name mode: {mode!r}", place=("short-name-mode",))
    return ConfFile(
        path,
        tuple(unique[p] for p in sorted(unique)),
        _search(search),
        mode or None,
        _aliases(doc.get("aliases", {})),
    )


def _search(search: Any) -> tuple[str, ...] | None:
    """``unqualified-search-registries``: registry host[:port] each (``postProcessRegistries``)."""
    if search is None:
        return None
    place: KeyPath = ("unqualified-search-registries",)
    if not isinstance(search, list) or not all(isinstance(s, str) for s in search):
        raise ConfError("unqualified-search-registries must be an array of strings", place=place)
    out = []
    for entry in search:
        try:
            registry = parse_location(entry)
        except ConfError as exc:
            raise ConfError(f"unqualified-search-registries: {exc}", place=place) from None
        if not is_registry_domain(registry):
            raise ConfError(
                f"Invalid unqualified-search-registries entry {registry!r}", place=place
            )
        out.append(registry)
    return tuple(out)


def _aliases(aliases: Any) -> dict[str, str | None]:
    """``[aliases]``, checked as ``newShortNameAliasCache`` does (every bad one is named)."""
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise ConfError("[aliases] must map short names to strings", place=("aliases",))
    out: dict[str, str | None] = {}
    problems = []
    for name, value in aliases.items():
        try:
            out[name] = check_alias(name, value)
        except AliasError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfError("validating short-name aliases: " + "; ".join(problems), place=("aliases",))
    return out


#: the keys of ``V2RegistriesConf`` (``hasSetField``: any of them present, even empty)
V2_KEYS = frozenset(
    {
        "registry",
        "unqualified-search-registries",
        "credential-helpers",
        "short-name-mode",
        "additional-layer-store-auth-helper",
        "aliases",
    }
)


def v1_set(v1: Any) -> bool:
    """``V1RegistriesConf.hasSetField``: a ``registries`` list under ``[registries.search]``,
    ``.insecure`` or ``.block`` (other keys are unknown, and ignored)."""
    return isinstance(v1, dict) and any(
        isinstance(v1.get(kind), dict) and "registries" in v1[kind]
        for kind in ("search", "insecure", "block")
    )


def _check_conflicts(entries: Sequence[Entry]) -> None:
    """A registry (location, or prefix when none) named twice must agree on insecure and
    blocked."""
    seen: dict[str, Entry] = {}
    for index, entry in enumerate(entries):
        key = entry.location or entry.prefix
        other = seen.setdefault(key, entry)
        for attribute in ("insecure", "blocked"):
            if getattr(other, attribute) != getattr(entry, attribute):
                raise ConfError(
                    f"registry {key!r} is defined multiple times with conflicting "
                    f"{attribute!r} setting",
                    place=("registry", index, attribute),
                )


def matching_prefix(name: str, prefix: str) -> int:
    """``refMatchingPrefix``: the length of ``name`` the prefix covers, or -1."""
    if prefix.startswith("*."):
        index = name.find(prefix[1:])
        if index == -1 or "/" in name[:index]:
            return -1
        index += len(prefix) - 1
        return index if index == len(name) or name[index] in ":/@" else -1
    if name == prefix:
        return len(prefix)
    if name.startswith(prefix) and len(name) > len(prefix) and name[len(prefix)] in ":/@":
        return len(prefix)
    return -1


def find_entry(entries: Sequence[Entry], name: str) -> Entry | None:
    """``FindRegistry``: the longest matching prefix; the first of equal lengths wins."""
    best: Entry | None = None
    for entry in entries:
        if matching_prefix(name, entry.prefix) != -1 and len(entry.prefix) > (
            len(best.prefix) if best else 0
        ):
            best = entry
    return best


def _physical(name: str, entry: Entry, location: str) -> str:
    """``rewriteReference``: ``location`` + what follows the matched prefix."""
    if not location:
        return name
    return location + name[matching_prefix(name, entry.prefix) :]


@dataclass
class RegistriesConfRuntime:
    """``registries.conf`` and its drop-ins as a ``MirrorRuntime``."""

    files: tuple[str, ...]
    entries: tuple[Entry, ...] = ()
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()
    search: tuple[str, ...] | None = None
    short_name_mode: str | None = None
    aliases: Mapping[str, Alias] = field(default_factory=dict)
    search_origin: str | None = None  # the file whose unqualified-search-registries count
    mode_origin: str | None = None  # the file whose short-name-mode counts
    paths: tuple[str, ...] = ()  # every file looked at, in order (read or refused)
    drop_in_dirs: tuple[str, ...] = ()
    origin: str = "registries-conf"
    by_reference: bool = True

    def describe(self) -> str:
        count = len(self.entries)
        return f"{', '.join(self.files) or 'no file'}; {count} [[registry]] entr" + (
            "y" if count == 1 else "ies"
        )

    @property
    def unusable(self) -> str | None:
        return f"{self.errors[0]}" if self.errors else None

    def hosts_for(self, ref: ImageRef) -> RegistryHosts | None:
        if self.unusable is not None:
            return RegistryHosts(
                ref.domain,
                (),
                self.origin,
                self.errors[0].file,
                fatal=f"{self.unusable}: {_UNUSABLE}",
                namespace=False,
                rule="first-source",
            )
        entry = find_entry(self.entries, ref.name)
        if entry is None:
            return None
        return self._sources(ref, entry)

    def configured_name(self, ref: ImageRef) -> str:
        entry = find_entry(self.entries, ref.name)
        return ref.domain if entry is None else entry.prefix

    def _sources(self, ref: ImageRef, entry: Entry) -> RegistryHosts:
        digested = ref.digest is not None
        warnings: list[str] = []
        chosen: list[Mirror] = []
        for mirror in entry.mirrors:
            if entry.mirror_by_digest_only and not digested:
                warnings.append(
                    f"{entry.file}: mirror {mirror.location} is not used for a tag reference "
                    f"(mirror-by-digest-only = true on prefix {entry.prefix})"
                )
            elif (mirror.pull_from_mirror == "digest-only" and not digested) or (
                mirror.pull_from_mirror == "tag-only" and digested
            ):
                kind = "digest" if digested else "tag"
                warnings.append(
                    f"{entry.file}: mirror {mirror.location} is not used for a {kind} reference "
                    f"(pull-from-mirror = {mirror.pull_from_mirror})"
                )
            else:
                chosen.append(mirror)
        hosts: list[Host] = []
        sources = [(m.location, m.insecure, False) for m in chosen]
        sources.append((entry.location, entry.insecure, True))
        for location, insecure, primary in sources:
            host = self._host(ref, entry, location, insecure, primary)
            if isinstance(host, str):
                return RegistryHosts(
                    ref.domain,
                    (),
                    self.origin,
                    entry.file,
                    fatal=host,
                    namespace=False,
                    rule="first-source",
                )
            hosts.append(host)
        return RegistryHosts(
            ref.domain,
            tuple(hosts),
            self.origin,
            entry.file,
            tuple(warnings),
            namespace=False,
            rule="first-source",
        )

    def _host(
        self, ref: ImageRef, entry: Entry, location: str, insecure: bool, primary: bool
    ) -> Host | str:
        physical = _physical(ref.name, entry, location)
        try:
            parsed = parse_image(physical)
        except InvalidImageReference as exc:
            shown = redact_url(physical)  # a location may carry user:password@
            reason = redact_text(str(exc), (physical,))
            return f"the source {shown!r} (prefix {entry.prefix}) is not a reference: {reason}"
        if parsed.name != physical:
            return (
                f"the source {physical!r} (prefix {entry.prefix}) is not a canonical "
                f"reference (it would mean {parsed.name}): rewriting the reference fails"
            )
        blocked_by = find_entry(self.entries, parsed.name)
        blocked = (
            f"registry {blocked_by.prefix} is blocked in {blocked_by.file}"
            if blocked_by is not None and blocked_by.blocked
            else None
        )
        domain = parsed.domain
        rewrites = (
            ()
            if parsed.path == ref.path
            else ((f"^{re.escape(ref.path)}$", parsed.path.replace("$", "$$")),)
        )
        return Host(
            scheme="https",
            host=DOCKER_HUB_HOST if domain == DOCKER_HUB else domain,
            path="/v2",
            capabilities=PULL_RESOLVE,
            is_server=primary,
            # a mirror whose location is the registry itself is the upstream too (as a
            # [host] naming the registry in hosts.toml): what it serves is not mirrored
            is_upstream=is_real_upstream(ref.domain, domain),
            skip_verify=insecure,
            rewrites=rewrites,
            blocked=blocked,
        )

    def configured(self) -> tuple[RegistryHosts, ...]:
        out = []
        for entry in self.entries:
            hosts = []
            for location, insecure, primary in [
                *((m.location, m.insecure, False) for m in entry.mirrors),
                (entry.location or entry.prefix, entry.insecure, True),
            ]:
                name = location.split("/", 1)[0]
                hosts.append(
                    Host(
                        "https",
                        DOCKER_HUB_HOST if name == DOCKER_HUB else name,
                        "/v2" + ("/" + location.split("/", 1)[1] if "/" in location else ""),
                        PULL_RESOLVE,
                        is_server=primary,
                        is_upstream=primary and location == entry.prefix,
                        skip_verify=insecure,
                        blocked=f"blocked in {entry.file}" if primary and entry.blocked else None,
                    )
                )
            notes = [
                f"mirror {m.location}: pull-from-mirror = {m.pull_from_mirror}"
                for m in entry.mirrors
                if m.pull_from_mirror
            ]
            if entry.mirror_by_digest_only:
                notes.append("mirror-by-digest-only = true: mirrors serve digest references only")
            if entry.blocked:
                notes.append("blocked = true: the primary location is never contacted")
            out.append(
                RegistryHosts(
                    entry.prefix,
                    tuple(hosts),
                    self.origin,
                    entry.file,
                    tuple(notes),
                    namespace=False,
                    rule="first-source",
                )
            )
        return tuple(out)


def _read(path: str) -> str | ConfigError:
    from analyzer.mirrors.errors import read_config_text

    return read_config_text(path)


def drop_in_files(directory: str) -> list[str]:
    """``dropInConfigs``: the ``*.conf`` files directly in ``directory``, in name order."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    except OSError:
        raise
    return [
        os.path.join(directory, n)
        for n in names
        if n.endswith(".conf") and not os.path.isdir(os.path.join(directory, n))
    ]


def read_registries_conf(
    path: str | None, drop_in_dir: str | Sequence[str] | None
) -> RegistriesConfRuntime:
    """The main file, then the drop-ins of each directory in turn, each directory's in name
    order (``dropInConfigs``: the system directory, then the user's); the same prefix
    replaces the whole entry. Never raises: a file containers/image refuses is an error,
    and every pull then fails."""
    files: list[str] = []
    errors: list[ConfigError] = []
    merged: dict[str, Entry] = {}
    search: tuple[str, ...] | None = None
    search_origin: str | None = None
    mode: str | None = None
    mode_origin: str | None = None
    aliases: dict[str, Alias] = {}
    paths: list[tuple[str, bool]] = [(path, False)] if path else []
    directories = tuple([drop_in_dir] if isinstance(drop_in_dir, str) else drop_in_dir or ())
    for directory in directories:
        try:
            paths += [(p, True) for p in drop_in_files(directory)]
        except OSError as exc:
            errors.append(
                ConfigError(directory, None, f"cannot read: {exc.strerror or exc}; {_UNUSABLE}")
            )
    for name, drop_in in paths:
        text = _read(name)
        if isinstance(text, ConfigError):
            errors.append(ConfigError(text.file, text.line, f"{text.message}; {_UNUSABLE}"))
            continue
        try:
            parsed = parse_conf(text, name, drop_in=drop_in)
        except ConfError as exc:
            line = exc.line or _line_of(str(exc))
            errors.append(ConfigError(name, line, f"{exc}; {exc.consequence}"))
            continue
        files.append(name)
        for entry in parsed.entries:
            merged[entry.prefix] = entry
        if parsed.search is not None or not drop_in:
            # loadConfigFile names the main file the list's origin, set or not;
            # updateWithConfigurationFrom: a drop-in's list ([] too) replaces it
            search, search_origin = parsed.search, name
        if parsed.short_name_mode:
            mode, mode_origin = parsed.short_name_mode, name
        aliases.update({k: Alias(v, name) for k, v in parsed.aliases.items()})
    return RegistriesConfRuntime(
        tuple(files),
        tuple(merged[p] for p in sorted(merged)),
        tuple(errors),
        search=search,
        short_name_mode=mode,
        aliases=aliases,
        search_origin=search_origin,
        mode_origin=mode_origin,
        paths=tuple(p for p, _ in paths),
        drop_in_dirs=directories,
    )


def _line_of(message: str) -> int | None:
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None
