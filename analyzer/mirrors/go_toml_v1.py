"""A TOML text as go-toml v1.9.5 builds it: the decoder of ``hosts.toml`` in containerd 1.6
and 1.7 (``toml.LoadBytes`` in ``remotes/docker/config/hosts.go``; both pin go-toml v1.9.5).

Its table rules are not TOML 1.0's, and they decide which hosts containerd uses and in which
order, so the structure is built here the way go-toml's ``parser.go`` builds it; each value
(the text after ``=``) is decoded with ``tomllib``:

- ``LoadBytes`` (toml.go) drops a UTF-32, UTF-8 or UTF-16 byte order mark (in that order of
  checks) and reads the rest as UTF-8, an invalid byte becoming U+FFFD (``bytes.Runes``);
- a table header is the raw text between ``[`` and the first ``]`` (lexer.go
  ``lexInsideTableKey``: no quoting, so a ``]`` inside quotes ends it and a ``[`` is an
  error); ``parseGroup`` refuses a header whose raw text was seen before ("duplicated
  tables"), but two spellings of one key (``[host."URL"]``, ``[host.'URL']``, ``[ host."URL" ]``)
  MERGE into one table; a key assigned twice in it is an error ("defined twice");
- quoted parts of a header are not unescaped (keysparsing.go ``parseKey``);
- a dotted key (``host."URL".capabilities = …``) creates its tables with the key's position,
  and a later header for the same table merges into it (TOML 1.0 refuses both);
- a table's position is where it was first created; an inline table (``"URL" = {…}``) has no
  position (``newTree()``: line 0). containerd 1.6/1.7 order hosts by that line
  (``getSortedHosts``), so inline hosts come first, and equal lines in Go's map order.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from analyzer.nesting import MAX_DEPTH, TooDeep, deepest_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# LoadBytes (toml.go v1.9.5): UTF-32 first, then UTF-8, then UTF-16
_BOMS: tuple[bytes, ...] = (
    b"\x00\x00\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\xef\xbb\xbf",
    b"\xfe\xff",
    b"\xff\xfe",
)


class GoTomlV1Error(ValueError):
    """go-toml v1 refuses the text (``LoadBytes`` returns an error)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class _Tree:
    values: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    inline: bool = False


@dataclass(frozen=True)
class V1Document:
    """The decoded document and, for each key of the root ``host`` table (spelt exactly so:
    ``root.Get("host")``), the line ``getSortedHosts`` sorts it by (0: an inline table;
    None: not a table)."""

    doc: dict[str, Any]
    host_lines: dict[str, int | None]


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """The text go-toml v1 reads from ``data``, and the byte order mark it dropped."""
    for bom in _BOMS:
        if data.startswith(bom):
            name = {2: "UTF-16", 3: "UTF-8", 4: "UTF-32"}[len(bom)]
            return data[len(bom) :].decode("utf-8", errors="replace"), name
    return data.decode("utf-8", errors="replace"), None


def _is_bare(char: str) -> bool:
    # isValidBareChar (token.go): ASCII letters, digits, '_' and '-'
    return char.isascii() and (char.isalnum() or char in "_-")


def parse_key(raw: str) -> list[str]:
    """keysparsing.go ``parseKey``: quoted parts taken as written, no escapes."""
    parts: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        while i < n and raw[i] in " \t":
            i += 1
        if i >= n:
            break
        char = raw[i]
        if _is_bare(char):
            start = i
            while i < n and _is_bare(raw[i]):
                i += 1
            parts.append(raw[start:i])
            if i < n and raw[i] in " \t":
                while i < n and raw[i] in " \t":
                    i += 1
                if i < n and raw[i] != ".":
                    raise ValueError(f"invalid key character after whitespace: {raw[i]}")
            elif i < n and raw[i] != ".":
                raise ValueError(f"invalid bare key character: {raw[i]}")
        elif char in "'\"":
            end = raw.find(char, i + 1)
            if end < 0:
                quoting = "single" if char == "'" else "double"
                raise ValueError(f"unclosed {quoting}-quoted key")
            parts.append(raw[i + 1 : end])
            i = end + 1
        elif char == ".":
            i += 1
            if i >= n:
                raise ValueError("unexpected end of key")
            if not (_is_bare(raw[i]) or raw[i] in "'\" "):
                raise ValueError("expecting key part after dot")
        else:
            raise ValueError(f"invalid key character: {char}")
    if not parts:
        raise ValueError("empty key")
    return parts


