"""`Value`: the base of the small immutable values made for every message.

A frozen dataclass is the obvious way to write such a value, but on the compiled build
(mypyc, `[tool.sipwarden.compile]` in pyproject.toml) its generated methods stay interpreted:
building one costs about 0.55 µs (one `object.__setattr__` per field), hashing one 0.2 µs and
a dict lookup keyed by one 0.8 µs, against 0.04 µs, 0.05 µs and 0.06 µs for a plain slotted
class and a tuple (measured with the compiled build on this project's 2-core machine). Dozens
are made per SIP message (transaction keys, addresses, proxy events), so the classes on that
path subclass `Value` instead: a slotted class with a hand-written `__init__` and `_fields()`,
and this base gives it equality, hashing and a repr by those fields, as a dataclass would.

Equality holds only between instances of the same class (as a dataclass's `__eq__`: a subclass
instance is never equal to a base instance). Instances are treated as immutable by convention:
nothing assigns to their attributes after `__init__` (mypy checks `Final` attributes where a
class declares them).
"""

from __future__ import annotations

from typing import ClassVar


class Value:
    """Equality, hash and repr by `_fields()`, which a subclass returns in `_names` order."""

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()

    def _fields(self) -> tuple[object, ...]:
        """The values that make two instances equal, in the order of `_names`."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or not isinstance(other, Value):
            return NotImplemented
        return self._fields() == other._fields()

    def __ne__(self, other: object) -> bool:
        if type(other) is not type(self) or not isinstance(other, Value):
            return NotImplemented
        return self._fields() != other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        pairs = ", ".join(
            f"{name}={value!r}" for name, value in zip(type(self)._names, self._fields())
        )
        return f"{type(self).__name__}({pairs})"
