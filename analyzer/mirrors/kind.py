"""A kind cluster config (``kind: Cluster``, ``kind.x-k8s.io/v1alpha4``) as the containerd
``config.toml`` it gives every node, and where the node's hosts directory is on this machine.

As kind does (kubernetes-sigs/kind at commit fed2688, v0.33 era; the same since v0.8):

- the node image's ``/etc/containerd/config.toml`` (``images/base/files/etc/containerd/
  config.toml``: ``version = 2``, no registry section) is converted to JSON, each
  ``containerdConfigPatches`` entry is applied in order as a JSON merge patch (RFC 7386:
  tables merge key by key, an array or value replaces), skipping a patch whose ``version``
  is not the node config's, then each ``containerdConfigPatchesJSON6902`` entry as a JSON
  patch (``pkg/internal/patch/toml.go`` ``ContainerdTOML``); a patch that does not parse or
  apply fails ``kind create cluster``;
- the result is read with containerd's rules (``legacy_cri.containerd_config_from_doc``):
  ``config_path`` or the legacy CRI ``registry.mirrors``;
- ``config_path`` names a directory on the node. ``nodes[].extraMounts`` bind a host
  ``hostPath`` (relative paths: from the current directory, ``filepath.Abs`` in
  ``pkg/cluster/internal/providers/docker/provision.go``) at ``containerPath``; a root that
  no mount covers cannot be read from here.

Lines in findings point into the kind config: the line of the patch text that set the key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.mirrors.errors import read_config_text
from analyzer.mirrors.json_patch import apply_json_patch, merge_patch
from analyzer.mirrors.legacy_cri import ContainerdConfig, containerd_config_from_doc
from analyzer.mirrors.toml_lines import (
    KeyPath,
    TOMLDecodeError,
    TomlLayout,
    loads,
    scan_layout,
    syntax_error_line,
)
from analyzer.model import ConfigError
from analyzer.nesting import TooDeep, deepest_json, deepest_yaml

API_VERSION = "kind.x-k8s.io/v1alpha4"
#: the node image's config.toml, as far as patches can touch it (images/base/files/etc/
#: containerd/config.toml at fed2688: version 2, the CRI plugin, no registry section)
NODE_CONFIG_TOML = """\
version = 2
[proxy_plugins."fuse-overlayfs"]
type = "snapshot"
address = "/run/containerd-fuse-overlayfs.sock"
[plugins."io.containerd.grpc.v1.cri"]
sandbox_image = "registry.k8s.io/pause:3.10"
tolerate_missing_hugepages_controller = true
restrict_oom_score_adj = false
[plugins."io.containerd.grpc.v1.cri".containerd]
discard_unpacked_layers = true
snapshotter = "overlayfs"
default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
runtime_type = "io.containerd.runc.v2"
base_runtime_spec = "/etc/containerd/cri-base.json"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
SystemdCgroup = true
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.test-handler]
runtime_type = "io.containerd.runc.v2"
base_runtime_spec = "/etc/containerd/cri-base.json"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.test-handler.options]
SystemdCgroup = true
"""
NODE_CONFIG_VERSION = 2
_STOPS = "kind create cluster refuses this file"


@dataclass(frozen=True)
class Mount:
    """One ``extraMounts`` entry of one node."""

    node: int  # index in ``nodes`` (0: the control plane kind creates by default)
    host_path: str  # absolute, as kind makes it
    container_path: str
    line: int


@dataclass(frozen=True)
class KindConfig:
    """What a kind config says about registries: the merged ``config.toml`` (``merged``),
    read as containerd reads it (``containerd``, its ``file`` is the kind config), and the
    nodes' mounts."""

    file: str
    containerd: ContainerdConfig
    merged: dict[str, Any] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    nodes: int = 1
    roles: tuple[str, ...] = ()  # each node's role, as written
    errors: tuple[ConfigError, ...] = ()
    warnings: tuple[str, ...] = ()

    def host_path(self, node_path: str) -> tuple[str | None, ConfigError | None]:
        """Where ``node_path`` (a directory on the nodes) is on this machine: through the
        mount with the longest ``containerPath`` covering it, when every node mounts the same
        directory there; None when no node mounts it. Nodes that differ (another directory,
        or no mount: the node reads its own, unseen, directory) route differently: an error
        naming each node, and None, since one node's routes do not predict the others'."""
        wanted = os.path.normpath(node_path)
        found: dict[int, tuple[str, Mount]] = {}
        for mount in self.mounts:
            inside = os.path.normpath(mount.container_path)
            if wanted != inside and not wanted.startswith(inside.rstrip("/") + "/"):
                continue
            best = found.get(mount.node)
            if best is None or len(inside) > len(os.path.normpath(best[1].container_path)):
                rest = os.path.relpath(wanted, inside)
                found[mount.node] = (os.path.normpath(os.path.join(mount.host_path, rest)), mount)
        if not found:
            return None, None
        seen = {os.path.realpath(path) for path, _ in found.values()}
        if len(seen) == 1 and len(found) == self.nodes:
            return next(iter(found.values()))[0], None
        return None, self._differ(node_path, found)

    def _differ(self, node_path: str, found: dict[int, tuple[str, Mount]]) -> ConfigError:
        """Every node that can run a workload counts: a pod that tolerates the control
        plane's taint (DaemonSets often do) runs there too."""
        described = []
        for node in range(self.nodes):
            role = self.roles[node] if node < len(self.roles) else "control-plane"
            if node in found:
                what = f"mounts {found[node][0]} (line {found[node][1].line})"
            else:
                what = "mounts nothing there: it reads its own directory, unseen from here"
            described.append(f"node {node} ({role}) {what}")
        line = min(mount.line for _, mount in found.values())
        return ConfigError(
            self.file,
            line,
            f"nodes route differently: the hosts directory {node_path} is not the same on "
            f"every node ({'; '.join(described)}): pods pull by the node they run on; mount "
            "the same directory on every node, or predict per node with --hosts-dir",
        )

    def mounted_inside(self, node_path: str) -> tuple[Mount, ...]:
        """Mounts below ``node_path`` (single registry directories), when none covers it."""
        prefix = os.path.normpath(node_path).rstrip("/") + "/"
        return tuple(
            m for m in self.mounts if os.path.normpath(m.container_path).startswith(prefix)
        )


