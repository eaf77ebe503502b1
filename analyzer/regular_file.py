"""Read a configuration, settings or list file: a regular file of bounded size, or an error.

A FIFO named ``hosts.toml`` made ``open().read()`` wait for a writer forever; ``/dev/zero``
as a list would never end. Every reader of a file the user (or a hosts directory) names goes
through ``read_regular_file``: the file is opened without blocking, checked to be a regular
file on the open descriptor (no race with a rename), and read up to ``limit`` bytes. Its
errors are ``OSError``\\ s whose ``strerror`` reads well after "cannot read: ".
"""

from __future__ import annotations

import errno
import os
import stat

MIB = 1024 * 1024
#: configuration files, settings and lists are kilobytes; the DaoCloud list is ~50 KiB
MAX_FILE_BYTES = 16 * MIB

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path names a FIFO, a device or a socket (a directory is ``IsADirectoryError``)."""


class FileTooLarge(OSError):
    """The file is larger than the limit for its kind."""


def read_regular_file(path: str | os.PathLike[str], *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes; otherwise
    ``OSError`` (``FileNotFoundError``, ``PermissionError``, ``NotRegularFile``,
    ``FileTooLarge``...)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):  # what open() says, as callers and users know it
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise NotRegularFile(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))
        if info.st_size > limit:
            raise FileTooLarge(errno.EFBIG, _too_large(limit), os.fspath(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)  # a file that grows while read is cut here
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise FileTooLarge(errno.EFBIG, _too_large(limit), os.fspath(path))
    return data


def read_regular_text(path: str | os.PathLike[str], *, limit: int = MAX_FILE_BYTES) -> str:
    """``read_regular_file`` decoded as UTF-8 (``UnicodeDecodeError`` when it is not)."""
    return read_regular_file(path, limit=limit).decode("utf-8")


def _too_large(limit: int) -> str:
    size = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"
    return f"larger than {size}: not a configuration or list file"


#: in a reason: a file of a node's configuration this user may not read, which containerd,
#: running as root, may well read (so what it does with the file is not known here)
UNREADABLE_HERE = "not readable by this user"


def read_problem(exc: OSError) -> str:
    """``exc`` in words; a permission error of a user who is not root says so, since the
    runtime reading the file runs as root (a 0600 client key is the usual case)."""
    words = exc.strerror or str(exc)
    if isinstance(exc, PermissionError) and os.geteuid() != 0:
        return f"{words}: {UNREADABLE_HERE} (uid {os.geteuid()})"
    return words
