"""``Frozen``: the base of the frozen dataclasses of the modules mypyc compiles, so that they
pickle and copy the same compiled as interpreted.

Compiled, a class has no ``__dict__``, and mypyc's own ``__setstate__`` sets each attribute
through ``__setattr__``, which a frozen dataclass refuses: ``pickle``, ``copy.copy`` and
``copy.deepcopy`` of a report (or of any image, use or route in it) then raise
``FrozenInstanceError``. Here the state is the dataclass's fields, set back as
``__post_init__`` sets a field of a frozen dataclass.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from analyzer.mypyc_hints import mypyc_attr


@mypyc_attr(allow_interpreted_subclasses=True)  # as some subclasses allow (``ImageResult``)
class Frozen:
    __slots__ = ()  # a slotted dataclass stays without a ``__dict__`` when interpreted

    def __getstate__(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}  # type: ignore[arg-type]

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)


@mypyc_attr(allow_interpreted_subclasses=True)  # as ``ImageResult`` allows
class FrozenInit(Frozen):
    """``Frozen``, for a dataclass whose ``__init__`` is written in the class (compiled by
    mypyc, where the one ``dataclasses`` generates stays interpreted). Compiled, such a
    class's constructor always runs that ``__init__``, so ``pickle`` and ``copy`` (which
    make the object bare, then set its state) would call it without arguments: a copy is
    made by calling the class with the init fields instead, in order."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return type(self), tuple(getattr(self, f.name) for f in fields if f.init)