class _Scanner:
    """The lexer's walk over the text (lexer.go), one statement at a time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1

    def peek(self, size: int = 1) -> str:
        return self.text[self.i : self.i + size]

    def advance(self, count: int = 1) -> str:
        taken = self.text[self.i : self.i + count]
        self.line += taken.count("\n")
        self.i += len(taken)
        return taken

    def error(self, message: str, line: int | None = None) -> GoTomlV1Error:
        return GoTomlV1Error(self.line if line is None else line, message)

    def header(self, close: str) -> str:
        """The raw text up to the first ``]`` (``lexInsideTableKey``)."""
        start = self.i
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == "]":
                raw = self.text[start : self.i]
                if not self.text.startswith(close, self.i):
                    raise self.error("was expecting token ]]")
                self.advance(len(close))
                return raw
            if char == "[":
                raise self.error("table key cannot contain ']'")
            self.advance()
        raise self.error("unclosed table key")

    def key(self) -> str:
        """``lexKey``: the key text with quoted parts unescaped, spaces only around dots."""
        out: list[str] = []
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == "=":
                break
            if char == "\n":
                raise self.error("keys cannot contain new lines")
            if char in "\"'":
                out.append(char + self._quoted_key(char) + char)
                continue
            if char in " \t":
                spaces = self._spaces()
                if self.peek() != ".":
                    break
                out.append(" " + spaces + self.advance() + self._spaces())
                continue
            if char != "." and not _is_bare(char):
                raise self.error(f"keys cannot contain {char} character")
            out.append(self.advance())
        return "".join(out)

    def _spaces(self) -> str:
        start = self.i
        while self.peek() in (" ", "\t"):
            self.advance()
        return self.text[start : self.i]

    def _quoted_key(self, quote: str) -> str:
        start = self.i
        self.advance()
        while self.i < len(self.text) and self.text[self.i] not in (quote, "\n"):
            self.advance(2 if quote == '"' and self.text[self.i] == "\\" else 1)
        if self.peek() != quote:
            raise self.error("unclosed string")
        self.advance()
        try:
            value = tomllib.loads("k = " + self.text[start : self.i])["k"]
        except tomllib.TOMLDecodeError as exc:
            raise self.error(f"invalid key string: {exc}") from None
        return str(value)

    def value_text(self) -> str:
        """The value after ``=``, up to the newline outside brackets; newlines and comments
        inside an inline table are dropped (go-toml's lexer reads ``{`` … ``}`` across
        lines, ``tomllib`` does not)."""
        out: list[str] = []
        brackets: list[str] = []
        while self.i < len(self.text):
            char = self.text[self.i]
            if self.text.startswith(("\n", "\r\n"), self.i) and not brackets:
                break
            triple = self.peek(3)
            if triple in ('"""', "'''"):
                out.append(self._string(triple))
            elif char in "\"'":
                out.append(self._string(char))
            elif char == "#":
                comment = self.comment()
                if not brackets or brackets[-1] == "[":
                    out.append(comment)
            elif char in "[{":
                brackets.append(char)
                out.append(self.advance())
            elif char in "]}":
                if brackets:
                    brackets.pop()
                out.append(self.advance())
            elif char in "\r\n" and brackets and brackets[-1] == "{":
                out.append(" ")
                self.advance()
            else:
                out.append(self.advance())
        return "".join(out)

    def _string(self, quote: str) -> str:
        """A string value as written (``tomllib`` decodes it); a one-line string stops at
        the end of the line, unterminated."""
        start = self.i
        self.advance(len(quote))
        while self.i < len(self.text) and not self.text.startswith(quote, self.i):
            char = self.text[self.i]
            if len(quote) == 1 and char == "\n":
                return self.text[start : self.i]
            self.advance(2 if quote[0] == '"' and char == "\\" else 1)
        self.advance(len(quote))
        return self.text[start : self.i]

    def comment(self) -> str:
        start = self.i
        # lexComment: up to the end of the line ("\n" or "\r\n")
        while self.i < len(self.text) and not self.text.startswith(("\n", "\r\n"), self.i):
            self.advance()
        return self.text[start : self.i]


