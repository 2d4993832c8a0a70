"""`$1`-style templates for forward, redirect, set_header and rewrite replacements (pure).

`$1`..`$9` (or `${12}`) are the groups of the rule's Request-URI pattern (`ruri_user`, else
`ruri`; in a `rewrite`, of its own `pattern`), `${name}` a named group of any pattern of the rule,
`$$` a dollar sign. References are checked when the rules load, so rendering cannot fail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_REF_RE = re.compile(r"\$(?:\$|(\d)|\{(\w+)\})")


Part = str | int | tuple[str]  # literal text, a group number, (name,) of a named group


class TemplateError(ValueError):
    """A template names a group its patterns do not have."""


@dataclass(frozen=True, slots=True)
class Captures:
    """The groups a rule's match produced: numbered (from the R-URI pattern) and named."""

    numbered: tuple[str, ...] = ()
    named: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """`$1="30123" ${area}="30"`, empty without groups."""
        parts = [f'${n}="{v}"' for n, v in enumerate(self.numbered, start=1)]
        parts += [f'${{{k}}}="{v}"' for k, v in self.named.items()]
        return " ".join(parts)


# A match without groups (shared: nothing mutates a Captures' mapping).
NO_CAPTURES = Captures()


@dataclass(frozen=True, slots=True)
class Template:
    """A string with capture references, split into literal and reference parts."""

    text: str
    parts: tuple[Part, ...]

    def render(self, captures: Captures) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, int):
                out.append(captures.numbered[part - 1] if part <= len(captures.numbered) else "")
            elif isinstance(part, tuple):
                out.append(captures.named.get(part[0], ""))
            else:
                out.append(part)
        return "".join(out)

    def sample(self) -> str:
        """The template rendered with "1" for every group, to check what it builds."""
        return "".join(p if isinstance(p, str) else "1" for p in self.parts)


def parse_template(text: str, groups: int, names: frozenset[str]) -> Template:
    """`text` as a Template whose references fit `groups` numbered and `names` named groups."""
    parts: list[Part] = []
    position = 0
    for ref in _REF_RE.finditer(text):
        parts.append(text[position : ref.start()])
        parts.append(_reference(ref, groups, names))
        position = ref.end()
    rest = text[position:]
    if "$" in rest:
        raise TemplateError(f"'$' at column {text.index('$', position) + 1}: write $$ for a '$'")
    parts.append(rest)
    return Template(text, tuple(_merge(parts)))


def _reference(ref: re.Match[str], groups: int, names: frozenset[str]) -> Part:
    if ref[0] == "$$":
        return "$"
    name = ref[1] or ref[2]
    if name.isdigit():
        number = int(name)
        if not 1 <= number <= groups:
            have = f"only {groups} group(s)" if groups else "no groups"
            raise TemplateError(f"${name} refers to a group the pattern lacks ({have})")
        return number
    if name not in names:
        raise TemplateError(f"${{{name}}} is not a named group of the rule's patterns")
    return (name,)


def _merge(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        last = merged[-1] if merged else None
        if isinstance(part, str) and isinstance(last, str):
            merged[-1] = last + part
        elif part != "":
            merged.append(part)
    return merged
