"""Find the line of a table or key in TOML text, since tomllib reports no positions.

How this works: one pass over the lines tracks the current `[table]` header and records the
first line of every header, every `key =` (dotted keys expanded under the current table, each
prefix too) and every key of a one-line inline table. Lines inside multi-line strings are
skipped. A lookup falls back to the nearest enclosing table that was found.

Arrays of tables get an index: the third `[[rules]]` header is the path `("rules", "#2")`, and
its keys and sub-tables (`[rules.match]`) live under that path (the first header is also
recorded as `("rules",)`).
"""

from __future__ import annotations

import json
import re

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_PATH = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER_RE = re.compile(rf"\s*\[\[?\s*({_PATH})\s*\]\]?\s*(?:#.*)?")
_KEY_RE = re.compile(rf"\s*({_PATH})\s*=")
_INLINE_KEY_RE = re.compile(rf"[{{,]\s*({_PART})\s*=")
_PART_RE = re.compile(_PART)

Path = tuple[str, ...]


def _parts(path: str) -> Path:
    return tuple(_unquote(part) for part in _PART_RE.findall(path))


def _unquote(part: str) -> str:
    if part.startswith('"'):
        try:
            return str(json.loads(part))
        except ValueError:
            return part[1:-1]
    return part.strip("'")


class Locator:
    """Line numbers (1-based) of tables, keys and array items in one TOML document."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._found: dict[Path, int] = {}
        self._starts: set[int] = set()  # lines that begin a table or a key
        self._arrays: dict[Path, int] = {}  # array-of-tables path -> headers seen so far
        self._scan()

    def line(self, *path: str) -> int | None:
        """The line of `path` or of its nearest enclosing table that was found."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._found:
                return self._found[path[:end]]
        return None

    def exact(self, path: Path) -> bool:
        """Whether `path` itself (not only an enclosing table) was found."""
        return path in self._found

    def item_line(self, path: Path, item: str) -> int | None:
        """The line of the string `item` in the array at `path`, else the line of `path`."""
        start = self.line(*path)
        if start is None or path not in self._found:
            return start
        quoted = (json.dumps(item, ensure_ascii=False), f"'{item}'")
        for number in range(start, len(self._lines) + 1):
            if number > start and number in self._starts:
                break
            if any(q in self._lines[number - 1] for q in quoted):
                return number
        return start

    def _scan(self) -> None:
        table: Path = ()
        in_string = False
        for number, text in enumerate(self._lines, start=1):
            if not in_string:
                table = self._line(number, text, table)
            if (text.count('"""') + text.count("'''")) % 2:
                in_string = not in_string

    def _line(self, number: int, text: str, table: Path) -> Path:
        header = _HEADER_RE.fullmatch(text)
        if header:
            self._record(_parts(header[1]), number)
            table = self._indexed(_parts(header[1]), text.lstrip().startswith("[["))
            self._record(table, number)
            return table
        key = _KEY_RE.match(text)
        if key:
            path = table + _parts(key[1])
            self._record(path, number)
            for inline in _INLINE_KEY_RE.finditer(text, key.end()):
                self._found.setdefault((*path, _unquote(inline[1])), number)
        return table

    def _indexed(self, parts: Path, array: bool) -> Path:
        """`parts` with `#N` after every array of tables (N: its latest element so far)."""
        path: Path = ()
        for position, part in enumerate(parts, start=1):
            path += (part,)
            if array and position == len(parts):
                count = self._arrays.get(path, 0)
                self._arrays[path] = count + 1
                path += (f"#{count}",)
            elif path in self._arrays:
                path += (f"#{self._arrays[path] - 1}",)
        return path

    def _record(self, path: Path, number: int) -> None:
        self._starts.add(number)
        for end in range(1, len(path) + 1):
            self._found.setdefault(path[:end], number)