class _Builder:
    """parser.go's ``parseGroup``, ``parseGroupArray`` and ``parseAssign``."""

    def __init__(self) -> None:
        self.root = _Tree(line=1)
        self.current: list[str] = []
        self.seen: list[str] = []

    def get_path(self, keys: list[str]) -> Any:
        node: Any = self.root
        for key in keys:
            if isinstance(node, list):
                node = node[-1] if node else None
            if not isinstance(node, _Tree):
                return None
            node = node.values.get(key)
        return node

    def create(self, keys: list[str], line: int) -> None:
        """``createSubTree``: missing tables are created with ``line``."""
        node = self.root
        for key in keys:
            child = node.values.get(key)
            if child is None:
                child = node.values[key] = _Tree(line=line, inline=node.inline)
            if isinstance(child, list) and child:
                child = child[-1]
            if not isinstance(child, _Tree):
                raise ValueError(f"unknown type for path {'.'.join(keys)} ({key})")
            node = child

    def table(self, raw: str, line: int) -> None:
        if raw in self.seen:
            raise GoTomlV1Error(line, "duplicated tables")
        self.seen.append(raw)
        keys = self._keys(raw, line)
        self._create(keys, line)
        target = self.get_path(keys)
        if isinstance(target, _Tree) and target.inline:
            raise GoTomlV1Error(line, f"could not re-define exist inline table {'.'.join(keys)}")
        self.current = keys

    def array_table(self, raw: str, line: int) -> None:
        keys = self._keys(raw, line)
        self._create(keys[:-1], line)
        target = self.get_path(keys)
        if target is not None and not isinstance(target, list):
            raise GoTomlV1Error(line, f"key {raw} is already assigned and not a table array")
        parent = self.get_path(keys[:-1])
        assert isinstance(parent, _Tree)
        parent.values[keys[-1]] = [*(target or []), _Tree(line=line)]
        self.current = keys
        self.seen = [k for k in self.seen if not k.startswith(raw + ".")]
        if raw not in self.seen:
            self.seen.append(raw)

    def assign(self, key_text: str, value: Any, line: int) -> None:
        parsed = self._keys(key_text, line)
        table_key = [*self.current, *parsed[:-1]]
        node = self.get_path(table_key)
        if isinstance(node, list):
            node = node[-1]
        elif node is None:
            self._create(table_key, line)
            node = self.get_path(table_key)
        if not isinstance(node, _Tree):
            raise GoTomlV1Error(line, f"Unknown table type for path: {'.'.join(table_key)}")
        if node.inline:
            raise GoTomlV1Error(
                line, f"could not add key or sub-table to exist inline table {'.'.join(table_key)}"
            )
        if node.values.get(parsed[-1]) is not None:
            finished = ".".join([*table_key, parsed[-1]])
            raise GoTomlV1Error(line, f"The following key was defined twice: {finished}")
        node.values[parsed[-1]] = _tree_of(value)

    def _keys(self, raw: str, line: int) -> list[str]:
        try:
            keys = parse_key(raw)
        except ValueError as exc:
            raise GoTomlV1Error(line, f"invalid key: {exc}") from None
        if len(self.current) + len(keys) > MAX_DEPTH:  # never a RecursionError
            raise GoTomlV1Error(line, f"nested deeper than {MAX_DEPTH} levels")
        return keys

    def _create(self, keys: list[str], line: int) -> None:
        try:
            self.create(keys, line)
        except ValueError as exc:
            raise GoTomlV1Error(line, str(exc)) from None


def _tree_of(value: Any) -> Any:
    """A decoded value as go-toml holds it: inline tables are trees with no position."""
    if isinstance(value, dict):
        return _Tree({k: _tree_of(v) for k, v in value.items()}, line=0, inline=True)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_tree_of(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, _Tree):
        return {k: _plain(v) for k, v in value.values.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load(text: str) -> V1Document:
    """Decode ``text`` as go-toml v1.9.5 does, or raise ``GoTomlV1Error``."""
    try:
        deepest_toml(text)
    except TooDeep as exc:
        raise GoTomlV1Error(exc.line, f"nested deeper than {exc.limit} levels") from None
    scanner, builder = _Scanner(text), _Builder()
    while scanner.i < len(text):
        char = scanner.peek()
        line = scanner.line
        if char in " \t\r\n":
            scanner.advance()
        elif char == "#":
            scanner.comment()
        elif scanner.peek(2) == "[[":
            scanner.advance(2)
            builder.array_table(scanner.header("]]"), line)
        elif char == "[":
            scanner.advance()
            raw = scanner.header("]")
            if not raw:
                raise GoTomlV1Error(line, "unexpected token ], was expecting a table key")
            builder.table(raw, line)
        elif char in "=}":
            raise GoTomlV1Error(line, f"unexpected token {char}")
        else:
            key_text = scanner.key()
            if scanner.peek() != "=":
                raise GoTomlV1Error(scanner.line, "was expecting token =")
            scanner.advance()
            try:
                value = tomllib.loads("v = " + scanner.value_text())["v"]
            except tomllib.TOMLDecodeError as exc:
                reason = str(exc).split(" (at ", 1)[0]
                raise GoTomlV1Error(line, f"invalid value: {reason}") from None
            builder.assign(key_text, value, line)
    hosts = builder.root.values.get("host")
    lines: dict[str, int | None] = {}
    if isinstance(hosts, _Tree):
        lines = {k: v.line if isinstance(v, _Tree) else None for k, v in hosts.values.items()}
    return V1Document(_plain(builder.root), lines)
