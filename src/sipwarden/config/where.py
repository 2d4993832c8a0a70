"""Where a value came from, as the prefix of an error message: `FILE:LINE`, `FILE` or a flag."""

from __future__ import annotations

from pathlib import Path

from sipwarden.config.locate import Locator


class Where:
    """Positions in one configuration file (or none, when there is no file)."""

    def __init__(self, path: Path | None = None, text: str = "") -> None:
        self.path = path
        self.text = text
        self._locator = Locator(text)

    def at(self, *keys: str, item: object = None) -> str:
        """`FILE:LINE` of `keys` (or of the array element `item`), `FILE` if not found."""
        if isinstance(item, str):
            line = self._locator.item_line(keys, item)
        else:
            line = self._locator.line(*keys)
        return f"{self.path}:{line}" if line is not None else f"{self.path}"

    def written(self, *keys: str) -> bool:
        """Whether the file sets exactly this key (or table)."""
        return self._locator.exact(keys)

    def resolve(self, value: str) -> str:
        """A path written in the file, taken relative to the file's directory."""
        if self.path is None or Path(value).is_absolute():
            return value
        return str(self.path.parent / value)
