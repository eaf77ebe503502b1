"""Short names (``nginx:1.25``) as CRI-O and Podman resolve them: containers/image's
``pkg/shortnames`` ``Resolve`` and ``pkg/sysregistriesv2/shortnames.go`` (containers/image
df7e80d, v5.36; the same steps in v5.23, Debian's), which both runtimes call:

1. a name whose first component is not a host (``reference.short_name``) is short;
2. an alias (``[aliases]`` of registries.conf and its drop-ins, a later file replacing an
   earlier alias; the machine's ``short-name-aliases.conf`` cache first) always wins: one
   candidate, the alias with the tag or digest as written. An alias set to ``""`` resets an
   earlier one;
3. otherwise every ``unqualified-search-registries`` entry, in order, is a candidate
   (``<registry>/<name as written>``, normalised: ``docker.io/nginx`` is
   ``docker.io/library/nginx``); none configured: the pull fails;
4. the mode: ``disabled`` uses every candidate, so does ``permissive`` without a terminal;
   one candidate is never ambiguous; ``enforcing`` with two or more and no terminal fails
   (``short-name resolution enforced but cannot prompt without a TTY``).

Each candidate is then pulled as any reference (its ``[[registry]]`` mirrors, then its
primary); the first candidate that is pulled wins.

Where the mode comes from differs. **CRI-O** sets it itself (``SystemContext.ShortNameMode``
wins over ``short-name-mode`` in registries.conf): since CRI-O 1.34 (cri-o commit a8b550ad,
``pkg/config/config.go`` ``SetSystemContext``) from ``[crio.image] short_name_mode`` in
crio.conf, ``enforcing`` unless it says ``disabled``, and a pull of an ambiguous short name
fails with ``short name mode is enforcing, but image name ... returns ambiguous list``
(``internal/storage/image.go`` ``CandidatesForPotentiallyShortImageName``); before 1.34 it
forced ``disabled``/``permissive``: every candidate in order. **Podman** uses registries.conf's
``short-name-mode`` (default ``permissive``) and prompts only on a terminal, which CI has not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analyzer.reference import ImageRef, InvalidImageReference, is_domain_component, parse_image

MODES = ("enforcing", "permissive", "disabled")
CONTAINERS_IMAGE_DEFAULT_MODE = "permissive"  # sysregistriesv2 defaultShortNameMode
CRIO_DEFAULT_MODE = "enforcing"  # CRI-O >= 1.34 ImageConfig.ShortNameMode


class AliasError(ValueError):
    """An ``[aliases]`` entry containers/image refuses (the whole configuration then fails)."""


def check_alias(name: str, value: str) -> str | None:
    """``validateShortName`` and ``parseShortNameValue``: the normalised value (None for
    ``""``, which resets an earlier alias). Raises ``AliasError``."""
    for what, text in (("short name", name), ("alias", value)):
        if "@" in text:
            raise AliasError(f"invalid {what} {text!r}: must not contain digest")
        if text.rfind(":") > text.rfind("/"):
            raise AliasError(f"invalid {what} {text!r}: must not contain tag")
    first, slash, _ = name.partition("/")
    if slash and is_domain_component(first):
        raise AliasError(f"invalid short name {name!r}: must not contain registry")
    try:
        parse_image(name)
    except InvalidImageReference as exc:
        raise AliasError(f"cannot parse short name: {name!r}: {exc}") from None
    if value == "":
        return None
    first, slash, _ = value.partition("/")
    if not slash or not is_domain_component(first):
        raise AliasError(f"invalid alias {value!r}: must contain registry and repository")
    try:
        return parse_image(value).name
    except InvalidImageReference as exc:
        raise AliasError(f"parsing alias {value!r}: {exc}") from None


@dataclass(frozen=True)
class Alias:
    value: str | None  # the normalised name; None: reset by ``""``
    file: str


@dataclass(frozen=True)
class Resolution:
    """The candidates of one short name, in the order they are pulled, or why it fails."""

    written: str  # the reference as the runtime receives it: ``nginx:1.25``
    candidates: tuple[ImageRef, ...]
    how: str  # "the alias ...", "unqualified-search-registries ..."
    error: str | None = None


@dataclass(frozen=True)
class ShortNames:
    """One runtime's short-name settings."""

    runtime: str  # "crio" or "podman"
    mode: str
    mode_origin: str
    search: tuple[str, ...] | None = None
    search_origin: str | None = None
    aliases: Mapping[str, Alias] = field(default_factory=dict)
    # the machine's short-name-aliases.conf, asked before registries.conf's aliases
    cached: Mapping[str, Alias] = field(default_factory=dict)
    cache_error: str | None = None  # it cannot be used: every short name fails

    def resolve(self, ref: ImageRef) -> Resolution:
        """The candidates for ``ref`` (whose ``short`` is set), as ``Resolve`` orders them."""
        short = ref.short or ref.familiar_name
        # kubelet adds ":latest" to a name with neither tag nor digest before CRI-O sees it
        tag = ref.tag if ref.tag is not None or ref.digest is not None else "latest"
        written = short + ImageRef._suffix(tag, ref.digest)
        if self.cache_error is not None:
            return Resolution(written, (), "", self.cache_error)
        alias = self.cached.get(short) or self.aliases.get(short)
        if alias is not None and alias.value is not None:
            target = parse_image(alias.value)  # checked when the file was read
            candidate = ImageRef(target.domain, target.path, ref.tag, ref.digest)
            return Resolution(
                written, (candidate,), f'the alias "{short}" = "{alias.value}" ({alias.file})'
            )
        if not self.search:
            error = (
                f'short-name "{written}" did not resolve to an alias and no '
                f'unqualified-search registries are defined in "{self.search_origin}"'
                if self.search_origin
                else f'short-name "{written}" did not resolve to an alias and no '
                "containers-registries.conf(5) was found"
            )
            return Resolution(written, (), "", error)
        candidates = []
        for registry in self.search:
            try:
                found = parse_image(f"{registry}/{short}")
            except InvalidImageReference as exc:
                return Resolution(
                    written,
                    (),
                    "",
                    f"creating reference with unqualified-search registry {registry!r}: {exc}",
                )
            candidates.append(ImageRef(found.domain, found.path, ref.tag, ref.digest))
        how = f"unqualified-search-registries ({self.search_origin}): {', '.join(self.search)}"
        if self.mode == "enforcing" and len(candidates) > 1:
            return Resolution(written, tuple(candidates), how, self._ambiguous(written))
        return Resolution(written, tuple(candidates), how)

    def _ambiguous(self, written: str) -> str:
        if self.runtime == "crio":
            return (
                f"short name mode is enforcing, but image name {written} returns ambiguous "
                f"list ({self.mode_origin}; no alias, {len(self.search or ())} search registries)"
            )
        return (
            f"short-name resolution enforced but cannot prompt without a TTY ({self.mode_origin}; "
            f"no alias, {len(self.search or ())} search registries)"
        )

    def describe(self) -> str:
        return f"short names as {_RUNTIME_NAMES.get(self.runtime, self.runtime)}: {self.mode}"


