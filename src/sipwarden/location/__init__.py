"""sipwarden.location: the location service (RFC 3261 §10) behind the `LocationStore` interface.

`MemoryLocationStore` is here; the SQLite store is `sipwarden.location.sqlite.SqliteLocationStore`
(imported on its own so the pure registrar can use `Binding` without loading sqlite3).
"""

from sipwarden.location.binding import Binding, lookup_order, sorted_bindings
from sipwarden.location.memory import MemoryLocationStore
from sipwarden.location.store import LocationStore

__all__ = ["Binding", "LocationStore", "MemoryLocationStore", "lookup_order", "sorted_bindings"]
