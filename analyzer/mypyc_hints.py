"""``mypyc_attr``: how a class is compiled when mypyc builds the modules of
``build_support/compiled_modules.txt``, without ``mypy_extensions`` at run time.

mypyc reads the decorator from the source (it finds ``mypy_extensions.mypyc_attr`` through
the import below, which only type checkers and mypyc follow) and never calls it on a native
class; interpreted, the decorator returns the class as it is. Not compiled itself: its
run-time definition would be dead code to mypyc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr as mypyc_attr
else:

    def mypyc_attr(*_flags, **_options):
        return lambda cls: cls