def read_kind_config(path: str) -> KindConfig:
    """Read ``path``; a file kind would refuse gives ``errors`` (with lines), never a raise."""
    text = read_config_text(path)
    if isinstance(text, ConfigError):
        return KindConfig(path, ContainerdConfig(path), errors=(text,))
    return parse_kind_config(text, path)


def _fail(path: str, line: int | None, message: str) -> KindConfig:
    return KindConfig(path, ContainerdConfig(path), errors=(ConfigError(path, line, message),))


def parse_kind_config(text: str, path: str, cwd: str | None = None) -> KindConfig:
    import yaml

    try:
        deepest_yaml(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except TooDeep as exc:
        return _fail(path, exc.line, str(exc))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or "invalid YAML"
        return _fail(path, mark.line + 1 if mark else None, f"not valid YAML: {reason} ({_STOPS})")
    if root is None:
        return _fail(path, 1, f"empty: not a kind cluster config ({_STOPS})")
    if not isinstance(root, yaml.MappingNode):
        return _fail(path, _line(root), f"not a mapping: not a kind cluster config ({_STOPS})")
    fields = {str(k.value): v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    kind, api = fields.get("kind"), fields.get("apiVersion")
    if not _is_str(kind, "Cluster") or not _is_str(api, API_VERSION):
        where = kind if not _is_str(kind, "Cluster") else api
        return _fail(
            path,
            _line(where) or 1,
            f"not a kind cluster config: needs kind: Cluster and apiVersion: {API_VERSION} "
            f"({_STOPS})",
        )
    errors: list[ConfigError] = []
    patches = _strings(fields.get("containerdConfigPatches"), "containerdConfigPatches", path)
    json_patches = _strings(
        fields.get("containerdConfigPatchesJSON6902"), "containerdConfigPatchesJSON6902", path
    )
    mounts, roles = _mounts(fields.get("nodes"), path, cwd or os.getcwd(), errors)
    for item in (patches, json_patches):
        if isinstance(item, ConfigError):
            errors.append(item)
    merged, line_of, warnings = _patched(
        patches if isinstance(patches, list) else [],
        json_patches if isinstance(json_patches, list) else [],
        path,
        errors,
    )
    containerd = containerd_config_from_doc(merged, path, line_of)
    return KindConfig(
        path,
        containerd,
        merged,
        tuple(mounts),
        len(roles),
        roles,
        tuple(errors) + containerd.errors,
        tuple(warnings),
    )


def _is_str(node: Any, value: str) -> bool:
    import yaml

    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag == "tag:yaml.org,2002:str"
        and node.value == value
    )


def _line(node: Any) -> int | None:
    return None if node is None else int(node.start_mark.line) + 1


def _text_line(node: Any) -> int:
    """The line of a string's first character: a block scalar (``|``, ``>``) starts on the
    line after its indicator."""
    return int(node.start_mark.line) + (2 if node.style in ("|", ">") else 1)


def _strings(node: Any, key: str, path: str) -> list[tuple[str, int]] | ConfigError:
    import yaml

    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        return []
    if not isinstance(node, yaml.SequenceNode):
        return ConfigError(path, _line(node), f"{key} must be a list of strings ({_STOPS})")
    out = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or item.tag != "tag:yaml.org,2002:str":
            return ConfigError(path, _line(item), f"{key}: each entry must be a string ({_STOPS})")
        out.append((str(item.value), _text_line(item)))
    return out


def _mounts(
    node: Any, path: str, cwd: str, errors: list[ConfigError]
) -> tuple[list[Mount], tuple[str, ...]]:
    """The nodes' mounts and roles (one control plane when ``nodes`` is not given)."""
    import yaml

    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        return [], ("control-plane",)  # kind creates one control-plane node
    if not isinstance(node, yaml.SequenceNode):
        errors.append(ConfigError(path, _line(node), f"nodes must be a list ({_STOPS})"))
        return [], ("control-plane",)
    mounts: list[Mount] = []
    roles: list[str] = []
    for index, entry in enumerate(node.value):
        if not isinstance(entry, yaml.MappingNode):
            errors.append(ConfigError(path, _line(entry), f"nodes[{index}] must be a mapping"))
            roles.append("?")
            continue
        fields = {str(k.value): v for k, v in entry.value if isinstance(k, yaml.ScalarNode)}
        role = fields.get("role")
        roles.append(str(role.value) if isinstance(role, yaml.ScalarNode) else "control-plane")
        extra = fields.get("extraMounts")
        if extra is None:
            continue
        if not isinstance(extra, yaml.SequenceNode):
            errors.append(ConfigError(path, _line(extra), "extraMounts must be a list"))
            continue
        for item in extra.value:
            values = (
                {str(k.value): v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
                if isinstance(item, yaml.MappingNode)
                else {}
            )
            host, inside = values.get("hostPath"), values.get("containerPath")
            if not (isinstance(host, yaml.ScalarNode) and isinstance(inside, yaml.ScalarNode)):
                errors.append(
                    ConfigError(
                        path, _line(item), "an extraMounts entry needs hostPath and containerPath"
                    )
                )
                continue
            mounts.append(
                Mount(
                    index,
                    os.path.normpath(os.path.join(cwd, str(host.value))),
                    str(inside.value),
                    _line(item) or 0,
                )
            )
    return mounts, tuple(roles) or ("control-plane",)


def _patched(
    patches: Sequence[tuple[str, int]],
    json_patches: Sequence[tuple[str, int]],
    path: str,
    errors: list[ConfigError],
) -> tuple[dict[str, Any], Callable[[Sequence[str]], int | None], list[str]]:
    """``ContainerdTOML``: the node config with every patch applied, the line that set each
    key, and notes (patches kind skips)."""
    doc: dict[str, Any] = loads(NODE_CONFIG_TOML)
    owners: dict[KeyPath, tuple[int, TomlLayout | None]] = {}
    warnings: list[str] = []
    for text, first in patches:
        try:
            patch = loads(text)
        except (TOMLDecodeError, TooDeep) as exc:
            line = exc.line if isinstance(exc, TooDeep) else syntax_error_line(exc, text)
            errors.append(
                ConfigError(
                    path,
                    first + (line or 1) - 1,
                    f"containerdConfigPatches: not valid TOML: {exc} ({_STOPS})",
                )
            )
            continue
        layout = scan_layout(text)
        version = patch.get("version", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            where = first + (layout.line_of(("version",)) or 1) - 1
            errors.append(ConfigError(path, where, f"version must be an integer ({_STOPS})"))
            continue
        if version not in (0, NODE_CONFIG_VERSION):
            where = first + (layout.line_of(("version",)) or 1) - 1
            warnings.append(
                f"{path}:{where}: this patch sets version = {version}: kind skips it, the node "
                f"image's config.toml is version {NODE_CONFIG_VERSION}"
            )
            continue
        doc = merge_patch(doc, patch)
        for key in _key_paths(patch):
            owners[key] = (first, layout)
    for text, first in json_patches:
        try:
            deepest_json(text)
            operations = json.loads(text)
            patched = apply_json_patch(doc, operations)
            if not isinstance(patched, dict):
                raise ValueError("the patched configuration is no longer a TOML table")
            doc = patched
        except (ValueError, TooDeep) as exc:  # JSONDecodeError and JsonPatchError too
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            errors.append(
                ConfigError(path, first, f"containerdConfigPatchesJSON6902: {why} ({_STOPS})")
            )
            continue
        for operation in operations:
            target = operation.get("path") if isinstance(operation, dict) else None
            if isinstance(target, str) and target.startswith("/"):
                owners[tuple(target[1:].split("/"))] = (first, None)

    def line_of(key: Sequence[str]) -> int | None:
        wanted = tuple(key)
        while wanted:
            owner = owners.get(wanted)
            if owner is not None:
                first, layout = owner
                inside = layout.line_of(key) if layout is not None else None
                return first + (inside or 1) - 1
            wanted = wanted[:-1]
        return None

    return doc, line_of, warnings


def _key_paths(doc: dict[str, Any], prefix: KeyPath = ()) -> list[KeyPath]:
    out: list[KeyPath] = []
    for key, value in doc.items():
        out.append((*prefix, key))
        if isinstance(value, dict):
            out.extend(_key_paths(value, (*prefix, key)))
    return out
