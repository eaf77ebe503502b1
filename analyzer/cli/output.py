"""Everything a command prints goes through ``say``: one escaping point for the terminal and
one place where output errors end the run.

- Text for a terminal or a CI log passes through ``printable``: control characters that came
  from manifests, hosts.toml strings or HTTP reason phrases (``ESC]52`` writes the
  clipboard, ``ESC[2J`` clears the screen) are shown escaped, and so are lone surrogates.
  Documents (the formats of ``scan``, JSON) are escaped by their own writer and are
  printed as they are (``raw``).
- A closed pipe (``coverage images . | head``) ends the command quietly; any other write
  error (``> /dev/full``) prints one line. Both exit 2: the output is incomplete, which is
  never the "policy fails" of exit 1.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import TextIO

import typer

from analyzer.formats.textgrid import printable

#: the exit code of a command whose output could not be written
OUTPUT_ERROR = 2


def say(
    text: str = "", *, err: bool = False, raw: bool = False, nl: bool = True, line: bool = False
) -> None:
    """Print ``text`` and a newline (unless not ``nl``) on stdout (or stderr with ``err``);
    terminal control characters escaped unless ``raw`` (line feeds too with ``line``: text
    meant as one line, such as an error naming a file). Raises ``typer.Exit(2)`` when stdout
    cannot be written; a failing stderr is ignored (there is nowhere left to say anything)."""
    shown = text if raw else printable(text, line=line)
    stream = sys.stderr if err else sys.stdout
    try:
        _write(stream, shown + ("\n" if nl else ""))
    except OSError as exc:
        if err:
            return
        raise output_failed(exc) from None


def flush_stdout() -> None:
    """Flush what is still buffered for stdout; ``typer.Exit(2)`` when that fails."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        raise output_failed(exc) from None


def output_failed(exc: OSError) -> typer.Exit:
    """The exit for a stdout that cannot be written: quiet for a closed pipe, else one line."""
    _detach_stdout()
    if not isinstance(exc, BrokenPipeError):
        reason = exc.strerror or type(exc).__name__
        with contextlib.suppress(OSError):
            _write(sys.stderr, f"coverage: error: cannot write the output: {reason}\n")
    return typer.Exit(OUTPUT_ERROR)


def _write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:  # a terminal whose encoding cannot show every character
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
    stream.flush()


def _detach_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail again
    (which would print "Exception ignored ... BrokenPipeError")."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests)
        return
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, descriptor)
        os.close(null)


class ProgressLine:
    """One line on stderr that rewrites itself (``scanning 3: file``, ``probing 3/10: image``),
    shown only on a terminal; ``done()`` clears it."""

    WIDTH = 78

    def __init__(self, template: str, total: int | None = None) -> None:
        self.template = template  # with {count}, {total} and {what}
        self.total = total
        self.count = 0

    @classmethod
    def on_terminal(cls, template: str, total: int | None = None) -> ProgressLine | None:
        return cls(template, total) if sys.stderr.isatty() else None

    def step(self, what: str) -> None:
        self.count += 1
        text = self.template.format(count=self.count, total=self.total, what=what)
        shown = printable(text if len(text) <= self.WIDTH else text[: self.WIDTH - 1] + "…")
        sys.stderr.write(f"\r\x1b[2K{shown}")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


class Document(io.TextIOBase):
    """A document (a format of ``scan``, the JSON of ``images``) written to stdout as it is
    made, through ``say`` (``raw``: each format escapes its own) in pieces of about 64 KiB;
    ``end`` flushes it and ends it with a newline unless it ends with one already."""

    _PIECE = 1 << 16

    def __init__(self) -> None:
        super().__init__()
        self._pieces: list[str] = []
        self._size = 0
        self._last = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self._pieces.append(text)
            self._size += len(text)
            self._last = text[-1]
            if self._size >= self._PIECE:
                self._send()
        return len(text)

    def _send(self) -> None:
        text = "".join(self._pieces)
        self._pieces.clear()
        self._size = 0
        if text:
            say(text, raw=True, nl=False)

    def end(self) -> None:
        self._send()
        if self._last != "\n":
            say("", raw=True)