_RUNTIME_NAMES = {"crio": "CRI-O", "podman": "Podman"}


def read_alias_cache(path: str) -> tuple[dict[str, Alias], str | None]:
    """The machine-written ``short-name-aliases.conf`` (``loadShortNameAliasConf``): its
    ``[aliases]``, or why it cannot be used (a missing file is empty)."""
    from analyzer.mirrors.errors import read_config_text
    from analyzer.mirrors.toml_lines import TOMLDecodeError, loads

    if not os.path.exists(path):
        return {}, None
    text = read_config_text(path)
    problem = f"loading short-name aliases config file {path!r}"
    if not isinstance(text, str):
        return {}, f"{problem}: {text.message}"
    try:
        raw = loads(text).get("aliases", {})
    except TOMLDecodeError as exc:
        return {}, f"{problem}: {exc}"
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        return {}, f"{problem}: [aliases] must map short names to strings"
    out: dict[str, Alias] = {}
    for name, value in raw.items():
        try:
            out[name] = Alias(check_alias(name, value), path)
        except AliasError as exc:
            return {}, f"{problem}: {exc}"
    return out, None


def read_crio_mode(paths: Sequence[str]) -> tuple[str, str] | None:
    """CRI-O's ``[crio.image] short_name_mode`` from crio.conf and its drop-ins (a later
    file wins), with the file that set it; None when none sets it."""
    from analyzer.mirrors.errors import read_config_text
    from analyzer.mirrors.toml_lines import TOMLDecodeError, loads

    found: tuple[str, str] | None = None
    for path in paths:
        text = read_config_text(path)
        if not isinstance(text, str):
            continue
        try:
            image = loads(text).get("crio", {}).get("image", {})
        except (TOMLDecodeError, AttributeError):
            continue
        mode = image.get("short_name_mode") if isinstance(image, dict) else None
        if isinstance(mode, str) and mode:
            found = (mode, path)
    return found
